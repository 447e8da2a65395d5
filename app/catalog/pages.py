"""The catalogue's cached answers, for its views: JSON bytes with their ETag, and HTML shared by all.

The shared HTML is rendered with `EVERYONE` (slots for the per-visitor parts) and never
reads a session; the views pass each visitor's parts in, and `personalise()` fills them.
"""

import hashlib

from flask import current_app, render_template, request
from markupsafe import Markup

from ..calendar.service import ORDERING_DAY_MEMO, now, ordering_day
from ..extensions import db
from ..negotiation import VARY
from ..shared_html import EVERYONE, personalise
from .service import catalogue_stamp, free_from, list_products, shelves


def catalogue_json(free_from_codes=()):
    """The catalogue as ready-to-send JSON bytes with their ETag and headers; the whole one from the cache.

    A "free from" view is built from the database each time: there are 2^14 of them, too
    many to keep, and each costs one query.
    """
    day = taking_orders_for()
    if free_from_codes:
        return _json_entry(free_from(list_products(day.day), free_from_codes))
    return _catalog_cache().get(
        f"products.json@{day.key}", lambda: _json_entry(list_products(day.day)), catalogue_stamp
    )


def send_json(entry):
    """Send pre-serialised JSON; a client holding the same ETag gets a bodiless 304."""
    if entry["etag"] in request.if_none_match:
        return current_app.response_class(status=304, headers=entry["headers"])
    return current_app.response_class(entry["body"], mimetype="application/json", headers=entry["headers"])


class OrderingDay:
    """The day the shop takes orders for, and whether that is today: the catalogue's heading and availability."""

    def __init__(self, day, today):
        self.day, self.today = day, today
        self.is_today = day is None or day == today
        # Part of every cache key: the page's heading and "only N left" change with the day.
        self.key = f"{day}:{int(self.is_today)}"


def taking_orders_for():
    """The OrderingDay now (it moves at closing time, at the cutoff and over closed days).

    Worked out once a minute per process (the clock is read to the minute): the catalogue is
    the hottest page, and the calendar takes several queries. Staff edits in this process
    clear it (app/calendar/service.py); other processes see them within the minute.
    """
    moment = now()
    memo = current_app.extensions.setdefault(ORDERING_DAY_MEMO, {})
    day = memo.get(moment)
    if day is None:
        day = OrderingDay(ordering_day(moment=moment), moment.date())
        memo.clear()
        memo[moment] = day
        # Give the session's connection back: the cache's stamp check takes one of its own,
        # and a request must never hold two while others wait for the pool.
        db.session.commit()
    return day


def _json_entry(products):
    body = current_app.json.dumps([p.to_dict() for p in products], separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    # Headers built once with the body: the hot path only copies them.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": VARY}
    return {"body": body, "etag": etag, "headers": headers}


def grid_html(visitor, free_from_codes=()):
    """The product grid for `visitor` (the htmx fragment's content), filtered "free from" some allergens."""
    day = taking_orders_for()
    if visitor.messages or free_from_codes:
        return _grid_html(visitor, day, free_from_codes)  # a message waits for one card (an add without JavaScript)
    html = _catalog_cache().get(f"grid.html@{day.key}", lambda: shared_grid_html(day), catalogue_stamp)
    return personalise(html, visitor)


def page_html(visitor, free_from_codes=()):
    """The whole catalogue page for `visitor`: the page cached for everyone, with their parts filled in."""
    day = taking_orders_for()
    if visitor.messages or free_from_codes:
        return render_template(
            "catalog/index.html",
            grid_html=_grid_html(visitor, day, free_from_codes),
            visitor=visitor,
            free_from=free_from_codes,
            ordering=day,
        )
    html = _catalog_cache().get(f"index.html@{day.key}", lambda: shared_page_html(day), catalogue_stamp)
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
    return Markup(
        render_template(
            "catalog/_grid.html",
            shelves=shelves(shown),
            visitor=visitor,
            free_from=free_from_codes,
            hidden=len(products) - len(shown),
        )
    )


def _catalog_cache():
    return current_app.extensions["catalog_cache"]
