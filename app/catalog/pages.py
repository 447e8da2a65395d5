"""The catalogue's cached answers, for its views: JSON bytes with their ETag, and HTML shared by all.

The shared HTML is rendered with `EVERYONE` (slots for the per-visitor parts) and never
reads a session; the views pass each visitor's parts in, and `personalise()` fills them.
"""

import hashlib
import time

from flask import current_app, render_template, request
from markupsafe import Markup

from ..bakery_calendar import service as calendar_service
from ..web.negotiation import VARY
from ..web.shared_html import EVERYONE, personalise
from .daily import first_days_with_some
from .service import catalogue_stamp, free_from, list_products, shelves


def catalogue_json(free_from_codes=(), day=None):
    """The catalogue for pickups on `day` (default: the day the shop takes orders for) as ready-to-send
    JSON bytes with their ETag and headers; the whole one from the cache.

    A "free from" view is built from the database each time: there are 2^14 of them, too
    many to keep, and each costs one query.
    """
    day = day or taking_orders_for().day
    if free_from_codes:
        return _json_entry(free_from(list_products(day), free_from_codes))
    today = calendar_service.now().date()  # a product's days of notice count from it
    return _catalog_cache().get(
        f"products.json@{day}@{today}", lambda: _json_entry(list_products(day)), lambda: catalogue_stamp(day)
    )


def send_json(entry):
    """Send pre-serialised JSON; a client holding the same ETag gets a bodiless 304."""
    if entry["etag"] in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(entry["body"], content_type="application/json")
    # Added one by one after the body: handed to the constructor they cost more CPU
    # (docs/performance.md, "What the speed-ups buy").
    add = response.headers.add
    for name, value in entry["headers"].items():
        add(name, value)
    return response


class OrderingDay:
    """The pickup day the catalogue shows, whether that is today, the days one can order for (`choices`), and
    whether the customer `chosen` the day (`?day=`: links keep it, and adding to the cart makes it the cart's day)."""

    def __init__(self, day, today, choices=(), chosen=False):
        self.day, self.today, self.choices, self.chosen = day, today, tuple(choices), chosen
        self.is_today = day is None or day == today
        # Part of every cache key: the page's heading, its day form, its links and "only N left" change with them.
        offered = hashlib.sha256(",".join(map(str, self.choices)).encode()).hexdigest()[:12]
        # Today too: a product's days of notice count from it.
        self.key = f"{day}:{today}:{int(self.is_today)}:{int(chosen)}:{offered}"

    def pick(self, day):
        """The same choices, showing `day` (one of them) as the customer's choice."""
        return OrderingDay(day, self.today, self.choices, chosen=True)


# The catalogue asks for the ordering day on every request, and working it out reads the whole
# calendar (five queries): a process reuses it this long, or until its catalogue cache is
# invalidated (a calendar edit in this process). Another process's edit shows within this time.
ORDERING_DAY_TTL = 10.0


def taking_orders_for():
    """The OrderingDay now (it moves at closing time, at the cutoff and over closed days)."""
    memo = current_app.extensions.setdefault("ordering_day_memo", {})
    generation = _catalog_cache().generation
    if memo.get("generation") == generation and memo.get("until", 0.0) > time.monotonic():
        return memo["day"]
    moment = calendar_service.now()
    calendar = calendar_service.load_calendar()
    # The days with a pickup slot still open to orders: the first is the ordering day.
    choices = calendar_service.ordering_days(calendar, moment)
    day = OrderingDay(choices[0] if choices else None, moment.date(), choices)
    memo.update(day=day, generation=generation, until=time.monotonic() + ORDERING_DAY_TTL)
    return day


def _json_entry(products):
    body = current_app.json.dumps([p.to_dict() for p in products], separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    # Headers built once with the body: the hot path only copies them.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": VARY}
    return {"body": body, "etag": etag, "headers": headers}


def grid_html(visitor, free_from_codes=(), ordering=None):
    """The product grid for `visitor` (the htmx fragment's content) for the `ordering` day (default: the
    first one can order for), filtered "free from" some allergens."""
    day = ordering or taking_orders_for()
    if visitor.messages or free_from_codes:
        return _grid_html(visitor, day, free_from_codes)  # a message waits for one card (an add without JavaScript)
    html = _catalog_cache().get(f"grid.html@{day.key}", lambda: shared_grid_html(day), lambda: catalogue_stamp(day.day))
    return personalise(html, visitor)


def page_html(visitor, free_from_codes=(), ordering=None, day_error=None):
    """The whole catalogue page for `visitor`: the page cached for everyone, with their parts filled in."""
    day = ordering or taking_orders_for()
    if visitor.messages or free_from_codes or day_error:
        return render_template(
            "catalog/index.html",
            grid_html=_grid_html(visitor, day, free_from_codes),
            visitor=visitor,
            free_from=free_from_codes,
            ordering=day,
            day_error=day_error,
        )
    html = _catalog_cache().get(
        f"index.html@{day.key}", lambda: shared_page_html(day), lambda: catalogue_stamp(day.day)
    )
    return personalise(html, visitor)


def shared_grid_html(day=None):
    """The grid as cached for every visitor: slots for their parts; reads no session."""
    return _grid_html(EVERYONE, day or taking_orders_for())


def shared_page_html(day=None):
    """The page as cached for every visitor: slots for their parts; reads no session."""
    day = day or taking_orders_for()
    return render_template(
        "catalog/index.html", grid_html=_grid_html(EVERYONE, day), visitor=EVERYONE, free_from=(), ordering=day
    )


def _grid_html(visitor, day, free_from_codes=()):
    products = list_products(day.day)
    shown = free_from(products, free_from_codes) if free_from_codes else products
    with_next_day(shown, day)
    # Our own rendered template, escaped by Jinja
    return Markup(  # nosec B704
        render_template(
            "catalog/_grid.html",
            shelves=shelves(shown),
            visitor=visitor,
            free_from=free_from_codes,
            hidden=len(products) - len(shown),
            ordering=day,
        )
    )


def with_next_day(products, ordering):
    """Set `next_day` on the products one cannot order for the `ordering` day (baked ones sold out, any too soon
    for their days of notice): the next day one can order some."""
    later = [d for d in ordering.choices if ordering.day is not None and d > ordering.day]
    missed = {p.id: p for p in products if p.active and (p.baked or p.notice_from) and not p.available}
    baked = [pid for pid, p in missed.items() if p.baked]
    floors = {pid: missed[pid].notice_from for pid in baked if missed[pid].notice_from}
    for product_id, day in first_days_with_some(baked, later, floors).items():
        missed[product_id].next_day = day
    for product in missed.values():
        if not product.baked and product.stock > 0:  # stocked, too soon: its stock waits for a later day
            product.next_day = next((d for d in later if d >= product.notice_from), None)
    return products


def _catalog_cache():
    return current_app.extensions["catalog_cache"]
