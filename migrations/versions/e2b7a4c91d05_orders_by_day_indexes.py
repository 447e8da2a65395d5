"""indexes for finding the orders of a day: by pickup time, and by creation time for orders without one

The board, the bake and pick lists and the reports all select orders by day
(app/orders/days.py on_days: a pickup_at range, or a created_at range where pickup_at is NULL).

Revision ID: e2b7a4c91d05
Revises: c4d8e2f1a930
Create Date: 2026-12-02 01:35:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e2b7a4c91d05'
down_revision = 'c4d8e2f1a930'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_pickup_at'), ['pickup_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_created_at'))
        batch_op.drop_index(batch_op.f('ix_orders_pickup_at'))
