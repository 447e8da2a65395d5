"""emails per mailbox per hour, and who placed an order

notifications.recipient_key and counted_at: the mailbox a row goes to and when it was counted
against EMAILS_PER_RECIPIENT_PER_HOUR (set by the sender's first claim), indexed for counting.
orders.placed_by: a keyed hash of the client that placed the order, so that a cancel by the same
client right after ordering sends no email.

Revision ID: f1c3a8e5b720
Revises: b7e5a1c9d3f2
Create Date: 2026-12-06 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1c3a8e5b720'
down_revision = 'b7e5a1c9d3f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('counted_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_notifications_recipient_key_counted_at', ['recipient_key', 'counted_at'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('placed_by', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('placed_by')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_recipient_key_counted_at')
        batch_op.drop_column('counted_at')
        batch_op.drop_column('recipient_key')
