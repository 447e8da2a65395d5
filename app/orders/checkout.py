"""The checkout form: who collects the order and when, checked before the order is placed."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from flask import current_app

from ..bakery_calendar import service as calendar_service
from ..bakery_calendar.rules import Lead, days_of_notice
from ..catalog.daily import available, available_by_day
from ..exceptions import Conflict, DomainError
from .customer import contact_problem, name_problem, note_problem, split_contact
from .service import find_placed_order, place_order

FIELDS = ("name", "contact", "pickup_date", "pickup_time", "note")
DAY_RAN_SHORT = "Your cart has just run short on the day you chose: the days below still have it all."


@dataclass
class CheckoutForm:
    """What the customer entered (shown again on errors), the problems by field, and the one-time token."""

    values: dict
    token: str
    errors: dict = field(default_factory=dict)
    order: object = None  # the PlacedOrder, once placed
    conflict: bool = False  # refused because what the order needed ran out meanwhile (a 409, not a 422)


@dataclass(frozen=True)
class DayShort:
    """An open day the cart cannot have: its baked lines with too few left then, as (product, left), or
    (`notice`) too soon for the days of notice one of its products needs."""

    day: date
    short: tuple
    chosen: bool = False  # the cart's pickup day, chosen by the customer
    notice: Lead | None = None

    @property
    def words(self):
        """ "only 2 Sourdough Loaf left, Rye Bread sold out", "Sourdough Loaf needs 2 days' notice" """
        if self.notice:
            return f"{self.notice.needs_days} needs {days_of_notice(self.notice.days)}"
        return ", ".join(
            f"only {left} {product.name} left" if left > 0 else f"{product.name} sold out"
            for product, left in self.short
        )


@dataclass(frozen=True)
class LineLimit:
    """A baked line of a cart that no day can take whole: the most any day has, and the days that have it all."""

    product: object
    quantity: int
    most: int
    full_days: tuple


@dataclass
class PickupChoice:
    """The days a customer can choose (open days with a time left to book, that can take the whole cart)
    and the chosen day's slots; the days the cart rules out, and why."""

    days: list  # [date]
    day: object
    slots: list
    closure: object = None
    closures: list = field(default_factory=list)  # closures within the horizon, to say why a day is missing
    left_out: list = field(default_factory=list)  # [DayShort]: open days without enough for the cart
    limits: list = field(default_factory=list)  # [LineLimit] when no day can take the whole cart

    LEFT_OUT_SHOWN = 4  # more days than that: "and N more days"

    @property
    def left_out_shown(self):
        return self.left_out[: self.LEFT_OUT_SHOWN]

    @property
    def left_out_more(self):
        return max(0, len(self.left_out) - self.LEFT_OUT_SHOWN)


def pickup_bounds():
    """(first, last) dates a pickup can be on."""
    calendar = calendar_service.load_calendar()
    moment = calendar_service.now()
    return moment.date(), calendar.last_day(moment)


def new_form(cart):
    """An empty form with a fresh one-time token; pickup_choice fills in the day (the cart's, if it can take
    the whole cart, else the earliest that can) and its first free time."""
    return CheckoutForm(dict.fromkeys(FIELDS, ""), secrets.token_urlsafe(16))


def typed_form(form):
    """The form as typed (a "Show times" post, without JavaScript): same token, new day's times."""
    token = form.get("order_token", "")
    values = {name: form.get(name, "").strip() for name in FIELDS}
    return CheckoutForm(values, token if 16 <= len(token) <= 64 else secrets.token_urlsafe(16))


def pickup_choice(cart, values):
    """The days to offer (open, bookable, and with enough of every baked line of `cart`) and the slots of the day
    in `values`; when that is none of them, of the cart's chosen day if offered, else of the earliest offered day
    (either with a free time, if one has)."""
    calendar = calendar_service.load_calendar()
    moment = calendar_service.now()
    lead = cart.lead
    bookable = {start.date() for start in calendar.feasible_slots(moment, lead)}
    open_days = [day for day in calendar.open_days(moment) if day in bookable]
    baked = _baked_lines(cart)
    left = available_by_day(baked, open_days) if baked else {}
    shorts = [short for short in (_day_short(cart, day, baked, left.get(day, {})) for day in open_days) if short]
    ruled_out = {short.day for short in shorts}
    days = [day for day in open_days if day not in ruled_out]
    day, slots = _day_and_slots(calendar, moment, lead, days, _asked_day(values), cart)
    closures = [c for c in calendar.closures if c.last >= moment.date() and c.first <= calendar.last_day(moment)]
    return PickupChoice(
        days=days,
        day=day,
        slots=slots,
        closure=calendar.closure_on(day) if day else None,
        closures=closures,
        left_out=sorted(_too_soon(calendar, moment, cart) + shorts, key=lambda short: (not short.chosen, short.day)),
        limits=_limits(cart, baked, left) if shorts and not days else [],
    )


def _too_soon(calendar, moment, cart):
    """[DayShort] for the days that could be booked but for the days of notice the cart needs."""
    lead = cart.lead
    if not lead.days:
        return []
    first = lead.first_day(moment.date())
    sooner = sorted({start.date() for start in calendar.feasible_slots(moment, replace(lead, days=0))})
    chosen = cart.day if cart.day_chosen else None
    return [DayShort(day, (), chosen=day == chosen, notice=lead) for day in sooner if day < first]


def cart_short_on(cart, day):
    """The DayShort of `day` if the cart's baked lines cannot all be had then, else None (for the slots of a day
    the checkout's day picker asks for: the day may have run out since the page was made)."""
    baked = _baked_lines(cart)
    return _day_short(cart, day, baked, available(baked, day)) if baked and day else None


def _baked_lines(cart):
    """{product id: quantity} of the cart's baked products."""
    return {line.product.id: line.quantity for line in cart.lines if line.product.baked}


def _day_short(cart, day, baked, left):
    short = tuple(
        (line.product, max(0, left.get(line.product.id, 0)))
        for line in cart.lines
        if line.product.id in baked and left.get(line.product.id, 0) < line.quantity
    )
    return DayShort(day, short, chosen=cart.day_chosen and day == cart.day) if short else None


def _limits(cart, baked, left):
    """What keeps every day from taking the whole cart: the lines no day has enough of, or else every baked
    line with the days that have it all (no day is among all of them)."""
    limits = []
    for line in cart.lines:
        if line.product.id not in baked:
            continue
        then = {day: amounts.get(line.product.id, 0) for day, amounts in left.items()}
        full_days = tuple(day for day in sorted(then) if then[day] >= line.quantity)
        limits.append(LineLimit(line.product, line.quantity, max([0, *then.values()]), full_days))
    too_many = [limit for limit in limits if not limit.full_days]
    return too_many or limits


def _asked_day(values):
    try:
        return datetime.strptime(values.get("pickup_date", ""), "%Y-%m-%d").date()
    except ValueError:
        return None


def _day_and_slots(calendar, moment, lead, days, asked, cart):
    """The day to show and its slots: `asked` if offered; else the cart's chosen day, else the earliest, with
    a free time if one of them has."""
    if asked in days:
        return asked, calendar_service.slots_on(calendar, asked, moment, lead)
    if not days:
        return None, []
    preferred = [cart.day] if cart.day_chosen and cart.day in days else []
    for day in preferred + [day for day in days if day not in preferred]:
        slots = calendar_service.slots_on(calendar, day, moment, lead)
        if any(slot.available for slot in slots):
            return day, slots
    first = (preferred or days)[0]  # every time taken: the day as it is, "no times left"
    return first, calendar_service.slots_on(calendar, first, moment, lead)


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
    customer, checked.errors = _customer(checked.values, cart.lead)
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
        elif "product_id" in details and "day" in details:
            # The day ran out of a baked product while the customer was choosing: the page offers the days left.
            checked.errors["pickup_date"] = f"{refused.message}. Please choose another day."
            checked.errors["form"] = DAY_RAN_SHORT
            checked.conflict = True
        elif "pickup_at" in details and "product_id" not in details:
            # The slot filled up while the customer was typing, or the cart needs more notice.
            full = isinstance(refused, Conflict)
            checked.errors["pickup_time"] = (
                "That time has just been fully booked — please choose another." if full else refused.message
            )
        else:
            # Stock taken by someone else meanwhile, or a product retired: say so above the form.
            checked.errors["cart"] = f"{refused.message}. Please check your cart."
            checked.conflict = isinstance(refused, Conflict)
        checked.token = secrets.token_urlsafe(16)
    return checked


def _customer(values, lead):
    """The customer details for place_order, and the problems by field name (`lead`: the cart's Lead)."""
    problems = {
        "name": name_problem(values["name"]),
        "contact": contact_problem(values["contact"]),
        "note": note_problem(values["note"]),
    }
    errors = {name: problem for name, problem in problems.items() if problem}
    contact = values["contact"]
    pickup = _pickup(values, errors, lead)
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


def _pickup(values, errors, lead):
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
    problem = calendar.problem(pickup, calendar_service.now(), lead)
    if problem:
        errors[f"pickup_{problem[0]}"] = problem[1]
        return None
    return pickup
