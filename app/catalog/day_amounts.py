"""What a baked product is planned to bake on a day: the date's own amount (ProductDayAmount) if staff
set one, else its weekday's (ProductWeekdayAmount), else none; a product made to order has none
(its orders are what is baked, as the resources allow: app/catalog/resources.py)."""

from sqlalchemy import literal, select, union_all

from ..extensions import db
from ..models import Product, ProductDayAmount, ProductWeekdayAmount


def planned(product_ids, day):
    """{product id: how many are baked for `day`} for each of `product_ids` (0: none that day, or made to order)."""
    return plans(product_ids, day)[0]


# A row of plans that says "made to order" rather than an amount.
_TO_ORDER = 2


def plans(product_ids, day):
    """(planned as planned() says, the ids of the products made to order)."""
    ids = list(product_ids)
    if not ids:
        return {}, set()
    # One round trip (orders read it): the weekday's amounts, then the date's, which win; and which are made to order.
    amounts_of = Product.id.in_(ids) & Product.to_order.is_(False)
    weekday = (
        select(ProductWeekdayAmount.product_id, ProductWeekdayAmount.amount, literal(0).label("dated"))
        .join(Product, Product.id == ProductWeekdayAmount.product_id)
        .where(amounts_of, ProductWeekdayAmount.weekday == day.weekday())
    )
    dated = (
        select(ProductDayAmount.product_id, ProductDayAmount.amount, literal(1).label("dated"))
        .join(Product, Product.id == ProductDayAmount.product_id)
        .where(amounts_of, ProductDayAmount.day == day)
    )
    to_order = select(Product.id, literal(0), literal(_TO_ORDER)).where(Product.id.in_(ids), Product.to_order.is_(True))
    amounts, made_to_order = dict.fromkeys(ids, 0), set()
    for product_id, amount, kind in sorted(db.session.execute(union_all(weekday, dated, to_order)).all(), key=_third):
        if kind == _TO_ORDER:
            made_to_order.add(product_id)
        else:
            amounts[product_id] = amount
    return amounts, made_to_order


def _third(row):
    return row[2]
