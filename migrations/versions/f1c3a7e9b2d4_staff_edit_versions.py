"""staff edits carry the version they were made from: a version on products and on the calendar

A product's version counts staff edits of it (orders and stock adjustments leave it alone);
the calendar's counts every staff change of the calendar. The calendar's default slot
capacity may now be empty (NULL: BAKERY_SLOT_CAPACITY), so that its one row can hold the
version before anyone sets a capacity.

Revision ID: f1c3a7e9b2d4
Revises: f1c3a8e5b720
Create Date: 2026-12-06 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1c3a7e9b2d4'
down_revision = 'f1c3a8e5b720'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('calendar_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('slot_capacity', existing_type=sa.Integer(), nullable=True)


def downgrade():
    settings = sa.table('calendar_settings', sa.column('slot_capacity', sa.Integer))
    op.execute(settings.delete().where(settings.c.slot_capacity.is_(None)))
    with op.batch_alter_table('calendar_settings', schema=None) as batch_op:
        batch_op.alter_column('slot_capacity', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('version')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('version')
