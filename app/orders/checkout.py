"""The checkout form: who collects the order and when, checked before the order is placed."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from ..exceptions import DomainError
from ..hours import earliest_pickup, local_now, pickup_problem
from .customer import contact_problem, name_problem, note_problem, split_contact
from .service import find_placed_order, place_order

FIELDS = ("name", "contact", "pickup_date", "pickup_time", "note")


@dataclass
class CheckoutForm:
    """What the customer entered (shown again on errors), the problems by field, and the one-time token."""

    values: dict
    token: str
    errors: dict = field(default_factory=dict)
    order: object = None  # the PlacedOrder, once placed


def _settings():
    config = current_app.config
    return (
        config["BAKERY_OPENING_HOURS"],
        local_now(config["BAKERY_TIMEZONE"]),
        config["BAKERY_PICKUP_LEAD_MINUTES"],
        config["BAKERY_PICKUP_DAYS_AHEAD"],
    )


def pickup_bounds():
    """(first, last) dates a pickup can be on, for the date field's min and max."""
    _week, now, _lead, days_ahead = _settings()
    return now.date(), now.date() + timedelta(days=days_ahead)


def new_form():
    """An empty form with the earliest pickup slot filled in and a fresh one-time token."""
    slot = earliest_pickup(*_settings())
    values = dict.fromkeys(FIELDS, "")
    if slot:
        values.update(pickup_date=slot.date().isoformat(), pickup_time=f"{slot:%H:%M}")
    return CheckoutForm(values, secrets.token_urlsafe(16))


def submit(form, cart):
    """Check the form and the cart and place the order; the result has `order` or `errors`.

    The token makes a double-clicked submit one order: the second request finds the first
    order by its idempotency key, even when the first has already emptied the cart.
    """
    token = form.get("order_token", "")
    checked = CheckoutForm(
        {name: form.get(name, "").strip() for name in FIELDS},
        token if 16 <= len(token) <= 64 else secrets.token_urlsafe(16),
    )
    key = f"checkout:{checked.token}"
    checked.order = find_placed_order(key)
    if checked.order:
        return checked
    customer, checked.errors = _customer(checked.values)
    if not cart.lines:
        checked.errors["cart"] = "Your cart is empty."
    elif cart.has_problems:
        checked.errors["cart"] = "Some items in your cart have changed. Please check your cart."
    if checked.errors:
        return checked
    try:
        checked.order, _created = place_order(cart.order_lines(), idempotency_key=key, customer=customer)
    except DomainError as refused:
        # Stock taken by someone else meanwhile, or a product retired: say so above the form.
        checked.errors["cart"] = f"{refused.message}. Please check your cart."
        checked.token = secrets.token_urlsafe(16)
    return checked


def _customer(values):
    """The customer details for place_order, and the problems by field name."""
    problems = {
        "name": name_problem(values["name"]),
        "contact": contact_problem(values["contact"]),
        "note": note_problem(values["note"]),
    }
    errors = {name: problem for name, problem in problems.items() if problem}
    contact = values["contact"]
    pickup = _pickup(values, errors)
    email, phone = split_contact(contact) if "contact" not in errors else (None, None)
    customer = {
        "name": values["name"],
        "contact": contact,
        "email": email,
        "phone": phone,
        "pickup_at": pickup,
        "note": values["note"] or None,
    }
    return customer, errors


def _pickup(values, errors):
    try:
        day = datetime.strptime(values["pickup_date"], "%Y-%m-%d").date()
    except ValueError:
        errors["pickup_date"] = "Choose the day you'll collect your order."
        return None
    try:
        at = datetime.strptime(values["pickup_time"], "%H:%M").time()
    except ValueError:
        errors["pickup_time"] = "Choose the time you'll collect your order, like 09:30."
        return None
    pickup = datetime.combine(day, at)
    week, now, _lead, days_ahead = _settings()
    problem = pickup_problem(pickup, week, now, days_ahead)
    if problem:
        errors[f"pickup_{problem[0]}"] = problem[1]
        return None
    return pickup
