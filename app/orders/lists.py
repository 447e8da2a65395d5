"""What the kitchen and the counter work from on one day: the bake list (how many of each product)
and the pick list (each order to pack). The board's "To bake" box is the bake list too: one
function, so the two can never disagree."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from ..catalog import resources
from ..catalog.day_amounts import planned
from ..extensions import db
from ..models import BAKED, COMPLETED, PENDING, PROCESSING, READY, Category, Order, OrderItem, Product, ProductDay
from .days import on_days

# Orders still to hand over: what the pick list shows unless asked for all of the day's orders.
TO_PICK = (PENDING, PROCESSING, READY)
# What a day's baking is for: its open orders and its collected ones. A collected order was baked
# for that day, so the figure stays the same all day long (a list reprinted at noon matches the
# morning's); cancelled and failed orders are not baked for, and a no-show's customer will not come.
TO_BAKE = (*TO_PICK, COMPLETED)


@dataclass(frozen=True)
class BakeLine:
    """One product's row: what the day's orders (or one pickup slot's) ask for, from how many orders,
    what the day bakes for the counter on top, and in how many batches.

    `to_bake` (ordered + for the counter) is the figure every page shows.
    """

    category: str | None
    product_id: int
    product: str
    ordered: int
    orders: int
    slot: datetime | None = None
    for_counter: int = 0
    batch_size: int | None = None
    uses: tuple = ()  # ((resource name, unit, per batch), ...)

    @property
    def to_bake(self):
        return self.ordered + self.for_counter

    @property
    def batches(self):
        """How many batches make `to_bake` (None for a product with no batch size and no resource)."""
        if self.batch_size is None and not self.uses:
            return None
        return resources.batches(self.to_bake, self.batch_size)

    @property
    def in_units(self):
        """ "4 trays" (of its first resource), else "4 batches"; "" when it has no batches."""
        count = self.batches
        if count is None:
            return ""
        if self.uses:
            _resource, unit, per_batch = self.uses[0]
            return f"{count * per_batch} {resources.unit_word(unit, count * per_batch)}"
        return f"{count} batch" if count == 1 else f"{count} batches"


@dataclass
class BakeList:
    """A day's bake list: its lines in category (and slot) order, how many orders they come from and
    the load of each resource (ResourceLoad) that day. By slot, what is baked for the counter is
    in `counter_lines`, after the slots."""

    day: object
    by_slot: bool
    lines: list
    order_count: int
    loads: list = field(default_factory=list)
    counter_lines: list = field(default_factory=list)

    @property
    def total_quantity(self):
        return sum(line.to_bake for line in (*self.lines, *self.counter_lines))

    @property
    def slots(self):
        """[(slot start or None, [(category, [lines])])], in the order of `lines`."""
        return _grouped(self.lines, lambda line: line.slot, lambda lines: _grouped(lines, lambda line: line.category))

    @property
    def counter_categories(self):
        return _grouped(self.counter_lines, lambda line: line.category)


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
    """What to bake for `day`: per product, what its orders in TO_BAKE ask for plus, for a baked product
    with a day's amount, the rest of that amount for the counter (app/catalog/resources.py: to_bake),
    by category (and by pickup slot when asked, the counter's share after the slots)."""
    ordered = _ordered(day, by_slot)
    baked = _baked_products(day)
    for_counter = {}
    for product in baked:
        total_ordered = sum(row.ordered for row in ordered if row.product_id == product.id)
        total = resources.to_bake(product.planned, total_ordered, product.adjusted, product.counter_sold)
        if total > total_ordered:
            for_counter[product.id] = total - total_ordered
    details = {product.id: product for product in baked}
    if by_slot:  # batches are the whole day's: a slot's share of a tray is no tray
        details = {}
    lines = [
        _line(row, details.get(row.product_id), 0 if by_slot else for_counter.pop(row.product_id, 0)) for row in ordered
    ]
    extra = [
        BakeLine(
            category=product.category,
            product_id=product.id,
            product=product.name,
            ordered=0,
            orders=0,
            for_counter=for_counter[product.id],
            batch_size=None if by_slot else product.batch_size,
            uses=() if by_slot else product.uses,
        )
        for product in baked
        if product.id in for_counter
    ]
    count = db.session.scalar(select(func.count(Order.id)).where(*_baked_orders(day)))
    loads = resources.day_loads(day)
    if by_slot:
        return BakeList(day=day, by_slot=True, lines=lines, order_count=count, loads=loads, counter_lines=extra)
    positions = {row.category: row.position for row in (*ordered, *baked)}
    return BakeList(
        day=day, by_slot=False, lines=_in_shelf_order(lines + extra, positions), order_count=count, loads=loads
    )


@dataclass(frozen=True)
class _Baked:
    """A baked product's day as the bake list needs it."""

    id: int
    name: str
    category: str | None
    position: int | None
    planned: int
    adjusted: int
    counter_sold: int
    batch_size: int | None
    uses: tuple


def _baked_products(day):
    """[_Baked] for every baked product on sale, or with a ledger row that day (its orders or the counter's)."""
    ledger = {
        row.product_id: row
        for row in db.session.execute(
            select(ProductDay.product_id, ProductDay.adjusted, ProductDay.counter_sold).where(ProductDay.day == day)
        ).all()
    }
    products = db.session.execute(
        select(Product.id, Product.name, Category.name, Category.position, Product.batch_size)
        .outerjoin(Category, Product.category_id == Category.id)
        .where(Product.kind == BAKED, Product.active.is_(True) | Product.id.in_(list(ledger)))
    ).all()
    amounts = planned([row[0] for row in products], day)
    uses = resources.uses_of([row[0] for row in products])
    found = []
    for product_id, name, category, position, batch_size in products:
        row = ledger.get(product_id)
        found.append(
            _Baked(
                id=product_id,
                name=name,
                category=category,
                position=position,
                planned=amounts.get(product_id, 0),
                adjusted=row.adjusted if row else 0,
                counter_sold=row.counter_sold if row else 0,
                batch_size=batch_size,
                uses=uses.get(product_id, ()),
            )
        )
    return found


def _line(row, baked, for_counter):
    return BakeLine(
        category=row.category,
        product_id=row.product_id,
        product=row.product,
        ordered=row.ordered,
        orders=row.orders,
        slot=row.slot,
        for_counter=for_counter,
        batch_size=baked.batch_size if baked else None,
        uses=baked.uses if baked else (),
    )


def _in_shelf_order(lines, positions):
    """The lines by category (by its position in `positions`, those without one last) then product name."""
    return sorted(
        lines,
        key=lambda line: (
            line.category is None,
            positions.get(line.category) is None,
            positions.get(line.category) or 0,
            line.category or "",
            line.product,
        ),
    )


@dataclass(frozen=True)
class _Ordered:
    slot: datetime | None
    category: str | None
    position: int | None
    product_id: int
    product: str
    ordered: int
    orders: int


def _ordered(day, by_slot):
    """[_Ordered] per product (and pickup slot) over the day's orders in TO_BAKE, in shelf (and slot) order."""
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
    return [
        _Ordered(
            slot=row[0] if by_slot else None,
            category=row[-6],
            position=row[-5],
            product_id=row[-4],
            product=row[-3],
            ordered=int(row[-2]),
            orders=row[-1],
        )
        for row in rows
    ]


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
