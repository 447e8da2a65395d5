"""order codes, customer email and phone, cancel reasons, and notifications as an outbox

Revision ID: d4e1b7c9f2a6
Revises: a7c31e0d9b52
Create Date: 2026-12-01 22:10:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e1b7c9f2a6'
down_revision = 'a7c31e0d9b52'
branch_labels = None
depends_on = None

# Frozen here: a migration must not change when app/models.py does.
CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
CODE_LENGTH = 6
EMAIL_LIKE = '%@%'


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('customer_email', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('customer_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))

    bind = op.get_bind()
    orders = sa.table('orders', sa.column('id', sa.Integer), sa.column('code', sa.String),
                      sa.column('customer_contact', sa.String), sa.column('customer_email', sa.String),
                      sa.column('customer_phone', sa.String))
    # Existing orders get codes too, each unique (drawn again on the rare collision).
    taken = set()
    for (order_id,) in bind.execute(sa.select(orders.c.id).order_by(orders.c.id)).all():
        code = None
        while code is None or code in taken:
            code = ''.join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken.add(code)
        bind.execute(orders.update().where(orders.c.id == order_id).values(code=code))
    # The checkout's one contact field was an email address or a phone number.
    bind.execute(orders.update().where(orders.c.customer_contact.like(EMAIL_LIKE))
                 .values(customer_email=orders.c.customer_contact))
    bind.execute(orders.update().where(orders.c.customer_contact.is_not(None),
                                       sa.not_(orders.c.customer_contact.like(EMAIL_LIKE)),
                                       sa.func.length(orders.c.customer_contact) <= 40)
                 .values(customer_phone=orders.c.customer_contact))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_orders_code'), ['code'])

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))

    notifications = sa.table('notifications', sa.column('status', sa.String), sa.column('last_error', sa.Text),
                             sa.column('next_attempt_at', sa.DateTime), sa.column('created_at', sa.DateTime))
    # Rows from before the outbox were sent (or logged) once already: never send them again.
    bind.execute(notifications.update().values(status='skipped', last_error='recorded before the outbox',
                                               next_attempt_at=notifications.c.created_at))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_check_constraint(
            'status_known', "status IN ('pending', 'sent', 'failed', 'skipped')")
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_due')
        batch_op.drop_constraint('status_known', type_='check')
        batch_op.drop_column('last_error')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_orders_code'), type_='unique')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('customer_phone')
        batch_op.drop_column('customer_email')
        batch_op.drop_column('code')
