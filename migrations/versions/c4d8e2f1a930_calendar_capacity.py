"""the calendar and its capacity: weekly hours, closures, special hours, slot capacity, bookings, daily quotas

Revision ID: c4d8e2f1a930
Revises: d4e1b7c9f2a6
Create Date: 2026-12-01 22:10:00.000000

"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8e2f1a930'
down_revision = 'd4e1b7c9f2a6'
branch_labels = None
depends_on = None

# Frozen here: orders in these states hold their slot and their share of a day's quota.
OPEN_STATUSES = ('Pending', 'Processing', 'Ready', 'Completed')


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_quota', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lead_hours', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('daily_quota_nonnegative', 'daily_quota IS NULL OR daily_quota >= 0')
        batch_op.create_check_constraint('lead_hours_nonnegative', 'lead_hours IS NULL OR lead_hours >= 0')

    # Seeded from BAKERY_HOURS by the app on first use: a migration cannot read the app's settings.
    op.create_table('weekly_hours',
    sa.Column('weekday', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('opens', sa.Time(), nullable=True),
    sa.Column('closes', sa.Time(), nullable=True),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_weekly_hours_weekday_known')),
    sa.CheckConstraint('(opens IS NULL AND closes IS NULL) OR opens < closes',
                       name=op.f('ck_weekly_hours_opens_before_closes')),
    sa.PrimaryKeyConstraint('weekday', name=op.f('pk_weekly_hours'))
    )
    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint('first_day <= last_day', name=op.f('ck_closures_first_before_last')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    op.create_index(op.f('ix_closures_first_day'), 'closures', ['first_day'], unique=False)
    op.create_index(op.f('ix_closures_last_day'), 'closures', ['last_day'], unique=False)
    op.create_table('special_hours',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.CheckConstraint('opens < closes', name=op.f('ck_special_hours_opens_before_closes')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_special_hours'))
    )
    op.create_table('calendar_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('slot_capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_calendar_settings_single_row')),
    sa.CheckConstraint('slot_capacity >= 0', name=op.f('ck_calendar_settings_capacity_nonnegative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_settings'))
    )
    op.create_table('day_capacities',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_day_capacities_capacity_nonnegative')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_day_capacities'))
    )
    op.create_table('slot_capacities',
    sa.Column('slot_start', sa.DateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_slot_capacities_capacity_nonnegative')),
    sa.PrimaryKeyConstraint('slot_start', name=op.f('pk_slot_capacities'))
    )
    bookings = op.create_table('slot_bookings',
    sa.Column('slot_start', sa.DateTime(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.CheckConstraint('taken >= 0', name=op.f('ck_slot_bookings_taken_nonnegative')),
    sa.PrimaryKeyConstraint('slot_start', name=op.f('pk_slot_bookings'))
    )
    quotas = op.create_table('product_day_quota',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.CheckConstraint('taken >= 0', name=op.f('ck_product_day_quota_taken_nonnegative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_day_quota_product_id_products'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'day', name=op.f('pk_product_day_quota'))
    )
    _count_existing_orders(bookings, quotas)


def _count_existing_orders(bookings, quotas):
    """Orders placed before this revision hold their pickup time: cancelling one later gives it back."""
    # Typed columns: SQLite hands back text for a DATETIME unless SQLAlchemy knows the type.
    orders = sa.table('orders', sa.column('id', sa.Integer), sa.column('pickup_at', sa.DateTime),
                      sa.column('status', sa.String))
    items = sa.table('order_items', sa.column('order_id', sa.Integer), sa.column('product_id', sa.Integer),
                     sa.column('quantity', sa.Integer))
    rows = op.get_bind().execute(
        sa.select(orders.c.pickup_at, items.c.product_id, items.c.quantity, orders.c.id)
        .join_from(orders, items, items.c.order_id == orders.c.id)
        .where(orders.c.pickup_at.is_not(None), orders.c.status.in_(OPEN_STATUSES))
    ).all()
    slots, days = {}, Counter()
    for pickup_at, product_id, quantity, order_id in rows:
        slots.setdefault(pickup_at, set()).add(order_id)
        days[(product_id, pickup_at.date())] += quantity
    if slots:
        op.bulk_insert(bookings, [{'slot_start': start, 'taken': len(ids)} for start, ids in slots.items()])
    if days:
        op.bulk_insert(quotas, [{'product_id': p, 'day': d, 'taken': n} for (p, d), n in days.items()])


def downgrade():
    op.drop_table('product_day_quota')
    op.drop_table('slot_bookings')
    op.drop_table('slot_capacities')
    op.drop_table('day_capacities')
    op.drop_table('calendar_settings')
    op.drop_table('special_hours')
    op.drop_index(op.f('ix_closures_last_day'), table_name='closures')
    op.drop_index(op.f('ix_closures_first_day'), table_name='closures')
    op.drop_table('closures')
    op.drop_table('weekly_hours')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('lead_hours_nonnegative', type_='check')
        batch_op.drop_constraint('daily_quota_nonnegative', type_='check')
        batch_op.drop_column('lead_hours')
        batch_op.drop_column('daily_quota')
