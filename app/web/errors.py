"""One error shape app-wide: JSON {"error": ...} for API callers, a styled page for browsers."""

import logging

from flask import jsonify, render_template
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..exceptions import DATABASE_DOWN, Conflict, DomainError, Invalid, Malformed, NotFound
from ..extensions import db
from .negotiation import wants_json

LOGGER = logging.getLogger(__name__)

CSRF_MESSAGE = "This form has expired or did not come from our shop. Go back, reload the page and try again."


# How each domain refusal is answered over HTTP; the only place that knows.
STATUS_FOR = {Malformed: 400, NotFound: 404, Conflict: 409, Invalid: 422}


def status_for(error):
    """The HTTP status for a domain error (422 for any other DomainError)."""
    return next((status for kind, status in STATUS_FOR.items() if isinstance(error, kind)), 422)


class ApiError(Exception):
    """A 4xx that only the web has (401, 415, a header too long): raised by views, never services."""

    def __init__(self, status, message, details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers


def error_response(status, message, details=None, headers=None):
    """Build the JSON or HTML answer for an error."""
    if wants_json():
        body = {"error": message}
        if details:
            body["details"] = details
        response = jsonify(body)
    else:
        response = render_template("error.html", status=status, message=message, details=details)
    return response, status, headers or {}


def handle_api_error(error):
    return error_response(error.status, error.message, error.details, error.headers)


def handle_rate_limited(error):
    """429 with the limit's own message; Flask-Limiter adds Retry-After to the answer."""
    return error_response(429, error.description)


def handle_csrf_error(error):
    """A form or htmx write without a valid token (app/security/csrf.py checks them): 400."""
    return error_response(400, CSRF_MESSAGE)


def handle_domain_error(error):
    return error_response(status_for(error), error.message, error.details)


def handle_http_exception(error):
    """Werkzeug's own errors, keeping the headers they carry (a 405's Allow)."""
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return error_response(error.code, error.description or error.name, headers=headers)


def handle_database_unavailable(error):
    db.session.rollback()
    LOGGER.warning("database unavailable: %s", error)
    return error_response(503, "The shop is briefly unavailable; please try again in a moment")


def handle_unexpected(error):
    db.session.rollback()
    LOGGER.exception("unhandled error: %s", error)
    return error_response(500, InternalServerError.description)


def register_errorhandlers(app):
    """Every app-wide error handler. The one blueprint handler left, orders.views.create_limited,
    answers a limited checkout with the checkout form again, which only that blueprint can render."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for error in DATABASE_DOWN:  # the same tuple the worker waits on
        app.register_error_handler(error, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
