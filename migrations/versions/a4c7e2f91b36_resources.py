"""resources a day's baking shares (an oven's trays), what a product's batch uses, products made to order

Existing products keep working as they are: none is made to order, none has a batch size (one
piece a batch) and none uses a resource, so no order is refused for a resource until staff set
one up.

Revision ID: a4c7e2f91b36
Revises: d8f3b6a2c514
Create Date: 2026-12-07 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c7e2f91b36'
down_revision = 'd8f3b6a2c514'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_order', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('batch_size', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('batch_size_positive', 'batch_size IS NULL OR batch_size >= 1')
    op.create_table('resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('per_day', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('per_day >= 0', name=op.f('ck_resources_per_day_nonnegative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources')),
    sa.UniqueConstraint('name', name=op.f('uq_resources_name'))
    )
    op.create_table('product_resource_uses',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('per_batch', sa.Integer(), nullable=False),
    sa.CheckConstraint('per_batch >= 1', name=op.f('ck_product_resource_uses_per_batch_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_product_resource_uses_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'],
                            name=op.f('fk_product_resource_uses_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'resource_id', name=op.f('pk_product_resource_uses'))
    )
    with op.batch_alter_table('product_resource_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_resource_uses_resource_id'), ['resource_id'], unique=False)
    op.create_table('resource_day_locks',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'],
                            name=op.f('fk_resource_day_locks_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'day', name=op.f('pk_resource_day_locks'))
    )


def downgrade():
    op.drop_table('resource_day_locks')
    with op.batch_alter_table('product_resource_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_resource_uses_resource_id'))
    op.drop_table('product_resource_uses')
    op.drop_table('resources')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('batch_size_positive', type_='check')
        batch_op.drop_column('batch_size')
        batch_op.drop_column('to_order')
