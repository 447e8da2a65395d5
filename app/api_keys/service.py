"""API keys for trusted clients: made and revoked by staff, stored as a hash, shown once."""

import hashlib
import secrets

from sqlalchemy import select, update

from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..models import ApiKey, utcnow
from ..security.text_rules import unfit_characters

# Not a secret: recognisable in a config file or a leaked log
TOKEN_PREFIX = "bk_"  # nosec B105
MAX_NAME = 80


def token_hash(token):
    """sha256 is enough: the token is 32 random bytes, not a password anyone chose."""
    return hashlib.sha256(token.encode()).hexdigest()


def name_problem(name):
    if not name:
        return "Give the key a name, e.g. the kiosk or shop that will use it."
    if len(name) > MAX_NAME:
        return f"Please shorten the name to {MAX_NAME} characters."
    if unfit := unfit_characters(name):
        return f"A name can't contain {unfit}."
    return None


def create_key(name):
    """A new key named `name`: returns (ApiKey, token). The token exists only in this answer."""
    name = name.strip() if isinstance(name, str) else ""  # a JSON caller may send anything
    problem = name_problem(name)
    if problem:
        raise Invalid(problem, {"name": problem})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, token_hash=token_hash(token))
    db.session.add(key)
    db.session.commit()
    return key, token


def all_keys():
    """Every key, newest first, revoked ones too (they show when they were revoked)."""
    return db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).all()


def revoke(key_id):
    """Revoke a key at once; revoking it again changes nothing."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No API key with that id")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
    return key


def find_active(token):
    """The unrevoked key this token belongs to, or None; notes when it was last used."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.token_hash == token_hash(token), ApiKey.revoked_at.is_(None)))
    if key is not None:
        db.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(last_used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return key
