"""Staff accounts and product edits: the rules behind the staff pages (the board is in board.py)."""

import logging
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..calendar.service import now as bakery_now
from ..catalog.service import parse_price
from ..exceptions import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import Product, StaffUser, is_id
from ..orders.customer import CONTROL

LOGGER = logging.getLogger(__name__)
USERNAME = re.compile(r"^[a-z0-9._-]{2,80}$")
MIN_PASSWORD = 6
MAX_STOCK = 100_000
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
# A hash to check when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def create_staff(username, password):
    """Add a staff user; Invalid for a bad name or short password, Conflict if the name is taken."""
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise Invalid("A username is 2–80 letters, digits, dots, dashes or underscores")
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"The password needs at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise Conflict(f"There is already a staff user called {username}")
    user = StaffUser(username=username, password_hash=generate_password_hash(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(f"There is already a staff user called {username}") from error
    LOGGER.info("staff user created username=%s", username)
    return user


def authenticate(username, password):
    """The staff user with these credentials, or None."""
    username = (username or "").strip().lower()
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username)) if username else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def get_staff(staff_id):
    """The staff user with this id, or None (e.g. deleted since they logged in)."""
    return db.session.get(StaffUser, staff_id) if isinstance(staff_id, int) else None


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
    if CONTROL.search(text):
        raise Invalid("The reason can't contain control characters", {"reason": "control characters"})
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
        stock = str(form.get("stock", "")).strip()
        # ASCII digits only: "²" and "①" pass str.isdigit() but not int().
        if not WHOLE_NUMBER.fullmatch(stock) or int(stock) > MAX_STOCK:
            errors["stock"] = f"A whole number from 0 to {MAX_STOCK}."
        else:
            changes["stock"] = int(stock)
    if "active" in form:
        values = form.getlist("active") if hasattr(form, "getlist") else [form["active"]]
        changes["active"] = str(values[-1]).lower() in ("1", "true", "on", "yes")
    return changes, errors


def get_any_product(product_id):
    """Any product with this id, on sale or not; NotFound otherwise."""
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None:
        raise NotFound("No product with that id")
    return product


def pickup_day(moment):
    """A pickup time as the counter needs it: "Today 09:30", "Tomorrow 08:00", else "Sat 28 Nov 09:30"."""
    today = bakery_now().date()
    if moment.date() == today:
        return f"Today {moment:%H:%M}"
    if moment.date() == today + timedelta(days=1):
        return f"Tomorrow {moment:%H:%M}"
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"
