"""what one client holds: items per pickup day and orders per pickup slot, and which holders an order took

Orders placed before this revision hold nothing (held_by NULL): the caps count from here on.

Revision ID: c9a4e6d2b871
Revises: f1c3a7e9b2d4
Create Date: 2026-12-06 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9a4e6d2b871'
down_revision = 'f1c3a7e9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('client_day_holds',
    sa.Column('holder', sa.String(length=300), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.CheckConstraint('items >= 0', name=op.f('ck_client_day_holds_items_nonnegative')),
    sa.PrimaryKeyConstraint('holder', 'day', name=op.f('pk_client_day_holds'))
    )
    op.create_table('client_slot_holds',
    sa.Column('holder', sa.String(length=300), nullable=False),
    sa.Column('slot_start', sa.DateTime(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.CheckConstraint('orders >= 0', name=op.f('ck_client_slot_holds_orders_nonnegative')),
    sa.PrimaryKeyConstraint('holder', 'slot_start', name=op.f('pk_client_slot_holds'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_by', sa.String(length=700), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('held_by')
    op.drop_table('client_slot_holds')
    op.drop_table('client_day_holds')
