"""CSRF protection for every form and HTMX request; JSON API calls are exempt on purpose."""

from flask import current_app, request
from flask_wtf.csrf import generate_csrf

from .. import speedups
from ..extensions import csrf


def register_csrf(app):
    """Bind CSRFProtect (its own check is off: WTF_CSRF_CHECK_DEFAULT); protect_forms, a before_request
    hook registered in app/__init__.py, checks tokens on every write that is not a JSON API call, and
    a refusal is answered by app/web/errors.py: handle_csrf_error. Templates call csrf_token()."""
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token  # in place of Flask-WTF's generate_csrf


def csrf_token():
    """Flask-WTF's token for this visitor; with SPEEDUPS, the same token made with a kept serializer."""
    return speedups.csrf_token() if speedups.enabled() else generate_csrf()


def protect_forms():
    """Refuse a form or HTMX write without a valid token.

    A JSON body (Content-Type: application/json) cannot be sent cross-site by an HTML form:
    a browser would first send a CORS preflight, which this app never grants. So the JSON API
    stays usable from curl and kiosks without a token, and every other write needs one.

    A request the router could not match (no such URL, or a method the URL does not take) is
    left alone, so that its 404 or 405 (with Allow) is the answer rather than a CSRF 400.
    """
    if request.endpoint is None or request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return  # csrf.protect() checks only these methods (POST, PUT, PATCH, DELETE)
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not request.is_json:
        csrf.protect()
