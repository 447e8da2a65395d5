"""The checkout form: who collects the order and when, checked before the order is placed."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from ..bakery_calendar import service as calendar_service
from ..exceptions import Conflict, DomainError
from . import capacity
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


@dataclass
class PickupChoice:
    """The days a customer can choose (open days with a time left to book) and the chosen day's slots."""

    days: list  # [date]
    day: object
    slots: list
    closure: object = None
    closures: list = field(default_factory=list)  # closures within the horizon, to say why a day is missing


def pickup_bounds():
    """(first, last) dates a pickup can be on."""
    calendar = calendar_service.load_calendar()
    moment = calendar_service.now()
    return moment.date(), calendar.last_day(moment)


def _lead(calendar, cart):
    return capacity.lead_minutes(calendar, {line.product.id: line.product for line in cart.lines})


def new_form(cart):
    """An empty form with the earliest free pickup slot for this cart filled in and a fresh one-time token."""
    calendar = calendar_service.load_calendar()
    slot = capacity.first_free(
        calendar, calendar_service.now(), _lead(calendar, cart), cart.order_lines(), _products(cart)
    )
    values = dict.fromkeys(FIELDS, "")
    if slot:
        values.update(pickup_date=slot.date().isoformat(), pickup_time=f"{slot:%H:%M}")
    return CheckoutForm(values, secrets.token_urlsafe(16))


def typed_form(form):
    """The form as typed (a "Show times" post, without JavaScript): same token, new day's times."""
    token = form.get("order_token", "")
    values = {name: form.get(name, "").strip() for name in FIELDS}
    return CheckoutForm(values, token if 16 <= len(token) <= 64 else secrets.token_urlsafe(16))


def pickup_choice(cart, values):
    """The days to offer and the slots of the day in `values` (the first offered day if it is not one)."""
    calendar = calendar_service.load_calendar()
    moment = calendar_service.now()
    lead = _lead(calendar, cart)
    bookable = {start.date() for start in calendar.feasible_slots(moment, lead)}
    days = [day for day in calendar.open_days(moment) if day in bookable]
    try:
        day = datetime.strptime(values.get("pickup_date", ""), "%Y-%m-%d").date()
    except ValueError:
        day = None
    if day not in days:
        day = days[0] if days else None
    closures = [c for c in calendar.closures if c.last >= moment.date() and c.first <= calendar.last_day(moment)]
    return PickupChoice(
        days=days,
        day=day,
        slots=calendar_service.slots_on(calendar, day, moment, lead) if day else [],
        closure=calendar.closure_on(day) if day else None,
        closures=closures,
    )


def _products(cart):
    return {line.product.id: line.product for line in cart.lines}


def checkout_key(token, holder):
    """The idempotency key of the order a checkout form's token places, bound to `holder`:
    the session the form was given to. The same token from another session is another key,
    so a copied token never leads to somebody else's order (name, contact, note)."""
    message = f"{holder}:{token}".encode()
    return "checkout:" + hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def submit(form, cart, holder, placed_by=None, client=None):
    """Check the form and the cart and place the order; the result has `order` or `errors`.

    The token makes a double-clicked submit one order: the second request finds the first
    order by its idempotency key, even when the first has already emptied the cart. The key
    is bound to `holder`, a random id of the session that was given the form. `placed_by`
    says who places it (service.placer_hash); `client` is its address or API key, for the caps
    on what one client can hold (holds.client_of).
    """
    token = form.get("order_token", "")
    checked = CheckoutForm(
        {name: form.get(name, "").strip() for name in FIELDS},
        token if 16 <= len(token) <= 64 else secrets.token_urlsafe(16),
    )
    key = checkout_key(checked.token, holder)
    checked.order = find_placed_order(key)
    if checked.order:
        return checked
    customer, checked.errors = _customer(checked.values)
    customer["placed_by"] = placed_by
    if not cart.lines:
        checked.errors["cart"] = "Your cart is empty."
    elif cart.has_problems:
        checked.errors["cart"] = "Some items in your cart have changed. Please check your cart."
    if checked.errors:
        return checked
    try:
        checked.order, _created = place_order(cart.order_lines(), idempotency_key=key, customer=customer, client=client)
    except DomainError as refused:
        details = refused.details or {}
        if "contact" in details:
            checked.errors["contact"] = refused.message  # too many open orders for this contact
        elif details.get("client_cap") == "items per day":
            checked.errors["pickup_date"] = refused.message
        elif details.get("client_cap") == "orders per slot":
            checked.errors["pickup_time"] = refused.message
        elif "items" in details:
            checked.errors["cart"] = refused.message  # more items than one order may hold
        elif "pickup_at" in details and "product_id" not in details:
            # The slot filled up while the customer was typing, or the cart needs more notice.
            full = isinstance(refused, Conflict)
            checked.errors["pickup_time"] = (
                "That time has just been fully booked — please choose another." if full else refused.message
            )
        else:
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
        errors["pickup_time"] = "Choose the time you'll collect your order."
        return None
    pickup = datetime.combine(day, at)
    calendar = calendar_service.load_calendar()
    problem = calendar.problem(pickup, calendar_service.now())
    if problem:
        errors[f"pickup_{problem[0]}"] = problem[1]
        return None
    return pickup
