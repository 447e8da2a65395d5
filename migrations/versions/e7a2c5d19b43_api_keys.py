"""api keys for trusted clients, and room for an API key's scope in idempotency keys

Revision ID: e7a2c5d19b43
Revises: e7b2c5a9d140
Create Date: 2026-12-02 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e7a2c5d19b43'
down_revision = 'e7b2c5a9d140'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_keys_token_hash'))
    )
    # `api:<api key id>:<key>` for an API client's keys: 255 characters as sent, plus the prefix.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=255), type_=sa.String(length=300),
                              existing_nullable=True)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=300), type_=sa.String(length=255),
                              existing_nullable=True)
    op.drop_table('api_keys')
