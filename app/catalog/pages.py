"""The catalogue's cached answers, for its views: JSON bytes with their ETag, and HTML shared by all.

The shared HTML is rendered with `EVERYONE` (slots for the per-visitor parts) and never
reads a session; the views pass each visitor's parts in, and `personalise()` fills them.
"""

import hashlib

from flask import current_app, render_template, request
from markupsafe import Markup

from ..negotiation import VARY
from ..shared_html import EVERYONE, personalise
from .service import catalogue_stamp, free_from, list_products, shelves


def catalogue_json(free_from_codes=()):
    """The catalogue as ready-to-send JSON bytes with their ETag and headers; the whole one from the cache.

    A "free from" view is built from the database each time: there are 2^14 of them, too
    many to keep, and each costs one query.
    """
    if free_from_codes:
        return _json_entry(free_from(list_products(), free_from_codes))
    return _catalog_cache().get("products.json", _build_catalogue_json, catalogue_stamp)


def send_json(entry):
    """Send pre-serialised JSON; a client holding the same ETag gets a bodiless 304."""
    if entry["etag"] in request.if_none_match:
        return current_app.response_class(status=304, headers=entry["headers"])
    return current_app.response_class(entry["body"], mimetype="application/json", headers=entry["headers"])


def _build_catalogue_json():
    return _json_entry(list_products())


def _json_entry(products):
    body = current_app.json.dumps([p.to_dict() for p in products], separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    # Headers built once with the body: the hot path only copies them.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": VARY}
    return {"body": body, "etag": etag, "headers": headers}


def grid_html(visitor, free_from_codes=()):
    """The product grid for `visitor` (the htmx fragment's content), filtered "free from" some allergens."""
    if visitor.messages or free_from_codes:
        return _grid_html(visitor, free_from_codes)  # a message waits for one card (an add without JavaScript)
    return personalise(_catalog_cache().get("grid.html", shared_grid_html, catalogue_stamp), visitor)


def page_html(visitor, free_from_codes=()):
    """The whole catalogue page for `visitor`: the page cached for everyone, with their parts filled in."""
    if visitor.messages or free_from_codes:
        return render_template(
            "catalog/index.html",
            grid_html=_grid_html(visitor, free_from_codes),
            visitor=visitor,
            free_from=free_from_codes,
        )
    return personalise(_catalog_cache().get("index.html", shared_page_html, catalogue_stamp), visitor)


def shared_grid_html():
    """The grid as cached for every visitor: slots for their parts; reads no session."""
    return _grid_html(EVERYONE)


def shared_page_html():
    """The page as cached for every visitor: slots for their parts; reads no session."""
    return render_template("catalog/index.html", grid_html=_grid_html(EVERYONE), visitor=EVERYONE, free_from=())


def _grid_html(visitor, free_from_codes=()):
    products = list_products()
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
