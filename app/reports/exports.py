"""The rows an accountant takes into a spreadsheet: one per order, or one per order line, for a range.

Plain values only (dates in ISO 8601, money as Decimal): the CSV writer turns them into cells.
Customer contact details stay out: the books need the code, day, status and money, not addresses.
"""

from sqlalchemy import func, select

from ..bakery_calendar.formatting import local_isoformat
from ..extensions import db
from ..models import Order, OrderItem
from ..orders.days import on_days, placed_day

ORDER_COLUMNS = ("day", "code", "order_id", "status", "pickup_at", "placed_at", "customer_name", "items", "total")
LINE_COLUMNS = (
    "day",
    "code",
    "order_id",
    "status",
    "pickup_at",
    "product_id",
    "product",
    "quantity",
    "unit_price",
    "line_total",
)
# What `_common` reads from every row.
_COMMON_COLUMNS = (Order.pickup_at, Order.created_at, Order.code, Order.public_id, Order.status)
_IN_PICKUP_ORDER = (Order.pickup_at.is_(None), Order.pickup_at, Order.created_at, Order.id)


def _day(pickup_at, created_at):
    return (pickup_at.date() if pickup_at else placed_day(created_at)).isoformat()


def _common(row, seen):
    """The columns every row starts with; `seen` remembers pickup times (a day has a few dozen slots, a
    month thousands of rows, and a UTC offset per row was most of an export's time)."""
    key = (row.pickup_at, row.created_at if row.pickup_at is None else None)
    if key not in seen:
        seen[key] = (_day(row.pickup_at, row.created_at), local_isoformat(row.pickup_at))
    day, pickup = seen[key]
    return (day, row.code, row.public_id, row.status, pickup)


def order_rows(first, last):
    """One row per order of the range (every status), in pickup order, as ORDER_COLUMNS."""
    counts = (
        select(OrderItem.order_id, func.sum(OrderItem.quantity).label("item_count"))
        .group_by(OrderItem.order_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            *_COMMON_COLUMNS,
            Order.customer_name,
            Order.total,
            func.coalesce(counts.c.item_count, 0).label("item_count"),
        )
        .outerjoin(counts, counts.c.order_id == Order.id)
        .where(on_days(first, last))
        .order_by(*_IN_PICKUP_ORDER)
    )
    seen = {}
    for row in rows:
        placed = row.created_at.isoformat(timespec="seconds") + "Z"
        yield (*_common(row, seen), placed, row.customer_name or "", int(row.item_count), row.total)


def line_rows(first, last):
    """One row per order line of the range (every status; the status says which were paid), as LINE_COLUMNS."""
    rows = db.session.execute(
        select(
            *_COMMON_COLUMNS,
            OrderItem.product_id,
            OrderItem.product_name,
            OrderItem.quantity,
            OrderItem.unit_price,
        )
        .join(Order, OrderItem.order_id == Order.id)
        .where(on_days(first, last))
        .order_by(*_IN_PICKUP_ORDER, OrderItem.id)
    )
    seen = {}
    for row in rows:
        line_total = row.unit_price * row.quantity
        yield (*_common(row, seen), row.product_id, row.product_name, row.quantity, row.unit_price, line_total)
