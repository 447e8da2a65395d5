"""The catalogue's cached answers, for its views: JSON bytes with their ETag, and HTML shared by all.

The shared HTML is rendered with `EVERYONE` (slots for the per-visitor parts) and never
reads a session; the views pass each visitor's parts in, and `personalise()` fills them.
"""
import hashlib

from flask import current_app, render_template, request
from markupsafe import Markup

from ..negotiation import VARY
from ..shared_html import EVERYONE, personalise
from .service import catalogue_stamp, list_products


def catalogue_json():
    """The catalogue as ready-to-send JSON bytes with their ETag and headers, from the cache."""
    return _catalog_cache().get("products.json", _build_catalogue_json, catalogue_stamp)


def send_json(entry):
    """Send pre-serialised JSON; a client holding the same ETag gets a bodiless 304."""
    if entry["etag"] in request.if_none_match:
        return current_app.response_class(status=304, headers=entry["headers"])
    return current_app.response_class(entry["body"], mimetype="application/json", headers=entry["headers"])


def _build_catalogue_json():
    body = current_app.json.dumps([p.to_dict() for p in list_products()], separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    # Headers built once with the body: the hot path only copies them.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": VARY}
    return {"body": body, "etag": etag, "headers": headers}


def grid_html(visitor):
    """The product grid for `visitor` (the htmx fragment's content)."""
    if visitor.messages:
        return _grid_html(visitor)  # a message waits for one card (an add without JavaScript)
    return personalise(_catalog_cache().get("grid.html", shared_grid_html, catalogue_stamp), visitor)


def page_html(visitor):
    """The whole catalogue page for `visitor`: the page cached for everyone, with their parts filled in."""
    if visitor.messages:
        return render_template("catalog/index.html", grid_html=_grid_html(visitor), visitor=visitor)
    return personalise(_catalog_cache().get("index.html", shared_page_html, catalogue_stamp), visitor)


def shared_grid_html():
    """The grid as cached for every visitor: slots for their parts; reads no session."""
    return _grid_html(EVERYONE)


def shared_page_html():
    """The page as cached for every visitor: slots for their parts; reads no session."""
    return render_template("catalog/index.html", grid_html=_grid_html(EVERYONE), visitor=EVERYONE)


def _grid_html(visitor):
    return Markup(render_template("catalog/_grid.html", products=list_products(), visitor=visitor))


def _catalog_cache():
    return current_app.extensions["catalog_cache"]
