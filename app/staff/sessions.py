"""Server-side staff sessions: a row per logged-in browser, so that ending one takes effect at once.

The cookie carries a random token; the table keeps only its SHA-256, so reading the
database gives no usable session. A session ends when it is logged out, when its user's
password changes or the account is disabled (every session of that user), after
STAFF_IDLE_MINUTES without a request, and STAFF_SESSION_HOURS after login whatever happens.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, update

from ..extensions import db
from ..models import StaffSession, utcnow

# last_seen_at is written at most this often: a request per second must not be a write per second.
TOUCH_EVERY = timedelta(minutes=1)


def now():
    """UTC now, naive; tests put an adjustable clock in STAFF_CLOCK instead of sleeping."""
    clock = current_app.config.get("STAFF_CLOCK")
    return clock() if clock else utcnow()


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start(user):
    """A new session for `user`; returns its token (for the cookie) and commits."""
    token = secrets.token_urlsafe(32)
    moment = now()
    # Sessions past their lifetime are never loaded again: sweep them while writing anyway.
    lifetime = timedelta(hours=current_app.config["STAFF_SESSION_HOURS"])
    db.session.execute(delete(StaffSession).where(StaffSession.created_at < moment - lifetime))
    db.session.add(StaffSession(token_hash=_digest(token), staff_id=user.id, created_at=moment, last_seen_at=moment))
    db.session.commit()
    user.session_token = token
    return token


def load(token):
    """The user of the live session with this token, or None (unknown, ended or expired)."""
    if not isinstance(token, str) or not token:
        return None
    row = db.session.get(StaffSession, _digest(token))
    if row is None:
        return None
    moment = now()
    config = current_app.config
    idle = timedelta(minutes=config["STAFF_IDLE_MINUTES"])
    lifetime = timedelta(hours=config["STAFF_SESSION_HOURS"])
    if not row.staff.active or moment - row.last_seen_at > idle or moment - row.created_at > lifetime:
        db.session.delete(row)
        db.session.commit()
        return None
    if moment - row.last_seen_at > TOUCH_EVERY:
        db.session.execute(
            update(StaffSession).where(StaffSession.token_hash == row.token_hash).values(last_seen_at=moment)
        )
        db.session.commit()
    user = row.staff
    user.session_token = token
    return user


def end(token):
    """End the session with this token (logout); nothing happens for an unknown one."""
    if isinstance(token, str) and token:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def end_all(user_id, keep=None):
    """End every session of the user, but the one with token `keep` (the one changing its own password).

    Not committed: the caller commits it with the change that calls for it.
    """
    query = delete(StaffSession).where(StaffSession.staff_id == user_id)
    if keep:
        query = query.where(StaffSession.token_hash != _digest(keep))
    db.session.execute(query)
