"""Product edits and the cancel reason: the rules behind the staff pages (board: board.py, accounts: accounts.py)."""

import logging
from datetime import timedelta

from sqlalchemy import select

from ..bakery_calendar import service as calendar_service
from ..catalog.service import MAX_STOCK, parse_price
from ..exceptions import Invalid
from ..extensions import db
from ..form_values import truthy, whole_number
from ..models import Product
from ..security.text_rules import unfit_characters
from .accounts import authenticate, create_staff, get_staff  # noqa: F401  (the staff service's account part)

LOGGER = logging.getLogger(__name__)


MAX_REASON = 300


def cancel_reason(text):
    """The reason staff give the customer for cancelling (optional): None, or clean text; Invalid otherwise."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise Invalid("The reason must be text", {"reason": "must be a string"})
    text = text.strip()
    if len(text) > MAX_REASON:
        raise Invalid(f"Please keep the reason under {MAX_REASON} characters", {"reason": "too long"})
    if unfit := unfit_characters(text):
        raise Invalid(f"The reason can't contain {unfit}", {"reason": unfit})
    return text or None


def all_products():
    """Every product, on sale or not, in a stable order."""
    return db.session.scalars(select(Product).order_by(Product.id)).all()


def product_changes(form):
    """(changes for update_product, errors by field) from the product row's form.

    A field left out is left unchanged; `active` takes the last value sent, so a hidden
    "0" before the checkbox means "unticked".
    """
    changes, errors = {}, {}
    if "price" in form:
        try:
            changes["price"] = parse_price(form.get("price"))
        except ValueError as refused:
            errors["price"] = str(refused)
    if "stock" in form:
        stock = whole_number(form.get("stock"), MAX_STOCK)
        if stock is None:
            errors["stock"] = f"A whole number from 0 to {MAX_STOCK}."
        else:
            changes["stock"] = stock
    if "active" in form:
        values = form.getlist("active") if hasattr(form, "getlist") else [form["active"]]
        changes["active"] = truthy(values[-1])
    return changes, errors


def pickup_day(moment):
    """A pickup time as the counter needs it: "Today 09:30", "Tomorrow 08:00", else "Sat 28 Nov 09:30"."""
    today = calendar_service.now().date()
    if moment.date() == today:
        return f"Today {moment:%H:%M}"
    if moment.date() == today + timedelta(days=1):
        return f"Tomorrow {moment:%H:%M}"
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"
