"""Which day an order belongs to, and the orders of a day: what the board, the bake and pick lists
and the reports share, so that each of them counts an order on the same day.

An order belongs to its pickup day (a local wall time). An order without a pickup time (made
before pickup slots existed) belongs to the local day it was placed on.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Order, OrderItem

# How far the board looks for the next opening day.
HORIZON_DAYS = 60
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _timezone():
    return ZoneInfo(current_app.config["BAKERY_TIMEZONE"])


def order_day(order):
    """The local day `order` belongs to."""
    if order.pickup_at is not None:
        return order.pickup_at.date()
    return order.created_at.replace(tzinfo=UTC).astimezone(_timezone()).date()


def _utc_midnight(day):
    """Local midnight at the start of `day`, as the naive UTC time `created_at` is stored in."""
    return datetime.combine(day, time.min, tzinfo=_timezone()).astimezone(UTC).replace(tzinfo=None)


def on_days(first, last=None):
    """A WHERE clause: orders that belong to a day from `first` to `last` (inclusive; `last` defaults to `first`)."""
    end = (last or first) + timedelta(days=1)
    local_start, local_end = datetime.combine(first, time.min), datetime.combine(end, time.min)
    return or_(
        and_(Order.pickup_at >= local_start, Order.pickup_at < local_end),
        and_(
            Order.pickup_at.is_(None),
            Order.created_at >= _utc_midnight(first),
            Order.created_at < _utc_midnight(end),
        ),
    )


def before(day):
    """A WHERE clause: orders that belong to a day before `day`."""
    return or_(
        Order.pickup_at < datetime.combine(day, time.min),
        and_(Order.pickup_at.is_(None), Order.created_at < _utc_midnight(day)),
    )


def since(day):
    """A WHERE clause: orders that belong to `day` or a later day."""
    return or_(
        Order.pickup_at >= datetime.combine(day, time.min),
        and_(Order.pickup_at.is_(None), Order.created_at >= _utc_midnight(day)),
    )


def orders_on(first, last=None, statuses=None):
    """The orders of those days in pickup order (items, their products and notifications loaded)."""
    query = (
        select(Order)
        .where(on_days(first, last))
        .options(selectinload(Order.items).selectinload(OrderItem.product), selectinload(Order.notifications))
        .order_by(Order.pickup_at.is_(None), Order.pickup_at, Order.created_at, Order.id)
    )
    if statuses is not None:
        query = query.where(Order.status.in_(statuses))
    return db.session.scalars(query).all()


def board_day(calendar, moment):
    """The day the staff board opens on: today until closing time, then the next opening day."""
    today = moment.date()
    hours = calendar.hours_on(today)
    if hours is not None and moment.time() < hours[1]:
        return today
    for ahead in range(1, HORIZON_DAYS + 1):
        day = today + timedelta(days=ahead)
        if calendar.is_open(day):
            return day
    return today + timedelta(days=1)


def parse_board_day(text):
    """A YYYY-MM-DD date, or None when `text` is not one.

    Bounded to this century: a day's window around 9999-12-31 or 0001-01-01 overflows `datetime`.
    """
    if not isinstance(text, str) or len(text) != 10:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def placed_day(created_at):
    """The local day a stored (naive UTC) `created_at` falls on: the day of an order without a pickup time."""
    return created_at.replace(tzinfo=UTC).astimezone(_timezone()).date()
