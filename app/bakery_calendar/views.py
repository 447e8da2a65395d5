"""The pickup slots customers can choose from: JSON for the API, the slot list for the checkout."""

from flask import Blueprint, request

from ..cart import service as cart_service
from ..orders.checkout import cart_short_on
from ..web.negotiation import respond, wants_json
from . import service

bp = Blueprint("calendar", __name__)


@bp.get("/pickup-slots")
def pickup_slots():
    """A day's slots (`?date=YYYY-MM-DD`; without it the next day the shop takes orders for); [] when closed.

    The checkout's day picker asks for them with htmx (as `pickup_date`), and then the
    cart's longest lead time counts too, and a day that no longer has enough for the cart says so.
    """
    calendar = service.load_calendar()
    moment = service.now()
    text = request.args.get("date", request.args.get("pickup_date"))
    day = service.parse_day(text, calendar, moment) if text else service.ordering_day(calendar, moment)
    lead, short = None, None
    if not wants_json():
        cart = cart_service.load_cart()
        lead = cart.lead
        short = cart_short_on(cart, day)  # the day may have run out since the checkout page was made
    slots = service.slots_on(calendar, day, moment, lead) if day else []
    return respond(
        [slot.to_dict(calendar) for slot in slots],
        "orders/pickup_slots.html",
        block="pickup_slots",
        slots=slots,
        day=day,
        closure=calendar.closure_on(day) if day else None,
        chosen=request.args.get("pickup_time", ""),
        short=short,
    )
