"""The figures of a range of days, aggregated in SQL: per day, per product, the best sellers and totals.

Revenue counts collected (Completed) orders only: customers pay at pickup, so nothing else is money
taken. Items sold are the items of those orders too. Each order counts on its day (app/orders/days.py).
"""

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal

from sqlalchemy import case, distinct, func, select

from ..extensions import db
from ..models import CANCELLED, COMPLETED, FAILED, NO_SHOW, Order, OrderItem, Product
from ..orders.days import on_days, placed_day

BEST_SELLERS = 5
ZERO = Decimal("0.00")
# Which column of a day an order's status counts in; anything else is still open (to bake or collect).
STATUS_COLUMN = {COMPLETED: "collected", CANCELLED: "cancelled", NO_SHOW: "no_shows", FAILED: "failed"}


@dataclass
class DayFigures:
    day: date | None = None
    orders: int = 0
    collected: int = 0
    open: int = 0
    cancelled: int = 0
    no_shows: int = 0
    failed: int = 0
    items: int = 0
    revenue: Decimal = ZERO

    def add(self, other):
        for name in (f.name for f in fields(self) if f.name != "day"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self):
        figures = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**figures, "day": self.day.isoformat() if self.day else None}


@dataclass(frozen=True)
class ProductFigures:
    product_id: int
    product: str
    quantity: int
    revenue: Decimal
    orders: int

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Report:
    first: date
    last: date
    days: list = field(default_factory=list)
    products: list = field(default_factory=list)
    totals: DayFigures = field(default_factory=DayFigures)

    @property
    def best_sellers(self):
        return self.products[:BEST_SELLERS]

    def to_dict(self):
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "revenue_counts": "collected (Completed) orders only",
            "days": [d.to_dict() for d in self.days],
            "products": [p.to_dict() for p in self.products],
            "best_sellers": [p.to_dict() for p in self.best_sellers],
            "totals": {k: v for k, v in self.totals.to_dict().items() if k != "day"},
        }


def _day_keys():
    """GROUP BY keys that give an order's day: its pickup date, or (for the few orders without a
    pickup time) its exact creation time, turned into a local day in Python by `_day_of`."""
    return func.date(Order.pickup_at), case((Order.pickup_at.is_(None), Order.created_at))


def _day_of(pickup_date, created_at):
    if pickup_date is None:
        return placed_day(created_at)
    return pickup_date if isinstance(pickup_date, date) else date.fromisoformat(pickup_date)


def report(first, last):
    """The figures of the orders that belong to the days from `first` to `last`."""
    result = Report(first=first, last=last)
    by_day = {}
    pickup_date, created = _day_keys()

    def figures(day_key, created_key):
        day = _day_of(day_key, created_key)
        return by_day.setdefault(day, DayFigures(day=day))

    orders = db.session.execute(
        select(pickup_date, created, Order.status, func.count(Order.id), func.sum(Order.total))
        .where(on_days(first, last))
        .group_by(pickup_date, created, Order.status)
    )
    for day_key, created_key, status, count, total in orders:
        day = figures(day_key, created_key)
        day.orders += count
        column = STATUS_COLUMN.get(status, "open")
        setattr(day, column, getattr(day, column) + count)
        if status == COMPLETED:
            day.revenue += Decimal(total or 0).quantize(ZERO)
    items = db.session.execute(
        select(pickup_date, created, func.sum(OrderItem.quantity))
        .join(Order, OrderItem.order_id == Order.id)
        .where(on_days(first, last), Order.status == COMPLETED)
        .group_by(pickup_date, created)
    )
    for day_key, created_key, quantity in items:
        figures(day_key, created_key).items += int(quantity)
    result.days = [by_day[day] for day in sorted(by_day)]
    for day in result.days:
        result.totals.add(day)
    result.products = _products(first, last)
    return result


def _products(first, last):
    """Quantity and revenue per product over the collected orders, best seller first."""
    quantity = func.sum(OrderItem.quantity)
    rows = db.session.execute(
        select(
            OrderItem.product_id,
            Product.name,
            quantity,
            func.sum(OrderItem.quantity * OrderItem.unit_price),
            func.count(distinct(OrderItem.order_id)),
        )
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .where(on_days(first, last), Order.status == COMPLETED)
        .group_by(OrderItem.product_id, Product.name)
        .order_by(quantity.desc(), Product.name)
    )
    return [
        ProductFigures(
            product_id=pid, product=name, quantity=int(qty), revenue=Decimal(revenue).quantize(ZERO), orders=count
        )
        for pid, name, qty, revenue, count in rows
    ]
