"""Password guesses (staff logins, the current password on the account page), limited before the check.

Each attempt takes its place in every limit with limits' hit() (one atomic INCR on Redis)
*before* the password is checked, and gives it back when the password was right: so N guesses
sent at once check at most the limit, and only wrong passwords use up the allowance. (Flask-Limiter's
deduct_when tests first and counts after the answer: a burst all passed the test before any counted.)

Counts live in the rate limiter's storage (the app's Redis, in memory on the embedded default).
When that storage fails they are kept in this process instead, for RETRY_SHARED_AFTER seconds at
a time: each gunicorn process then counts on its own, so guessing stays limited (at most
processes × the limit) while staff can still log in. Logins never fail open.
"""

import functools
import logging
import math
import time

from flask import current_app
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from .rate_limits import client_address

LOGGER = logging.getLogger(__name__)
RETRY_SHARED_AFTER = 5.0  # seconds of counting in-process before the shared storage is tried again


class TooManyGuesses(TooManyRequests):
    """A limit on password guesses is used up: nothing was checked. Carries Retry-After (seconds)."""


class GuessCounters:
    """The shared counters (the limiter's storage) and this process's own, used while those fail."""

    def __init__(self, storage):
        self.shared = FixedWindowRateLimiter(storage)
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.shared_down_until = 0.0

    def hit(self, item, *ids):
        """Count one attempt: (the counter that took it, whether it is within the limit)."""
        if time.monotonic() >= self.shared_down_until:
            try:
                return self.shared, self.shared.hit(item, *ids)
            except self.shared.storage.base_exceptions as error:
                self.shared_down_until = time.monotonic() + RETRY_SHARED_AFTER
                LOGGER.warning("guess limits counted in this process: their storage failed: %s", error)
        return self.local, self.local.hit(item, *ids)


class Attempt:
    """One attempt's places in its limits; release() gives them back."""

    def __init__(self):
        self.places = []  # (counter, limit item, identifiers)

    def release(self):
        """The password was right, or was never checked: this attempt was no guess."""
        # A window that ended meanwhile starts again at -1: one guess more, once, at worst.
        for counter, item, ids in self.places:
            try:
                counter.storage.incr(item.key_for(*ids), item.get_expiry(), amount=-1)
            except counter.storage.base_exceptions as error:
                LOGGER.warning("guess limits could not give a place back: %s", error)
        self.places.clear()


@functools.lru_cache(maxsize=32)
def _items(setting_value):
    return tuple(parse_many(setting_value)) if setting_value else ()


def attempt(limits):
    """Take this attempt's place in each limit before anything is checked; TooManyGuesses past one.

    `limits` are (setting, key, message) triples; an empty setting is no limit. Past a limit
    the places already taken are given back: a refused attempt checks nothing.
    """
    counters = current_app.extensions["guess_counters"]
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    taken = Attempt()
    for setting, key, message in limits:
        for item in _items(current_app.config[setting]):
            ids = (prefix, setting, key)
            counter, within = counters.hit(item, *ids)
            taken.places.append((counter, item, ids))
            if not within:
                taken.release()
                raise TooManyGuesses(message, retry_after=_seconds_left(counter, item, ids))
    return taken


def _seconds_left(counter, item, ids):
    try:
        reset_at = counter.get_window_stats(item, *ids).reset_time
    except counter.storage.base_exceptions:
        return item.get_expiry()
    return max(1, math.ceil(reset_at - time.time()))


def _username(typed):
    return (typed or "").strip().lower()[:80] if isinstance(typed, str) else ""


def login_attempt(username, known_device=None):
    """Count a login against its limits before its password is checked (TooManyGuesses past one).

    Per username and address, per address, and per username from any address; a known device
    (app/staff/known_devices.py) has its own share of the per-username limit, so spraying
    from elsewhere does not keep the account's owner out.
    """
    name, address = _username(username), client_address()
    return attempt(
        [
            (
                "LOGIN_RATE_LIMIT",
                f"{name}@{address}",
                "Too many failed logins for this username. Wait a while, then try again.",
            ),
            ("LOGIN_CLIENT_RATE_LIMIT", address, "Too many failed logins from here. Wait a while, then try again."),
            (
                "LOGIN_ACCOUNT_RATE_LIMIT",
                f"{name}#device:{known_device}" if known_device else name,
                "Too many failed logins for this account. Wait a while, or log in on a device you have used before.",
            ),
        ]
    )


def password_change_attempt(user):
    """Count a "current password" on the account page before it is checked (TooManyGuesses past the limit)."""
    return attempt(
        [
            (
                "PASSWORD_CHANGE_RATE_LIMIT",
                f"staff:{user.id}",
                "Too many wrong passwords. Wait a while, then try again.",
            )
        ]
    )


GUESS_SETTINGS = (
    "LOGIN_RATE_LIMIT",
    "LOGIN_CLIENT_RATE_LIMIT",
    "LOGIN_ACCOUNT_RATE_LIMIT",
    "PASSWORD_CHANGE_RATE_LIMIT",
)


def init_guess_limits(app, storage):
    """Count guesses in the rate limiter's storage (this process's memory while it fails).

    A setting limits cannot read fails here, at start, rather than at the first login.
    """
    for setting in GUESS_SETTINGS:
        _items(app.config[setting])
    app.extensions["guess_counters"] = GuessCounters(storage)
