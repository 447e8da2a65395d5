"""Known devices (OWASP's "device cookies"): a browser that logged in as someone before is recognised.

Past LOGIN_ACCOUNT_RATE_LIMIT a username's password is checked only from such a browser, so a
stranger spraying passwords cannot keep the counter out. The cookie is signed with the app's
secret, sent only to the login URL, and holds for each username a random device id and when it
was issued (at each successful login); an entry older than LOGIN_KNOWN_DEVICE_DAYS counts for
nothing. A known device's failed logins count under its own id (app/security/guess_limits.py), so a
copied cookie gets a share of its own, not the account's.
"""

import secrets
from datetime import UTC

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeSerializer

from . import sessions

COOKIE = "bakery_device"
SALT = "known-device"
MAX_ACCOUNTS = 8  # a shared counter tablet remembers the last few staff who logged in on it


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def _now():
    """Seconds since the epoch, on the staff clock (tests move it)."""
    return int(sessions.now().replace(tzinfo=UTC).timestamp())


def _valid_days():
    return current_app.config["LOGIN_KNOWN_DEVICE_DAYS"] * 86400


def _entries():
    """{username: [device id, issued at]} from this browser's cookie, without expired or malformed ones."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return {}
    try:
        entries = _serializer().loads(cookie)
    except BadData:  # edited, or signed with another secret
        return {}
    if not isinstance(entries, dict):
        return {}
    oldest = _now() - _valid_days()
    return {
        name: entry
        for name, entry in entries.items()
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int) and entry[1] > oldest
    }


def recognised(username):
    """This browser's device id for `username` if it logged in as them within LOGIN_KNOWN_DEVICE_DAYS, else None."""
    name = username.strip().lower() if isinstance(username, str) else ""
    entry = _entries().get(name)
    return str(entry[0]) if entry else None


def remember(response, username):
    """Mark this browser as known for `username` (a new device id) on `response`; returns it."""
    entries = _entries()
    entries.pop(username, None)
    entries[username] = [secrets.token_urlsafe(16), _now()]
    newest = dict(sorted(entries.items(), key=lambda item: item[1][1])[-MAX_ACCOUNTS:])
    response.set_cookie(
        COOKIE,
        _serializer().dumps(newest),
        max_age=_valid_days(),
        path=url_for("staff.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
