"""Staff accounts: the rules behind the staff pages."""
import logging
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ApiError
from ..extensions import db
from ..models import StaffUser

LOGGER = logging.getLogger(__name__)
USERNAME = re.compile(r"^[a-z0-9._-]{2,80}$")
MIN_PASSWORD = 6
# A hash to check when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def create_staff(username, password):
    """Add a staff user; 422 for a bad name or short password, 409 if the name is taken."""
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise ApiError(422, "A username is 2–80 letters, digits, dots, dashes or underscores")
    if len(password or "") < MIN_PASSWORD:
        raise ApiError(422, f"The password needs at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise ApiError(409, f"There is already a staff user called {username}")
    user = StaffUser(username=username, password_hash=generate_password_hash(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ApiError(409, f"There is already a staff user called {username}") from error
    LOGGER.info("staff user created username=%s", username)
    return user


def authenticate(username, password):
    """The staff user with these credentials, or None."""
    username = (username or "").strip().lower()
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username)) if username else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def get_staff(staff_id):
    """The staff user with this id, or None (e.g. deleted since they logged in)."""
    return db.session.get(StaffUser, staff_id) if isinstance(staff_id, int) else None
