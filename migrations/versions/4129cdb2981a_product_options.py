"""product options (one of, any of, yes/no, text) with their choices, and what each order line chose

Existing products get no options and existing order lines no chosen options: every product and
every past order reads as before. A chosen option is a copy (names, price change, text), so the
links to the option and the choice are set to NULL if those are ever deleted.

Revision ID: 4129cdb2981a
Revises: a4c7e2f91b36
Create Date: 2026-12-07 00:36:08.308918

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4129cdb2981a'
down_revision = 'a4c7e2f91b36'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('product_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('max_length', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("type IN ('one', 'any', 'yes_no', 'text')", name=op.f('ck_product_options_type_known')),
    sa.CheckConstraint('max_length IS NULL OR max_length >= 1', name=op.f('ck_product_options_max_length_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_options_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_options'))
    )
    with op.batch_alter_table('product_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_options_product_id'), ['product_id'], unique=False)

    op.create_table('option_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('price_delta', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('extra_lead_hours', sa.Integer(), nullable=False),
    sa.Column('counts_as', sa.Integer(), server_default='1', nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('counts_as >= 1', name=op.f('ck_option_choices_counts_as_positive')),
    sa.CheckConstraint('extra_lead_hours >= 0', name=op.f('ck_option_choices_extra_lead_hours_nonnegative')),
    sa.ForeignKeyConstraint(['option_id'], ['product_options.id'], name=op.f('fk_option_choices_option_id_product_options'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option_choices'))
    )
    with op.batch_alter_table('option_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_option_choices_option_id'), ['option_id'], unique=False)

    op.create_table('choice_allergens',
    sa.Column('choice_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('trace', sa.Boolean(), nullable=False),
    sa.CheckConstraint("code IN ('gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soy', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs')", name=op.f('ck_choice_allergens_code_known')),
    sa.ForeignKeyConstraint(['choice_id'], ['option_choices.id'], name=op.f('fk_choice_allergens_choice_id_option_choices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('choice_id', 'code', name=op.f('pk_choice_allergens'))
    )
    op.create_table('order_item_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('option_name', sa.String(length=60), nullable=False),
    sa.Column('choice_id', sa.Integer(), nullable=True),
    sa.Column('choice_name', sa.String(length=60), nullable=True),
    sa.Column('price_delta', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['choice_id'], ['option_choices.id'], name=op.f('fk_order_item_options_choice_id_option_choices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['option_id'], ['product_options.id'], name=op.f('fk_order_item_options_option_id_product_options'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], name=op.f('fk_order_item_options_order_item_id_order_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_item_options'))
    )
    with op.batch_alter_table('order_item_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_item_options_order_item_id'), ['order_item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('order_item_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_item_options_order_item_id'))

    op.drop_table('order_item_options')
    op.drop_table('choice_allergens')
    with op.batch_alter_table('option_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_option_choices_option_id'))

    op.drop_table('option_choices')
    with op.batch_alter_table('product_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_options_product_id'))

    op.drop_table('product_options')
