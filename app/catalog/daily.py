"""What a baked product has for a pickup day: its planned amount and its day ledger (ProductDay).

Planned: app/catalog/day_amounts.py. Available for orders: planned + adjusted − taken − counter_sold;
for a product made to order, what its resources have room for (app/catalog/resources.py).
Setting amounts (the CLI, the staff form) is here too; the caller commits.
The counter (record_counter) moves a day's ledger by what happens in the shop, and commits.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select

from .. import audit
from ..bakery_calendar import service as calendar_service
from ..bakery_calendar.formatting import day_name
from ..bakery_calendar.rules import Lead
from ..exceptions import Invalid
from ..extensions import db
from ..form_values import whole_number
from ..infra.statements import dialect_insert, upsert_text
from ..models import BAKED, STOCKED, ProductDay, ProductDayAmount, utcnow
from . import resources
from .day_amounts import planned, read_days
from .invalidation import mark_catalog_changed

WEEKDAYS = range(7)
# How far ahead a date can get its own amount: next Christmas, but not a typo'd year.
DAY_AMOUNT_HORIZON = timedelta(days=365)


def available(product_ids, day):
    """{product id: how many orders can still take for `day`}, for baked products (may be below 0
    when staff lowered the amount after orders took some)."""
    return available_by_day(product_ids, [day]).get(day, {})


def available_by_day(product_ids, days):
    """{day: {product id: how many orders can still take for that day}} for each of `days`, for baked products
    (may be below 0, as in available()). One made to order has what its resources have room for that day
    (app/catalog/resources.py).

    The one place that works out what is available: available() asks it for one day, the catalogue's
    "available Tuesday", the cart and the checkout's days for many, in one query whatever the number of days
    (and, for products made to order, a few more per day).
    """
    amounts, changes, made_to_order = read_days(product_ids, days, with_ledger=True)
    for (product_id, day), change in changes.items():
        amounts[day][product_id] += change
    for day in amounts if made_to_order else ():
        amounts[day].update(resources.room_to_order(made_to_order, day))
    return amounts


def first_days_with_some(product_ids, days, not_before=None):
    """{product id: the first of `days` with some left to order} for each of `product_ids` that has one;
    `not_before` ({product id: date}) leaves out a product's days before its own first one."""
    by_day = available_by_day(product_ids, days)
    not_before = not_before or {}
    found = {}
    for day in sorted(by_day, reverse=True):  # the earliest last: it wins
        found.update(
            (product_id, day)
            for product_id, left in by_day[day].items()
            if left > 0 and day >= not_before.get(product_id, day)
        )
    return found


def for_day(products, day):
    """Set each baked product's `day_left` for pickups on `day`, and each product's `notice_from` (the first
    day its days of notice allow, when `day` is before it); returns `products`."""
    baked = {p.id: p for p in products if p.kind == BAKED}
    if day is None:
        for product in products:
            product.notice_from = None
        for product in baked.values():
            product.day_left = 0
        return products
    today = calendar_service.now().date()
    for product in products:
        first = Lead.of_products([product]).first_day(today)
        product.notice_from = first if day < first else None
    for product_id, left in (available(baked, day) if baked else {}).items():
        baked[product_id].day_left = left
    return products


def set_weekday_amounts(product, amounts):
    """Make `product` baked, with `amounts` ({weekday: amount}; a weekday left out: none baked)."""
    product.set_weekday_amounts(amounts)
    _changed(product, BAKED)


def set_day_amount(product, day, amount):
    """Bake `amount` of `product` on `day` instead of its weekday's amount (and make it baked).

    Returns the date's own amount before (None: it had the weekday's).
    """
    before = db.session.scalar(
        select(ProductDayAmount.amount).where(ProductDayAmount.product_id == product.id, ProductDayAmount.day == day)
    )
    # One statement: two people setting the same date at once both succeed (the last one counts).
    db.session.execute(
        dialect_insert(ProductDayAmount)
        .values(product_id=product.id, day=day, amount=amount)
        .on_conflict_do_update(index_elements=["product_id", "day"], set_={"amount": amount})
    )
    _changed(product, BAKED)
    return before


def remove_day_amount(product, day):
    """The weekday's amount again on `day`: the date's own amount (returned; None if it had none) is deleted."""
    before = db.session.scalar(
        delete(ProductDayAmount)
        .where(ProductDayAmount.product_id == product.id, ProductDayAmount.day == day)
        .returning(ProductDayAmount.amount)
    )
    if before is not None:
        _changed(product, product.kind)
    return before


@dataclass(frozen=True)
class DayAmount:
    """A date with an amount of its own: `amount` baked instead of the weekday's (`weekday_amount`, 0: none).

    `open`: whether the shop opens that date (a closed day's amount is baked for nobody).
    """

    day: date
    amount: int
    weekday_amount: int
    open: bool = True

    def to_dict(self):
        return {
            "day": self.day.isoformat(),
            "amount": self.amount,
            "weekday_amount": self.weekday_amount,
            "open": self.open,
        }


def day_amount_range():
    """(first, last): the dates that can get an amount of their own, today to DAY_AMOUNT_HORIZON ahead."""
    today = calendar_service.now().date()
    return today, today + DAY_AMOUNT_HORIZON


def upcoming_day_amounts(product):
    """[DayAmount] of `product` from today on, by date (past days stay as they were baked, and out of sight)."""
    first, _last = day_amount_range()
    rows = db.session.execute(
        select(ProductDayAmount.day, ProductDayAmount.amount)
        .where(ProductDayAmount.product_id == product.id, ProductDayAmount.day >= first)
        .order_by(ProductDayAmount.day)
    ).all()
    if not rows:
        return []
    weekly, calendar = product.weekday_amounts, calendar_service.load_calendar()
    return [DayAmount(day, amount, weekly.get(day.weekday(), 0), calendar.is_open(day)) for day, amount in rows]


def make_stocked(product):
    """A product that is counted by its stock again; its weekday amounts stay for when it is baked again."""
    _changed(product, STOCKED)


def _changed(product, kind):
    # updated_at moves the catalogue's stamp (app/catalog/service.py: catalogue_stamp) for other processes.
    product.kind = kind
    product.updated_at = utcnow()
    mark_catalog_changed(db.session)


# The counter: walk-in sales, a second batch, burnt trays. Deltas on the day's ledger row, never
# a new total typed over what customers ordered meanwhile.

COUNTER_CHANGES = {"sold": "sold at the counter", "baked": "baked more", "burnt": "burnt"}
MAX_COUNTER = 10_000  # in one change
MAX_ADJUSTED = 1_000_000  # a day's extra bakes, all changes together
AMOUNT_RULE = f"A whole number from 1 to {MAX_COUNTER}."
CHANGE_RULE = "Choose sold, baked or burnt."

# Each makes the day's row if it is missing; the WHERE makes the change exact under concurrent orders.
_COUNTER_STATEMENTS = {
    "sold": upsert_text(
        "INSERT INTO product_days (product_id, day, taken, adjusted, counter_sold) "
        "VALUES (:product_id, :day, 0, 0, :counter_sold) ON CONFLICT (product_id, day) DO UPDATE "
        "SET counter_sold = product_days.counter_sold + excluded.counter_sold "
        "WHERE product_days.taken + product_days.counter_sold + excluded.counter_sold "
        "<= CAST(:planned AS INTEGER) + product_days.adjusted "
        "RETURNING taken, adjusted, counter_sold",
        ProductDay.__table__,
    ),
    "baked": upsert_text(
        "INSERT INTO product_days (product_id, day, taken, adjusted, counter_sold) "
        "VALUES (:product_id, :day, 0, :adjusted, 0) ON CONFLICT (product_id, day) DO UPDATE "
        "SET adjusted = product_days.adjusted + excluded.adjusted "
        "WHERE product_days.adjusted + excluded.adjusted <= CAST(:most AS INTEGER) "
        "RETURNING taken, adjusted, counter_sold",
        ProductDay.__table__,
    ),
    # Burnt may leave the day short of what orders hold (the bread is gone all the same),
    # but not below what was baked and not sold at the counter.
    "burnt": upsert_text(
        "INSERT INTO product_days (product_id, day, taken, adjusted, counter_sold) "
        "VALUES (:product_id, :day, 0, :adjusted, 0) ON CONFLICT (product_id, day) DO UPDATE "
        "SET adjusted = product_days.adjusted + excluded.adjusted "
        "WHERE CAST(:planned AS INTEGER) + product_days.adjusted + excluded.adjusted - product_days.counter_sold >= 0 "
        "RETURNING taken, adjusted, counter_sold",
        ProductDay.__table__,
    ),
}


@dataclass(frozen=True)
class CounterDay:
    """A baked product's day as the counter shows it."""

    product: object
    day: date
    planned: int
    taken: int = 0
    adjusted: int = 0
    counter_sold: int = 0

    @property
    def left(self):
        """What orders and the counter can still take (below 0: short of what orders hold)."""
        return self.planned + self.adjusted - self.taken - self.counter_sold

    @property
    def short(self):
        return max(0, -self.left)

    @property
    def warning(self):
        if not self.short:
            return ""
        return f"{day_name(self.day)} is now {self.short} short of what orders hold"

    def to_dict(self):
        return {
            "product_id": self.product.id,
            "product": self.product.name,
            "day": self.day.isoformat(),
            "planned": self.planned,
            "ordered": self.taken,
            "counter_sold": self.counter_sold,
            "adjusted": self.adjusted,
            "available": max(0, self.left),
            "short": self.short,
            "warning": self.warning or None,
        }


def counter_days(products, day):
    """[CounterDay] for the baked ones of `products` on `day` (not those made to order: what is baked of
    them is what was ordered, so nothing is left for the counter)."""
    baked = [p for p in products if p.kind == BAKED and not p.to_order]
    amounts = planned([p.id for p in baked], day)
    rows = db.session.execute(
        select(ProductDay.product_id, ProductDay.taken, ProductDay.adjusted, ProductDay.counter_sold).where(
            ProductDay.product_id.in_(list(amounts)), ProductDay.day == day
        )
    )
    ledger = {row.product_id: row for row in rows.all()}
    return [_counter_day(p, day, amounts[p.id], ledger.get(p.id)) for p in baked]


def _counter_day(product, day, amount, row):
    if row is None:
        return CounterDay(product, day, amount)
    return CounterDay(product, day, amount, row.taken, row.adjusted, row.counter_sold)


def parse_counter_change(value):
    """One of COUNTER_CHANGES; Invalid otherwise."""
    if not isinstance(value, str) or value not in COUNTER_CHANGES:
        raise Invalid(CHANGE_RULE, {"change": CHANGE_RULE})
    return value


def parse_counter_amount(value):
    """How many, as staff type it: 1 to MAX_COUNTER; Invalid otherwise."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else whole_number(value, MAX_COUNTER, 1)
    if number is None or not 1 <= number <= MAX_COUNTER:
        raise Invalid(AMOUNT_RULE, {"amount": AMOUNT_RULE})
    return number


def record_counter(product, day, change, amount, reason="", actor=None):
    """Move `product`'s ledger for `day` by `amount` `change`d at the counter, in one statement; commit.

    Returns the CounterDay as it is now. Invalid for a stocked product, a sale of more than is
    left, or more burnt than was baked and not sold; nothing changes then.
    """
    if product.kind != BAKED:
        message = f"{product.name} is counted by its stock, not baked daily: adjust its stock on Products."
        raise Invalid(message, {"product_id": message})
    if product.to_order:
        message = f"{product.name} is made to order: what is baked of it is what customers ordered."
        raise Invalid(message, {"product_id": message})
    before = counter_days([product], day)[0]
    params = {"product_id": product.id, "day": day, "planned": before.planned, "most": MAX_ADJUSTED}
    if change == "sold":
        params["counter_sold"] = amount
    else:
        params["adjusted"] = amount if change == "baked" else -amount
    row = db.session.execute(_COUNTER_STATEMENTS[change], params).one_or_none()
    after = _counter_day(product, day, before.planned, row) if row is not None else None
    if after is None or _overdrawn(after, change):  # a first row made over the limit is refused too
        db.session.rollback()
        _refuse(product, day, change)
    if actor is not None:
        shown = f"+{amount}" if change != "burnt" else f"\u2212{amount}"
        why = f" ({reason})" if reason else ""
        detail = f"{day.isoformat()} {COUNTER_CHANGES[change]} {shown}{why}: left {before.left} → {after.left}"
        audit.record(actor, f"product.counter.{change}", "product", product.id, detail)
    mark_catalog_changed(db.session)  # that day's "available"
    db.session.commit()
    return after


def _overdrawn(day, change):
    if change == "sold":
        return day.left < 0
    if change == "burnt":
        return day.planned + day.adjusted - day.counter_sold < 0
    return day.adjusted > MAX_ADJUSTED


def _refuse(product, day, change):
    now = counter_days([product], day)[0]
    when = day_name(day)
    if change == "sold":
        message = f"Only {now.left} left for {when}" if now.left > 0 else f"None left for {when}"
    elif change == "burnt":
        most = max(0, now.planned + now.adjusted - now.counter_sold)
        message = f"Only {most} baked and not sold at the counter for {when}"
    else:
        message = f"That would be more than {MAX_ADJUSTED} baked extra for {when}"
    raise Invalid(message, {"amount": message})
