"""What a baked product has for a pickup day: its planned amount and its day ledger (ProductDay).

Planned: the date's own amount (ProductDayAmount) if staff set one, else the weekday's
(ProductWeekdayAmount), else none. Available for orders: planned + adjusted − taken − counter_sold.
Setting amounts (the CLI, the staff form) is here too; the caller commits.
"""

from sqlalchemy import literal, select, union_all

from ..extensions import db
from ..models import BAKED, STOCKED, ProductDay, ProductDayAmount, ProductWeekdayAmount, utcnow
from .invalidation import mark_catalog_changed

WEEKDAYS = range(7)


def planned(product_ids, day):
    """{product id: how many are baked for `day`} for each of `product_ids` (0: none that day)."""
    ids = list(product_ids)
    if not ids:
        return {}
    # One round trip (orders read it): the weekday's amounts, then the date's, which win.
    weekday = select(ProductWeekdayAmount.product_id, ProductWeekdayAmount.amount, literal(0).label("dated")).where(
        ProductWeekdayAmount.product_id.in_(ids), ProductWeekdayAmount.weekday == day.weekday()
    )
    dated = select(ProductDayAmount.product_id, ProductDayAmount.amount, literal(1).label("dated")).where(
        ProductDayAmount.product_id.in_(ids), ProductDayAmount.day == day
    )
    amounts = dict.fromkeys(ids, 0)
    rows = db.session.execute(union_all(weekday, dated)).all()
    amounts.update((product_id, amount) for product_id, amount, _dated in sorted(rows, key=lambda row: row[2]))
    return amounts


def available(product_ids, day):
    """{product id: how many orders can still take for `day`}, for baked products (may be below 0
    when staff lowered the amount after orders took some)."""
    amounts = planned(product_ids, day)
    if not amounts:
        return {}
    ledger = db.session.execute(
        select(ProductDay.product_id, ProductDay.adjusted - ProductDay.taken - ProductDay.counter_sold).where(
            ProductDay.product_id.in_(list(amounts)), ProductDay.day == day
        )
    )
    for product_id, change in ledger.all():
        amounts[product_id] += change
    return amounts


def for_day(products, day):
    """Set each baked product's `day_left` for pickups on `day`; returns `products`."""
    baked = {p.id: p for p in products if p.kind == BAKED}
    if day is None:
        for product in baked.values():
            product.day_left = 0
        return products
    for product_id, left in available(baked, day).items():
        baked[product_id].day_left = left
    return products


def first_days_with_some(product_ids, days):
    """{product id: the first of `days` with some left to order} for each of `product_ids` that has one.

    Three queries for all the days (weekday amounts, the days' own amounts, their ledgers), not a few per day.
    """
    ids, days = list(product_ids), sorted(days)
    if not ids or not days:
        return {}
    weekly = db.session.execute(
        select(ProductWeekdayAmount.product_id, ProductWeekdayAmount.weekday, ProductWeekdayAmount.amount).where(
            ProductWeekdayAmount.product_id.in_(ids)
        )
    )
    dated = db.session.execute(
        select(ProductDayAmount.product_id, ProductDayAmount.day, ProductDayAmount.amount).where(
            ProductDayAmount.product_id.in_(ids), ProductDayAmount.day.in_(days)
        )
    )
    ledger = db.session.execute(
        select(
            ProductDay.product_id, ProductDay.day, ProductDay.adjusted - ProductDay.taken - ProductDay.counter_sold
        ).where(ProductDay.product_id.in_(ids), ProductDay.day.in_(days))
    )
    by_weekday = {(product_id, weekday): amount for product_id, weekday, amount in weekly.all()}
    by_day = {(product_id, day): amount for product_id, day, amount in dated.all()}
    changes = {(product_id, day): change for product_id, day, change in ledger.all()}
    found = {}
    for product_id in ids:
        for day in days:
            planned_then = by_day.get((product_id, day), by_weekday.get((product_id, day.weekday()), 0))
            if planned_then + changes.get((product_id, day), 0) > 0:
                found[product_id] = day
                break
    return found


def set_weekday_amounts(product, amounts):
    """Make `product` baked, with `amounts` ({weekday: amount}; a weekday left out: none baked)."""
    product.set_weekday_amounts(amounts)
    _changed(product, BAKED)


def set_day_amount(product, day, amount):
    """Bake `amount` of `product` on `day` instead of its weekday's amount (and make it baked)."""
    row = db.session.get(ProductDayAmount, (product.id, day))
    if row is None:
        db.session.add(ProductDayAmount(product_id=product.id, day=day, amount=amount))
    else:
        row.amount = amount
    _changed(product, BAKED)


def make_stocked(product):
    """A product that is counted by its stock again; its weekday amounts stay for when it is baked again."""
    _changed(product, STOCKED)


def _changed(product, kind):
    # updated_at moves the catalogue's stamp (app/catalog/service.py: catalogue_stamp) for other processes.
    product.kind = kind
    product.updated_at = utcnow()
    mark_catalog_changed(db.session)
