"""two kinds of product: baked daily (an amount per weekday, overrides per date) or stocked; the day ledger

Existing products: one with a daily_quota becomes baked, with that amount on every weekday
(Monday to Sunday: the calendar's closed days take no orders anyway); every other product
stays stocked, with its stock. daily_quota is dropped. The per-day rows of what open orders
took (product_day_quota) are carried over as they are into the day ledger, product_days, with
adjusted and counter_sold at 0: open orders keep their reservations, and cancelling one gives
back to its day.

Revision ID: d8f3b6a2c514
Revises: c9a4e6d2b871
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8f3b6a2c514'
down_revision = 'c9a4e6d2b871'
branch_labels = None
depends_on = None

WEEKDAYS = range(7)


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='stocked', nullable=False))
        batch_op.create_check_constraint('kind_known', "kind IN ('baked', 'stocked')")
    weekday_amounts = op.create_table('product_weekday_amounts',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_product_weekday_amounts_weekday_known')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_product_weekday_amounts_amount_nonnegative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_product_weekday_amounts_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'weekday', name=op.f('pk_product_weekday_amounts'))
    )
    op.create_table('product_day_amounts',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_product_day_amounts_amount_nonnegative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_product_day_amounts_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'day', name=op.f('pk_product_day_amounts'))
    )
    op.create_table('product_days',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('adjusted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('counter_sold', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('taken >= 0', name=op.f('ck_product_days_taken_nonnegative')),
    sa.CheckConstraint('counter_sold >= 0', name=op.f('ck_product_days_counter_sold_nonnegative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_product_days_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'day', name=op.f('pk_product_days'))
    )
    op.execute('INSERT INTO product_days (product_id, day, taken) SELECT product_id, day, taken FROM product_day_quota')
    op.drop_table('product_day_quota')

    products = sa.table('products', sa.column('id', sa.Integer), sa.column('daily_quota', sa.Integer),
                        sa.column('kind', sa.String))
    connection = op.get_bind()
    quotas = connection.execute(sa.select(products.c.id, products.c.daily_quota)
                                .where(products.c.daily_quota.is_not(None))).all()
    rows = baked_amounts(quotas)
    if rows:
        op.bulk_insert(weekday_amounts, rows)
        op.execute(products.update().where(products.c.daily_quota.is_not(None)).values(kind='baked'))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('daily_quota_nonnegative', type_='check')
        batch_op.drop_column('daily_quota')


def baked_amounts(quotas):
    """The weekday amounts for products that had a daily quota: (id, quota) → that quota every weekday."""
    return [{'product_id': product_id, 'weekday': weekday, 'amount': quota}
            for product_id, quota in quotas for weekday in WEEKDAYS]


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_quota', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('daily_quota_nonnegative', 'daily_quota IS NULL OR daily_quota >= 0')
    # A baked product's quota: its largest weekday amount (a quota cannot say which day).
    op.execute('UPDATE products SET daily_quota = (SELECT MAX(amount) FROM product_weekday_amounts w '
               "WHERE w.product_id = products.id) WHERE kind = 'baked'")
    op.execute("UPDATE products SET daily_quota = 0 WHERE kind = 'baked' AND daily_quota IS NULL")
    op.create_table('product_day_quota',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.CheckConstraint('taken >= 0', name=op.f('ck_product_day_quota_taken_nonnegative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_day_quota_product_id_products'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'day', name=op.f('pk_product_day_quota'))
    )
    op.execute('INSERT INTO product_day_quota (product_id, day, taken) SELECT product_id, day, taken FROM product_days')
    op.drop_table('product_days')
    op.drop_table('product_day_amounts')
    op.drop_table('product_weekday_amounts')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.drop_column('kind')
