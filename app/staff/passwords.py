"""Staff passwords: how they are hashed (argon2id), checked (old Werkzeug hashes too) and judged.

New hashes are argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile). Hashes
made before (Werkzeug's scrypt or pbkdf2) still verify, and `needs_rehash` says to replace
them at the next successful login, when the password is at hand.
"""

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 200  # argon2 takes any length; this keeps the estimator (and a typo'd paste) bounded
# zxcvbn's 0–4 scale; 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_SCORE = 3
HASHER = PasswordHasher()  # argon2id, 64 MiB, 3 passes, 4 lanes
# The test suite's apps set PASSWORD_HASH_CHEAP: the same algorithm at the smallest cost,
# since it creates and logs in hundreds of accounts on shared cores.
CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
# A hash to check when the username is unknown, so a wrong name costs as long as a wrong password.
_dummy_hashes = {}


def _hasher():
    return CHEAP_HASHER if current_app.config.get("PASSWORD_HASH_CHEAP") else HASHER


def hash_password(password):
    return _hasher().hash(password)


def verify(stored_hash, password):
    """Whether `password` matches `stored_hash` (argon2, or a Werkzeug scrypt/pbkdf2 hash from before)."""
    if stored_hash.startswith("$argon2"):
        try:
            return _hasher().verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored_hash, password)


def verify_nobody(password):
    """Spend the time a real check would, for an unknown username."""
    hasher = _hasher()
    if hasher not in _dummy_hashes:
        _dummy_hashes[hasher] = hasher.hash("not a real password")
    verify(_dummy_hashes[hasher], password)


def needs_rehash(stored_hash):
    """Whether the hash is not argon2id with today's parameters (so it should be replaced)."""
    return not stored_hash.startswith("$argon2id$") or _hasher().check_needs_rehash(stored_hash)


def password_problem(password, username="", context=()):
    """Why `password` is refused (a sentence for the form), or None when it is good enough.

    At least MIN_LENGTH characters, and not common or guessable by zxcvbn's offline
    estimate (dictionaries, keyboard patterns, repeats, dates), counting the username and
    the bakery's name as known words.
    """
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return f"The password needs at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Please keep the password under {MAX_LENGTH} characters."
    # Imported here: its dictionaries take a moment to load, and only setting a password needs them
    # (not the web workers' or the order worker's start-up).
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password, user_inputs=[word for word in (username, *context) if word])
    if verdict["score"] >= MIN_SCORE:
        return None
    feedback = verdict["feedback"]
    hint = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
    advice = "A few unrelated words together make a strong one."
    return " ".join(part for part in ("That password is too easy to guess.", hint, advice) if part)
