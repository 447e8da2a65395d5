"""Slow down password guessing: too many failed logins for one username lock it for a while.

Counts live in the cache (Redis or in-process), so every backend process sees them. If
the cache is unreachable, logins are not blocked: a cache outage must not lock staff out.
"""

import logging

from ..cache_errors import REDIS_ERRORS
from ..extensions import cache

LOGGER = logging.getLogger(__name__)
MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _key(username):
    return f"staff-login-failures:{(username or '').strip().lower()[:80]}"


def is_locked(username):
    """True if this username has failed MAX_FAILURES times within the window."""
    try:
        return (cache.get(_key(username)) or 0) >= MAX_FAILURES
    except REDIS_ERRORS as error:
        LOGGER.warning("login throttle unavailable: %s", error)
        return False


def record_failure(username):
    """Count one failed login; the count is forgotten WINDOW_SECONDS after the last failure."""
    try:
        key = _key(username)
        cache.set(key, (cache.get(key) or 0) + 1, timeout=WINDOW_SECONDS)
    except REDIS_ERRORS as error:
        LOGGER.warning("login throttle unavailable: %s", error)


def forget(username):
    """A successful login clears the count."""
    try:
        cache.delete(_key(username))
    except REDIS_ERRORS as error:
        LOGGER.warning("login throttle unavailable: %s", error)
