"""Logging in and out of the staff pages (the login form; who is logged in is app/staff/auth.py)."""

import logging

from flask import request, url_for

from ...security.guess_limits import TooManyGuesses, login_attempt
from ...web.negotiation import redirect_after_write, respond, see_other
from .. import bp, known_devices
from ..accounts import MAX_USERNAME, authenticate
from ..auth import current_staff, log_in, log_out, safe_next

LOGGER = logging.getLogger(__name__)
BAD_LOGIN = "That username and password don't match. Check them and try again."


@bp.get("/")
def home():
    return see_other(url_for("staff.orders"))


@bp.route("/login", methods=("GET", "POST"))
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_staff() is not None:
            return see_other(next_url)
        return respond({}, "staff/login.html", block="login_form", next_url=next_url, username="")
    username = request.form.get("username", "")
    try:  # counted before the password is checked, given back if it is right (app/security/guess_limits.py)
        attempt = login_attempt(username, known_device=known_devices.recognised(username))
    except TooManyGuesses as limited:
        LOGGER.warning("staff login rate limited username=%s", username[:80])
        return _login_refused(limited.description, 429, next_url, username, {"Retry-After": limited.retry_after})
    user = authenticate(username, request.form.get("password", ""))
    if user is None:
        LOGGER.info("staff login refused username=%s", username[:80])
        return _login_refused(BAD_LOGIN, 422, next_url, username)
    attempt.release()
    log_in(user)
    LOGGER.info("staff login username=%s", user.username)
    return known_devices.remember(redirect_after_write(next_url), user.username)


def _login_refused(message, status, next_url, username, headers=None):
    """The login form again, with the message and the username kept (JSON callers get the message)."""
    return respond(
        {"error": message},
        "staff/login.html",
        status=status,
        headers=headers,
        block="login_form",
        next_url=next_url,
        username=username[:MAX_USERNAME],  # the field takes no more; a 10,000-character name is not kept
        error=message,
    )


@bp.post("/logout")
def logout():
    log_out()
    return see_other(url_for("staff.login"))
