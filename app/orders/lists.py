"""What the kitchen and the counter work from on one day: the bake list (how many of each product)
and the pick list (each order to pack). Both count every order of the day that will be collected or
was: everything but Cancelled and Failed (a collected order was baked too)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Category, Order, OrderItem, Product
from .days import NOT_BAKED, on_days


@dataclass(frozen=True)
class BakeLine:
    """How many of one product the day's orders (or one pickup slot's) need, and from how many orders."""

    category: str | None
    product_id: int
    product: str
    quantity: int
    orders: int
    slot: datetime | None = None


@dataclass
class BakeList:
    """A day's bake list: its lines in category (and slot) order and how many orders they come from."""

    day: object
    by_slot: bool
    lines: list
    order_count: int

    @property
    def total_quantity(self):
        return sum(line.quantity for line in self.lines)

    @property
    def slots(self):
        """[(slot start or None, [(category, [lines])])], in the order of `lines`."""
        return _grouped(self.lines, lambda line: line.slot, lambda lines: _grouped(lines, lambda line: line.category))


def _grouped(items, key, inner=lambda group: group):
    """Consecutive items with the same key, as [(key, inner(items))] (the query already sorted them)."""
    groups = []
    for item in items:
        if groups and groups[-1][0] == key(item):
            groups[-1][1].append(item)
        else:
            groups.append((key(item), [item]))
    return [(name, inner(group)) for name, group in groups]


def _baked_orders(day):
    return (on_days(day), Order.status.not_in(NOT_BAKED))


def bake_list(day, by_slot=False):
    """Quantity per product over the day's baked orders, by category (and by pickup slot when asked)."""
    slot = [Order.pickup_at] if by_slot else []
    columns = [
        *slot,
        Category.name,
        Category.position,
        Product.id,
        Product.name,
        func.sum(OrderItem.quantity),
        func.count(distinct(OrderItem.order_id)),
    ]
    rows = db.session.execute(
        select(*columns)
        .select_from(OrderItem)
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .outerjoin(Category, Product.category_id == Category.id)
        .where(*_baked_orders(day))
        .group_by(*slot, Category.id, Category.name, Category.position, Product.id, Product.name)
        .order_by(
            *[s.is_(None) for s in slot],
            *slot,
            Category.position.is_(None),
            Category.position,
            Category.name,
            Product.name,
        )
    ).all()
    lines = [
        BakeLine(
            category=row[-6],
            product_id=row[-4],
            product=row[-3],
            quantity=int(row[-2]),
            orders=row[-1],
            slot=row[0] if by_slot else None,
        )
        for row in rows
    ]
    count = db.session.scalar(select(func.count(Order.id)).where(*_baked_orders(day)))
    return BakeList(day=day, by_slot=by_slot, lines=lines, order_count=count)


def pick_list(day):
    """The day's baked orders in pickup order, with their items and the products' allergens loaded."""
    return db.session.scalars(
        select(Order)
        .where(*_baked_orders(day))
        .options(selectinload(Order.items).selectinload(OrderItem.product))
        .order_by(Order.pickup_at.is_(None), Order.pickup_at, Order.created_at, Order.id)
    ).all()
