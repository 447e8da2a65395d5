"""CSRF protection for every form and HTMX request; JSON API calls are exempt on purpose."""

from flask import current_app, request
from flask_wtf.csrf import CSRFError

from .errors import error_response
from .extensions import csrf

CSRF_MESSAGE = "This form has expired or did not come from our shop. Go back, reload the page and try again."


def register_csrf(app):
    """Bind CSRFProtect and check tokens on every write that is not a JSON API call."""
    csrf.init_app(app)
    app.before_request(protect_forms)
    app.register_error_handler(CSRFError, lambda error: error_response(400, CSRF_MESSAGE))


def protect_forms():
    """Refuse a form or HTMX write without a valid token.

    A JSON body (Content-Type: application/json) cannot be sent cross-site by an HTML form:
    a browser would first send a CORS preflight, which this app never grants. So the JSON API
    stays usable from curl and kiosks without a token, and every other write needs one.

    A request the router could not match (no such URL, or a method the URL does not take) is
    left alone, so that its 404 or 405 (with Allow) is the answer rather than a CSRF 400.
    """
    if request.endpoint is None:
        return
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not request.is_json:
        csrf.protect()
