"""staff users: who may log in to the staff pages

Revision ID: f43ebb97c743
Revises: 82fc5791a1b0
Create Date: 2026-11-26 02:39:05.000658

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f43ebb97c743'
down_revision = '82fc5791a1b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )


def downgrade():
    op.drop_table('staff_users')
