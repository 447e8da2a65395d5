"""One place that decides whether a caller gets JSON, an HTMX fragment, a full page or a redirect."""

import re
from urllib.parse import urlsplit

from flask import current_app, jsonify, make_response, redirect, render_template, request

VARY = "Accept, HX-Request"
# Printable ASCII only: a tab, CR, LF or NUL in a redirect target is how "/\t/evil.example"
# slips past a "starts with one slash" check (browsers drop the tab and see "//evil.example").
LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")


def is_htmx():
    return request.headers.get("HX-Request") == "true"


def wants_json():
    """JSON when Accept prefers it over HTML; curl's */* counts as JSON, as the API promises.

    A request that sent JSON (and is not HTMX) is answered in JSON too.
    """
    if is_htmx():
        return False
    if not request.headers.get("Accept"):
        return True  # scripts that send no Accept at all are API clients
    accept = request.accept_mimetypes
    prefers_json = accept["application/json"] >= accept["text/html"] and accept["application/json"] > 0
    return prefers_json or request.is_json


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
    """`target` if it is a path on this site, else `default`: the one guard against open redirects."""
    if isinstance(target, str) and LOCAL_PATH.fullmatch(target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


def html_page(html, status=200, headers=None):
    """A full page rendered elsewhere (e.g. from a cache), with the headers `respond` sets."""
    return _finish(make_response(html), status, headers)


def _finish(response, status, headers):
    response.status_code = status
    # Pages carry a session's cart badge and CSRF token, and statuses change: a browser may
    # keep them but must ask again, and shared caches must not keep them at all.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.update(headers or {})
    response.vary.update(h.strip() for h in VARY.split(","))
    return response


def render_block(template_name, block_name, **context):
    """Render one named block of a page template: the fragment and the page never drift apart."""
    env = current_app.jinja_env
    current_app.update_template_context(context)
    template = env.get_template(template_name)
    block = template.blocks[block_name]
    return "".join(block(template.new_context(context)))
