"""One place that decides whether a caller gets JSON, an HTMX fragment or a full page."""
from flask import current_app, jsonify, make_response, render_template, request

VARY = "Accept, HX-Request"


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


def respond(data, template, status=200, block="content", headers=None, **context):
    """Answer JSON (`data`), the template's fragment block for HTMX, or the full page."""
    if wants_json():
        response = jsonify(data)
    elif is_htmx():
        response = make_response(render_block(template, block, **context))
    else:
        response = make_response(render_template(template, **context))
    return _finish(response, status, headers)


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
