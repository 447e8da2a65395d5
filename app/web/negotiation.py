"""One place that decides whether a caller gets JSON, an HTMX fragment, a full page or a redirect."""

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from flask import current_app, jsonify, make_response, redirect, render_template, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ..security.text_rules import CONTROL  # C0, DEL and C1: never part of a link either

VARY = "Accept, HX-Request"
VARY_NAMES = tuple(name.strip() for name in VARY.split(","))
# Printable ASCII only: a tab, CR, LF or NUL in a redirect target is how "/\t/evil.example"
# slips past a "starts with one slash" check (browsers drop the tab and see "//evil.example").
LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")
# The path once percent-decoded: the same, and no "//", no "\" and no "." or ".." segment
# anywhere, which a browser, a proxy or a later decoding step could turn into another host.
DECODED_PATH = re.compile(r"(?!.*//)(?!.*(?:^|/)\.\.?(?:/|$))/[\x21-\x5b\x5d-\x7e]*")
MAX_TARGET = 2048
DECODE_ROUNDS = 5  # "%25252f" is "/" after three; a target still changing after five is refused


def is_htmx():
    return request.environ.get("HTTP_HX_REQUEST") == "true"  # the HX-Request header


def wants_json():
    """JSON when Accept prefers it over HTML; curl's */* counts as JSON, as the API promises.

    A request that sent JSON (and is not HTMX) is answered in JSON too.
    """
    environ = request.environ
    if environ.get("HTTP_HX_REQUEST") == "true":
        return False
    accept = environ.get("HTTP_ACCEPT")
    if not accept:
        return True  # scripts that send no Accept at all are API clients
    return accept_prefers_json(accept) or request.is_json


@lru_cache(maxsize=256)
def accept_prefers_json(accept):
    """Whether an Accept header ranks JSON at least as high as HTML (and accepts it at all).

    Kept per header value: clients send a handful of distinct ones (curl's, each browser's,
    htmx's), and parsing one is a good share of a cached GET /products (docs/performance.md,
    "What the speed-ups buy").
    """
    mimetypes = parse_accept_header(accept, MIMEAccept)
    return mimetypes["application/json"] >= mimetypes["text/html"] and mimetypes["application/json"] > 0


def wants_redirect():
    """A plain browser form post: answered with a 303 to the page that shows the result."""
    return not (is_htmx() or wants_json())


def respond(data, template, status=200, block="content", headers=None, **context):
    """Answer JSON (`data`), the template's fragment block for HTMX, or the full page."""
    if wants_json():
        response = jsonify(data)
    elif is_htmx():
        response = make_response(render_block(template, block, **context))
    else:
        response = make_response(render_template(template, **context))
    return _finish(response, status, headers)


def respond_after_write(data, template, location, block, status=200, **context):
    """After a change: JSON callers get `data`, htmx the changed fragment, browsers a 303 to `location`."""
    if wants_redirect():
        return see_other(location)
    return respond(data, template, status=status, block=block, **context)


def redirect_after_write(location, data=None, status=201):
    """After a change that leads to another page: JSON `data` (with Location) when given,
    htmx navigates there (HX-Redirect), browsers get a 303."""
    if data is not None and wants_json():
        return _finish(jsonify(data), status, {"Location": location})
    if is_htmx():
        return hx_redirect(location)
    return see_other(location)


def hx_redirect(location, body="", status=204):
    """Make htmx load `location` as a whole new page instead of swapping this answer in."""
    return _finish(make_response(body), status, {"HX-Redirect": location})


def see_other(location):
    """303: the browser GETs `location` (a reload then never re-posts the form)."""
    return _finish(redirect(location, 303), 303, None)


def safe_local_path(target, default):
    """`target` (unchanged) if it is a path on this site, else `default`: the one guard against open redirects.

    The target must be printable ASCII starting with a single "/". Its path is then
    percent-decoded until it no longer changes (at most DECODE_ROUNDS times) and must still
    be a plain path: no "//", backslash, dot segment, control character, space or non-ASCII.
    The query and fragment are data, not a place: once decoded they may hold spaces or
    letters like "ü" (a search for "Müller"), but no control characters.
    """
    if not isinstance(target, str) or len(target) > MAX_TARGET or not LOCAL_PATH.fullmatch(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    end = min((at for at in (target.find("?"), target.find("#")) if at >= 0), default=len(target))
    path, rest = _fully_decoded(target[:end]), _fully_decoded(target[end:])
    if path is None or rest is None or not DECODED_PATH.fullmatch(path) or CONTROL.search(rest):
        return default
    return target


def _fully_decoded(text):
    """`text` percent-decoded until stable, or None if it keeps changing after DECODE_ROUNDS."""
    for _ in range(DECODE_ROUNDS + 1):
        decoded = unquote(text, errors="replace")
        if decoded == text:
            return text
        text = decoded
    return None


def html_page(html, status=200, headers=None):
    """A full page rendered elsewhere (e.g. from a cache), with the headers `respond` sets."""
    return _finish(make_response(html), status, headers)


def _finish(response, status, headers):
    response.status_code = status
    # Pages carry a session's cart badge and CSRF token, and statuses change: a browser may
    # keep them but must ask again, and shared caches must not keep them at all.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.update(headers or {})
    if "Vary" in response.headers:
        response.vary.update(VARY_NAMES)
    else:
        response.headers["Vary"] = VARY  # what vary.update() writes, without parsing an empty header
    return response


def render_block(template_name, block_name, **context):
    """Render one named block of a page template: the fragment and the page never drift apart."""
    env = current_app.jinja_env
    current_app.update_template_context(context)
    template = env.get_template(template_name)
    block = template.blocks[block_name]
    return "".join(block(template.new_context(context)))
