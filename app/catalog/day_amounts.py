"""What a baked product is planned to bake on a day: the date's own amount (ProductDayAmount) if staff
set one, else its weekday's (ProductWeekdayAmount), else none. A product made to order has none: its
orders are what is baked, as the resources allow (app/catalog/resources.py)."""

from sqlalchemy import Date, cast, literal, null, select, union_all

from ..extensions import db
from ..models import Product, ProductDay, ProductDayAmount, ProductWeekdayAmount


def planned(product_ids, day):
    """{product id: how many are baked for `day`} for each of `product_ids` (0: none that day, or made to order)."""
    return read_days(product_ids, [day], with_ledger=False)[0].get(day, {})


WEEKLY, DATED, LEDGER, TO_ORDER = 0, 1, 2, 3  # what a row of read_days' query is


def read_days(product_ids, days, with_ledger):
    """({day: {product id: planned}}, {(product id, day): adjusted − taken − counter_sold}, {ids made to order})
    for `days`.

    One round trip (orders read it): the weekdays' amounts, the dates' own amounts (which win),
    which of the products are made to order (their amounts are not used) and, `with_ledger`, the
    days' ledger rows.
    """
    ids, days = list(product_ids), sorted(set(days))
    if not ids or not days:
        return {day: {} for day in days}, {}, set()
    no_weekday, no_day, nothing = literal(-1), cast(null(), Date), literal(0)
    planned_ids = Product.id.in_(ids) & Product.to_order.is_(False)
    parts = [
        select(
            literal(WEEKLY).label("source"),
            ProductWeekdayAmount.product_id,
            ProductWeekdayAmount.weekday,
            no_day.label("day"),
            ProductWeekdayAmount.amount,
        )
        .join(Product, Product.id == ProductWeekdayAmount.product_id)
        .where(planned_ids, ProductWeekdayAmount.weekday.in_(sorted({day.weekday() for day in days}))),
        select(literal(DATED), ProductDayAmount.product_id, no_weekday, ProductDayAmount.day, ProductDayAmount.amount)
        .join(Product, Product.id == ProductDayAmount.product_id)
        .where(planned_ids, ProductDayAmount.day.in_(days)),
        select(literal(TO_ORDER), Product.id, no_weekday, no_day, nothing).where(
            Product.id.in_(ids), Product.to_order.is_(True)
        ),
    ]
    if with_ledger:
        parts.append(
            select(
                literal(LEDGER),
                ProductDay.product_id,
                no_weekday,
                ProductDay.day,
                ProductDay.adjusted - ProductDay.taken - ProductDay.counter_sold,
            ).where(ProductDay.product_id.in_(ids), ProductDay.day.in_(days))
        )
    weekly, dated, changes, made_to_order = {}, {}, {}, set()
    for source, product_id, weekday, day, amount in db.session.execute(union_all(*parts)).all():
        if source == WEEKLY:
            weekly[product_id, weekday] = amount
        elif source == DATED:
            dated[product_id, day] = amount
        elif source == TO_ORDER:
            made_to_order.add(product_id)
        else:
            changes[product_id, day] = amount
    amounts = {day: {pid: dated.get((pid, day), weekly.get((pid, day.weekday()), 0)) for pid in ids} for day in days}
    return amounts, changes, made_to_order
