"""The cart: (product id, quantity) pairs in the signed session, checked against the catalogue for its pickup day.

The pickup day is the one the customer chose: in the catalogue (an add from a page with `?day=`) or
on the cart page; it is kept in the session with the cart. Without one, or when that day can no
longer be ordered for, the cart is checked for the first day one can order for, as the catalogue is.
The checkout offers the days that can take the whole cart (app/orders/checkout.py).
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app, session
from sqlalchemy import select

from ..bakery_calendar import service as calendar_service
from ..bakery_calendar.formatting import day_name, weekday_name
from ..bakery_calendar.rules import Lead, day_count, days_of_notice
from ..bakery_calendar.service import ordering_days, parse_day
from ..catalog.daily import available_by_day, for_day
from ..catalog.service import get_product
from ..exceptions import Invalid, Malformed, NotFound
from ..extensions import db
from ..models import Product
from ..orders.validation import quantity_problem

SESSION_KEY = "cart"
DAY_KEY = "cart_day"  # the pickup day the customer chose, YYYY-MM-DD
# ASCII digits only: int() also reads "٣" and a full-width "３" (and "1_000"), which nobody
# types into a quantity box; 100 digits is far past any quantity and still cheap to read.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,100}")


class CartError(Invalid):
    """A change the cart refuses; the message is shown next to the product's line or form."""

    def __init__(self, product, message, day=None):
        super().__init__(message, {"quantity": message})
        self.product = product
        self.day = day  # the pickup day the add was for, when the customer chose one


@dataclass
class CartLine:
    product: Product
    quantity: int
    problem: str | None = None
    # The problem must be fixed before checking out; else the line only cannot be had on the cart's day.
    blocking: bool = False
    full_day: date | None = None  # then, the first day that can take the whole line

    @property
    def line_total(self):
        return self.product.price * self.quantity


@dataclass
class Cart:
    lines: list
    day: date | None = None  # the pickup day the lines are checked for
    day_chosen: bool = False  # the customer chose it (else: the first day one can order for)
    lapsed_day: date | None = None  # a day the customer chose that can no longer be ordered for
    choices: tuple = ()  # the days one can order for

    @property
    def total(self):
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def lead(self):
        """The notice its products need (Lead): the checkout offers only days far enough ahead for it."""
        return Lead.of_products(line.product for line in self.lines)

    @property
    def has_problems(self):
        """Whether a line must change before checking out (a line short on the cart's day only need not)."""
        return any(line.blocking for line in self.lines)

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
                    "available": line.product.left if line.product.active else 0,
                    "problem": line.problem,
                    "problem_blocks_checkout": line.blocking,
                    "available_in_full_on": line.full_day.isoformat() if line.full_day else None,
                }
                for line in self.lines
            ],
            "count": self.count,
            "total": self.total,
            "pickup_day": self.day.isoformat() if self.day else None,
            "pickup_day_chosen": self.day_chosen,
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
    """The cart with current products and prices for its pickup day; each line says if it cannot be had."""
    items = _stored()
    if not items:
        return Cart([])
    choices = ordering_days()
    found = _products(items)
    day, chosen, lapsed = _pickup_day(choices, found)
    for_day(found, day)
    products = {p.id: p for p in found}
    lines = [CartLine(products[pid], quantity) for pid, quantity in items.items() if pid in products]
    _check_lines(lines, day, choices)
    return Cart(lines, day, chosen, lapsed, tuple(choices))


def _products(product_ids):
    """The products with these ids, on sale or not."""
    return db.session.scalars(select(Product).where(Product.id.in_(product_ids))).all() if product_ids else []


def cart_day():
    """The pickup day the customer chose for their cart (None: none, or not a date), whether or not it can
    still be ordered for."""
    return _as_day(session.get(DAY_KEY))


def _pickup_day(choices, products):
    """(the day the cart holding `products` is checked for, whether the customer chose it, a chosen day that
    lapsed). Unless the customer chose one: the first day one can order for that their days of notice allow."""
    stored = cart_day()
    if stored in choices:
        return stored, True, None
    notice = Lead.of_products(products).first_day(calendar_service.now().date())
    allowed = [day for day in choices if day >= notice] or choices
    return (allowed[0] if allowed else None), False, stored


def _as_day(text):
    """A YYYY-MM-DD date, or None."""
    try:
        return parse_day(text) if isinstance(text, str) else None
    except Invalid:
        return None


def _check_lines(lines, day, choices):
    """Set each line's problem: off sale and stock for all days; a baked line short on `day`, or any line too
    soon for its days of notice then, says which day has it."""
    later = {}  # lines another day may take
    for line in lines:
        product = line.product
        if not product.active:
            line.problem, line.blocking = "No longer on sale — please remove it.", True
        elif product.notice_from or (product.baked and line.quantity > product.left):
            later[product.id] = line
        else:
            line.problem = _stock_problem(product, line.quantity)
            line.blocking = line.problem is not None
    if not later:
        return
    # One query for every other day one can order for: the first that has the whole line.
    baked = [product_id for product_id, line in later.items() if line.product.baked]
    others = available_by_day(baked, [other for other in choices if other != day])
    for product_id, line in later.items():
        product = line.product
        left_then = {
            other: amounts[product_id] if product.baked else product.stock
            for other, amounts in others.items()
            if product.notice_from is None or other >= product.notice_from
        }
        line.full_day = next((other for other in sorted(left_then) if left_then[other] >= line.quantity), None)
        line.problem = _too_soon(line, day) if product.notice_from else _short_on_day(line, day, left_then)
        line.blocking = line.full_day is None


def _too_soon(line, day):
    """Why a line cannot be had on `day`, too soon for its days of notice, and which day can take it."""
    ahead = f"Order {day_count(line.product.lead_days)} ahead"
    if line.full_day:
        return f"{ahead} — available {_day_near(line.full_day, day)}."
    return f"{ahead}: no day we take orders for has enough — please lower the quantity or remove it."


def _short_on_day(line, day, left_then):
    """Why a baked line cannot be had on `day`, and which day can take it (`left_then`: {other day: left})."""
    if day is None:
        return "We are not taking orders in the coming days — please call us."
    when, left = weekday_name(day.weekday()), line.product.left
    if line.full_day:
        later = _day_near(line.full_day, day)
        if left:
            return f"Only {left} left for {when} — available in full on {later}."
        return f"Sold out for {when} — available {later}."
    if left:
        return f"Only {left} left for {when} — please lower the quantity."
    most = max(left_then, key=lambda other: (left_then[other], -other.toordinal()), default=None)
    if most is not None and left_then[most] > 0:
        return f"Sold out for {when}; {_day_near(most, day)} has {left_then[most]} — please lower the quantity."
    return f"Sold out for {when} and the coming days — please remove it."


def _day_near(other, day):
    """Another day as the line names it: its weekday within a week of `day`, else its date."""
    return weekday_name(other.weekday()) if abs((other - day).days) < 7 else day_name(other)


def _stock_problem(product, quantity):
    if product.left == 0:
        return "Sold out — please remove it."
    if quantity > product.left:
        return f"Only {product.left} left — please lower the quantity."
    return None


def _checked_quantity(product, raw, day, already=0):
    """The whole quantity the cart would hold for `product` (for pickup on `day`), or CartError saying why not."""
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
    when = f" for {weekday_name(day.weekday())}" if product.baked and day else ""
    if product.notice_from:
        raise CartError(
            product,
            f"{product.name} needs {days_of_notice(product.lead_days)}: "
            f"choose {day_name(product.notice_from)} or later as your pickup day.",
        )
    if not product.available:
        raise CartError(product, f"Sorry, this is sold out{when}.")
    if quantity + already > product.left:
        extra = f" and {already} are already in your cart" if already else ""
        raise CartError(product, f"Only {product.left} left{when}{extra}.")
    return quantity + already


def _product_id(raw):
    text = str(raw).strip() if raw is not None else ""
    if not WHOLE_NUMBER.fullmatch(text):
        raise Malformed("Choose a product to add")
    return int(text)


@dataclass(frozen=True)
class Added:
    """What an add did: the product (with what is left for the day), the day the customer chose for it, and
    whether that moved the rest of the cart to another pickup day."""

    product: Product
    day: date | None
    moved_cart: bool


def add_item(raw_product_id, raw_quantity, raw_day=None):
    """Add to the cart (on top of what is there), checked for `raw_day` (the catalogue's day, which
    becomes the cart's) or else the cart's day; return Added."""
    product = get_product(_product_id(raw_product_id))
    choices = ordering_days()
    before = _pickup_day(choices, _products(_stored()))[0]
    try:
        asked = _asked_day(product, raw_day, choices)
    except CartError:
        _for(product, before)  # the form that says so offers it for the cart's day
        raise
    day = asked or before
    _for(product, day)
    items = _stored()
    try:
        items[product.id] = _checked_quantity(product, raw_quantity, day, already=items.get(product.id, 0))
    except CartError as refused:
        refused.day = asked
        raise
    moved = asked is not None and asked != before and any(pid != product.id for pid in items)
    _store(items)
    if asked:
        session[DAY_KEY] = asked.isoformat()
    return Added(product, asked, moved)


def _for(product, day):
    """`product` with what is left of it for pickup on `day` (none when too soon for its days of notice)."""
    return for_day([product], day)[0]


def _asked_day(product, raw, choices):
    """The pickup day an add was sent for (None: none); CartError for one that cannot be ordered for."""
    text = str(raw or "").strip()
    if not text:
        return None
    day = _as_day(text)
    if day is None:
        raise CartError(product, "That pickup day is not a date. Please choose the day again.")
    if day not in choices:
        raise CartError(product, f"We no longer take orders for pickup on {day_name(day)}. Please choose another day.")
    return day


def set_quantity(product_id, raw_quantity):
    """Replace a line's quantity, checked for the cart's pickup day; a product not in the cart is a 404."""
    items = _stored()
    if product_id not in items:
        raise NotFound("That product is not in your cart")
    product = get_product(product_id)
    day = _pickup_day(ordering_days(), _products(items))[0]
    items[product_id] = _checked_quantity(_for(product, day), raw_quantity, day)
    _store(items)


DAY_RULE = "Choose one of the days in the list."


def set_day(raw_day):
    """Make `raw_day` (YYYY-MM-DD, a day one can order for) the cart's pickup day; Invalid otherwise."""
    day = _as_day(str(raw_day or "").strip())
    if day is None or day not in ordering_days():
        raise Invalid(DAY_RULE, {"day": DAY_RULE})
    session[DAY_KEY] = day.isoformat()
    return day


def remove_item(product_id):
    """Take a product out of the cart; removing what is not there is fine (a double click)."""
    items = _stored()
    items.pop(product_id, None)
    _store(items)


def clear():
    session.pop(SESSION_KEY, None)
    session.pop(DAY_KEY, None)
