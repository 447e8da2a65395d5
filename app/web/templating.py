"""What every template and fragment can use: the shared macros and a few helpers."""

from datetime import date

from ..bakery_calendar import formatting as dates
from ..bakery_calendar.hours import summary
from ..bakery_calendar.rules import day_count, days_of_notice
from ..bakery_calendar.service import weekly_hours
from ..catalog.allergens import ALLERGENS, DIETARY
from ..catalog.pictures import sources as picture_sources
from ..form_values import truthy
from ..models import CANCELLED, COMPLETED, FAILED, NO_SHOW, PENDING, PROCESSING, READY
from ..orders.checkout import pickup_bounds
from .negotiation import is_htmx
from .shared_html import register_visitor

STATUS_HELP = {
    PENDING: "We've got your order and are passing it to the kitchen.",
    PROCESSING: "The kitchen has your order and is getting it ready.",
    READY: "Your order is ready — come and collect it at the counter.",
    COMPLETED: "Collected. Enjoy, and see you soon!",
    CANCELLED: "This order was cancelled. Nothing to pay.",
    FAILED: "Something went wrong with this order. Please call us and we'll sort it out.",
    NO_SHOW: "It was not collected on its pickup day. Please call us if you still need it.",
}


class SharedMacros:
    """`ui.money(...)` in any template; a global, because a block rendered alone sees no imports."""

    def __init__(self, env):
        self._env = env

    def __getattr__(self, name):
        return getattr(self._env.get_template("_macros.html").module, name)


def opening_hours():
    """The weekly opening hours staff keep, grouped for the footer."""
    return summary(weekly_hours())


def shop_view(ordering=None, free_from=()):
    """The catalogue's query for a pickup day and "free from" filter, for url_for: links keep both."""
    view = {}
    # Only a day the customer chose: the first day one can order for moves with the clock, and an add
    # from a page that carries a day makes it the cart's day.
    day = ordering.day if ordering and ordering.chosen else None
    if isinstance(day, date):
        view["day"] = day.isoformat()
    if free_from:
        view["free_from"] = ",".join(free_from)
    return view


def register_template_globals(app):
    register_visitor(app)
    app.jinja_env.globals.update(
        ui=SharedMacros(app.jinja_env),
        htmx_request=is_htmx,
        opening_hours=opening_hours,
        pickup_bounds=pickup_bounds,
        status_help=STATUS_HELP.get,
        ALLERGENS=ALLERGENS,  # code -> words, in Annex II order
        DIETARY=DIETARY,
        picture_sources=picture_sources,
        shop_view=shop_view,
    )
    app.jinja_env.filters.update(
        pickup_time=dates.pickup_time,
        day_name=dates.day_name,
        short_day=dates.short_day,
        clock=dates.clock,
        weekday_name=dates.weekday_name,
        day_count=day_count,
        days_of_notice=days_of_notice,
        truthy=truthy,
    )
    app.jinja_env.filters["allergen_name"] = ALLERGENS.get
