"""The cart: (product id, quantity) pairs in the signed session, checked against the catalogue."""

import re
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, session
from sqlalchemy import select

from ..bakery_calendar.service import ordering_day
from ..catalog.daily import for_day
from ..catalog.service import get_product
from ..exceptions import Invalid, Malformed, NotFound
from ..extensions import db
from ..models import Product
from ..orders.validation import quantity_problem

SESSION_KEY = "cart"
# ASCII digits only: int() also reads "٣" and a full-width "３" (and "1_000"), which nobody
# types into a quantity box; 100 digits is far past any quantity and still cheap to read.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,100}")


class CartError(Invalid):
    """A change the cart refuses; the message is shown next to the product's line or form."""

    def __init__(self, product, message):
        super().__init__(message, {"quantity": message})
        self.product = product


@dataclass
class CartLine:
    product: Product
    quantity: int
    problem: str | None = None

    @property
    def line_total(self):
        return self.product.price * self.quantity


@dataclass
class Cart:
    lines: list

    @property
    def total(self):
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def has_problems(self):
        return any(line.problem for line in self.lines)

    def order_lines(self):
        """{product id: quantity}, the shape place_order takes."""
        return {line.product.id: line.quantity for line in self.lines}

    def to_dict(self):
        return {
            "items": [
                {
                    "id": line.product.id,
                    "name": line.product.name,
                    "quantity": line.quantity,
                    "unit_price": line.product.price,
                    "line_total": line.line_total,
                    "problem": line.problem,
                }
                for line in self.lines
            ],
            "count": self.count,
            "total": self.total,
        }


def _stored():
    """The session's cart in the order things were added; anything malformed is ignored."""
    # A list of pairs, not a dict: the session serialiser sorts dict keys, which would reorder lines.
    pairs = session.get(SESSION_KEY) or []
    return {
        pair[0]: pair[1]
        for pair in pairs
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) and v > 0 for v in pair)
    }


def _store(items):
    session[SESSION_KEY] = [[product_id, quantity] for product_id, quantity in items.items()]


def item_count():
    """How many items the cart holds, read from the session alone (for the header badge)."""
    return sum(_stored().values())


def quantity_in_cart(product_id):
    return _stored().get(product_id, 0)


def load_cart():
    """The cart with current products and prices; each line says if stock no longer covers it."""
    items = _stored()
    if not items:
        return Cart([])
    found = db.session.scalars(select(Product).where(Product.id.in_(items))).all()
    if any(product.baked for product in found):
        for_day(found, _day())
    products = {p.id: p for p in found}
    lines = [
        CartLine(products[pid], quantity, _stock_problem(products[pid], quantity))
        for pid, quantity in items.items()
        if pid in products
    ]
    return Cart(lines)


def _stock_problem(product, quantity):
    if not product.active:
        return "No longer on sale — please remove it."
    if product.left == 0:
        return "Sold out — please remove it."
    if quantity > product.left:
        return f"Only {product.left} left — please lower the quantity."
    return None


def _checked_quantity(product, raw, already=0):
    """The whole quantity the cart would hold for `product`, or CartError saying why not."""
    text = str(raw).strip()
    if not WHOLE_NUMBER.fullmatch(text):
        raise CartError(product, "Enter a whole number, like 2.")
    quantity = int(text)
    problem = quantity_problem(quantity, current_app.config["MAX_ITEM_QUANTITY"])
    if problem is None:
        problem = quantity_problem(quantity + already, current_app.config["MAX_ITEM_QUANTITY"])
        if problem and already:
            problem += f" in total ({already} already in your cart)"
    if problem:
        raise CartError(product, f"Quantity {problem}.")
    if not product.available:
        raise CartError(product, "Sorry, this is sold out.")
    if quantity + already > product.left:
        extra = f" and {already} are already in your cart" if already else ""
        raise CartError(product, f"Only {product.left} left{extra}.")
    return quantity + already


def _product_id(raw):
    text = str(raw).strip() if raw is not None else ""
    if not WHOLE_NUMBER.fullmatch(text):
        raise Malformed("Choose a product to add")
    return int(text)


def add_item(raw_product_id, raw_quantity):
    """Add to the cart (on top of what is there); return the product."""
    product = _on_sale(_product_id(raw_product_id))
    items = _stored()
    items[product.id] = _checked_quantity(product, raw_quantity, already=items.get(product.id, 0))
    _store(items)
    return product


def set_quantity(product_id, raw_quantity):
    """Replace a line's quantity; a product not in the cart is a 404."""
    items = _stored()
    if product_id not in items:
        raise NotFound("That product is not in your cart")
    product = _on_sale(product_id)
    items[product_id] = _checked_quantity(product, raw_quantity)
    _store(items)


def _on_sale(product_id):
    """The product on sale with what is left of it for the day the shop takes orders for."""
    product = get_product(product_id)
    return for_day([product], _day())[0] if product.baked else product


def _day():
    # The customer's choice of day is at checkout; the cart checks the day the shop takes orders for.
    return ordering_day()


def remove_item(product_id):
    """Take a product out of the cart; removing what is not there is fine (a double click)."""
    items = _stored()
    items.pop(product_id, None)
    _store(items)


def clear():
    session.pop(SESSION_KEY, None)
