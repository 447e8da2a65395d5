"""a product's lead time in days: ordered at least this many days before its pickup day

Existing products get NULL (no days of notice): every order they take today stays possible.

Revision ID: 8464f84a6f5c
Revises: 4129cdb2981a
Create Date: 2026-12-08 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8464f84a6f5c'
down_revision = '4129cdb2981a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('lead_days_known', 'lead_days IS NULL OR lead_days BETWEEN 0 AND 30')


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('lead_days_known', type_='check')
        batch_op.drop_column('lead_days')
