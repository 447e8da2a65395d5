"""Staff accounts: creating them, logging in, roles, disabling and passwords.

The first account ever made is an owner; after that owners add accounts in the browser.
Every change an owner makes is in the audit log, in the same transaction, and a password
change or a disabled account ends that user's sessions in that transaction too.
"""

import logging
import re

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..exceptions import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import OWNER, STAFF, STAFF_ROLES, StaffUser, is_id
from . import passwords, sessions

LOGGER = logging.getLogger(__name__)
MAX_USERNAME = 80  # the column's length
USERNAME = re.compile(r"^[a-z0-9._-]{2,80}$")
ROLE_NAMES = {OWNER: "Owner", STAFF: "Staff"}


def _password_or_refuse(password, username):
    problem = passwords.password_problem(password, username, (current_app.config["BAKERY_NAME"],))
    if problem:
        raise Invalid(problem, {"password": problem})


def _role_or_refuse(role):
    if role not in STAFF_ROLES:
        raise Invalid("Choose a role: owner or staff", {"role": "owner or staff"})
    return role


def create_staff(username, password, role=None, by=None):
    """Add an account (the first one ever is an owner); Invalid for a bad name, role or password, Conflict if taken."""
    username = (username or "").strip().lower() if isinstance(username, str) else ""
    if not USERNAME.match(username):
        message = "A username is 2–80 lowercase letters, digits, dots, dashes or underscores"
        raise Invalid(message, {"username": message})
    if role is not None:
        _role_or_refuse(role)
    _password_or_refuse(password, username)
    taken = f"There is already a staff user called {username}"
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise Conflict(taken, {"username": taken})
    first = db.session.scalar(select(func.count()).select_from(StaffUser)) == 0
    user = StaffUser(
        username=username, password_hash=passwords.hash_password(password), role=OWNER if first else role or STAFF
    )
    db.session.add(user)
    try:
        db.session.flush()
        if by is not None:
            audit.record(by, "account.create", "staff", user.id, f"{username} as {user.role}")
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(taken, {"username": taken}) from error
    LOGGER.info("staff user created username=%s role=%s", username, user.role)
    return user


def authenticate(username, password):
    """The active account with these credentials, or None; an old hash is replaced by argon2id on the way."""
    username = (username or "").strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    # No account has a name longer than the column or with a control character: not worth a query.
    plausible = 0 < len(username) <= MAX_USERNAME and username.isprintable()
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username)) if plausible else None
    if user is None:
        passwords.verify_nobody(password)
        return None
    if not passwords.verify(user.password_hash, password) or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        db.session.commit()
        LOGGER.info("staff password hash upgraded to argon2id username=%s", user.username)
    return user


def get_staff(staff_id):
    """The account with this id, or None."""
    return db.session.get(StaffUser, staff_id) if is_id(staff_id) else None


def get_account(staff_id):
    """The account with this id; NotFound otherwise."""
    user = get_staff(staff_id)
    if user is None:
        raise NotFound("No staff account with that id")
    return user


def all_accounts():
    """Every account, owners first, then by name."""
    return db.session.scalars(select(StaffUser).order_by(StaffUser.role != OWNER, StaffUser.username)).all()


def _other_active_owners(user):
    """How many active owners there are besides `user` (their rows locked on PostgreSQL until commit)."""
    ids = db.session.scalars(
        select(StaffUser.id).where(StaffUser.role == OWNER, StaffUser.active.is_(True)).with_for_update()
    ).all()
    return len([i for i in ids if i != user.id])


def set_active(by, staff_id, active):
    """Disable (ending every session at once) or enable an account; never the last active owner, never oneself."""
    user = get_account(staff_id)
    if user.active == active:
        return user
    if not active:
        if user.id == by.id:
            raise Conflict("You can't disable your own account; ask another owner")
        if user.role == OWNER and _other_active_owners(user) == 0:
            raise Conflict("This is the last active owner: make someone else an owner first")
        sessions.end_all(user.id)
    user.active = active
    audit.record(by, "account.enable" if active else "account.disable", "staff", user.id, user.username)
    db.session.commit()
    LOGGER.info("staff account %s username=%s by=%s", "enabled" if active else "disabled", user.username, by.username)
    return user


def set_role(by, staff_id, role):
    """Make an account owner or staff; the last active owner can't be made staff."""
    user = get_account(staff_id)
    _role_or_refuse(role)
    if user.role == role:
        return user
    if user.role == OWNER and user.active and _other_active_owners(user) == 0:
        raise Conflict("This is the last active owner: make someone else an owner first")
    before = user.role
    user.role = role
    audit.record(by, "account.role", "staff", user.id, f"{user.username}: {before} → {role}")
    db.session.commit()
    LOGGER.info("staff role changed username=%s to=%s by=%s", user.username, role, by.username)
    return user


def reset_password(by, staff_id, password):
    """An owner sets someone's password (they forgot it); every session of theirs ends."""
    user = get_account(staff_id)
    _password_or_refuse(password, user.username)
    user.password_hash = passwords.hash_password(password)
    sessions.end_all(user.id, keep=by.session_token if by.id == user.id else None)
    audit.record(by, "account.password_reset", "staff", user.id, user.username)
    db.session.commit()
    LOGGER.info("staff password reset username=%s by=%s", user.username, by.username)
    return user


def change_own_password(user, current, new):
    """Someone changes their own password: the current one first; their other sessions end, this one stays."""
    if not isinstance(current, str) or not passwords.verify(user.password_hash, current):
        message = "That is not your current password."
        raise Invalid(message, {"current_password": message})
    _password_or_refuse(new, user.username)
    user.password_hash = passwords.hash_password(new)
    sessions.end_all(user.id, keep=user.session_token)
    audit.record(user, "account.password_change", "staff", user.id, user.username)
    db.session.commit()
    LOGGER.info("staff password changed username=%s", user.username)
    return user
