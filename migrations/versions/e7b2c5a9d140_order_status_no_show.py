"""orders may be No-show: not collected by the end of their pickup day

Revision ID: e7b2c5a9d140
Revises: e2b7a4c91d05
Create Date: 2026-12-02 01:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7b2c5a9d140'
down_revision = 'e2b7a4c91d05'
branch_labels = None
depends_on = None

# Frozen here: a migration must not change when app/models.py does.
BEFORE = ('Pending', 'Processing', 'Ready', 'Completed', 'Cancelled', 'Failed')
AFTER = BEFORE + ('No-show',)


def _known(statuses):
    return "status IN (%s)" % ", ".join(f"'{s}'" for s in statuses)


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _known(AFTER))


def downgrade():
    # No-show orders were not collected: closest to that among the old statuses is Cancelled by the bakery.
    op.execute("UPDATE orders SET status = 'Cancelled', cancelled_by = 'bakery' WHERE status = 'No-show'")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _known(BEFORE))
