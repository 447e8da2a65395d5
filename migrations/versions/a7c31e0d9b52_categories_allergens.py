"""categories, allergens and dietary labels: what staff keep about each product

Revision ID: a7c31e0d9b52
Revises: f43ebb97c743
Create Date: 2026-12-01 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c31e0d9b52'
down_revision = 'f43ebb97c743'
branch_labels = None
depends_on = None

# Frozen here: a migration must not change when app/catalog/allergens.py does.
ALLERGEN_CODES = ('gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soy', 'milk', 'nuts', 'celery', 'mustard',
                  'sesame', 'sulphites', 'lupin', 'molluscs')


def upgrade():
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_categories_name'))
    )
    # Existing rows get no category (NULL) and no dietary labels (false) until staff set them.
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('vegan', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('vegetarian', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_products_category_id'), ['category_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_products_category_id_categories'), 'categories',
                                    ['category_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint('vegan_is_vegetarian', 'vegetarian OR NOT vegan')

    op.create_table('product_allergens',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('trace', sa.Boolean(), nullable=False),
    sa.CheckConstraint('code IN (%s)' % ', '.join(f"'{code}'" for code in ALLERGEN_CODES),
                       name=op.f('ck_product_allergens_code_known')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_allergens_product_id_products'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'code', name=op.f('pk_product_allergens'))
    )


def downgrade():
    op.drop_table('product_allergens')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('vegan_is_vegetarian', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_products_category_id_categories'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_products_category_id'))
        batch_op.drop_column('vegetarian')
        batch_op.drop_column('vegan')
        batch_op.drop_column('category_id')

    op.drop_table('categories')
