"""What the kitchen and the counter work from on one day: the bake list (how many of each product)
and the pick list (each order to pack). The board's "To bake" box is the bake list too: one
function, so the two can never disagree."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import COMPLETED, PENDING, PROCESSING, READY, Category, Order, OrderItem, Product
from .days import on_days

# Orders still to hand over: what the pick list shows unless asked for all of the day's orders.
TO_PICK = (PENDING, PROCESSING, READY)
# What a day's baking is for: its open orders and its collected ones. A collected order was baked
# for that day, so the figure stays the same all day long (a list reprinted at noon matches the
# morning's); cancelled and failed orders are not baked for, and a no-show's customer will not come.
TO_BAKE = (*TO_PICK, COMPLETED)


@dataclass(frozen=True)
class BakeLine:
    """One product's row: how many the day's orders (or one pickup slot's) ask for, from how many orders.

    `to_bake` is the figure every page shows; what is planned for the counter would add to it here.
    """

    category: str | None
    product_id: int
    product: str
    ordered: int
    orders: int
    slot: datetime | None = None

    @property
    def to_bake(self):
        return self.ordered


@dataclass
class BakeList:
    """A day's bake list: its lines in category (and slot) order and how many orders they come from."""

    day: object
    by_slot: bool
    lines: list
    order_count: int

    @property
    def total_quantity(self):
        return sum(line.to_bake for line in self.lines)

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


@dataclass
class PickList:
    """A day's orders to pack in pickup order, and how many of the day's others are not listed."""

    day: object
    show_all: bool
    orders: list
    hidden: int


def _baked_orders(day):
    return (on_days(day), Order.status.in_(TO_BAKE))


def bake_list(day, by_slot=False):
    """What to bake for `day`, per product over its orders in TO_BAKE, by category (and by pickup slot when asked)."""
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
            ordered=int(row[-2]),
            orders=row[-1],
            slot=row[0] if by_slot else None,
        )
        for row in rows
    ]
    count = db.session.scalar(select(func.count(Order.id)).where(*_baked_orders(day)))
    return BakeList(day=day, by_slot=by_slot, lines=lines, order_count=count)


def pick_list(day, show_all=False):
    """The day's orders still to hand over (every order of the day with `show_all`) in pickup order,
    with their items and the products' allergens loaded; the rest of the day's orders are counted."""
    shown = [on_days(day)] if show_all else [on_days(day), Order.status.in_(TO_PICK)]
    orders = db.session.scalars(
        select(Order)
        .where(*shown)
        .options(selectinload(Order.items).selectinload(OrderItem.product))
        .order_by(Order.pickup_at.is_(None), Order.pickup_at, Order.created_at, Order.id)
    ).all()
    hidden = 0 if show_all else db.session.scalar(select(func.count(Order.id)).where(on_days(day))) - len(orders)
    return PickList(day=day, show_all=show_all, orders=orders, hidden=hidden)
