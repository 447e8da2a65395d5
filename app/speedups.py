"""The speed-ups that lean on library internals, all switched by one setting: SPEEDUPS (on by default).

Each does what the library does, with less CPU, by relying on how the library works
inside, so each upgrade of Flask, Flask-WTF, itsdangerous, Flask-Limiter or SQLAlchemy means
re-checking this module (the suite fails loudly where it can tell). With SPEEDUPS off the app runs on the libraries'
public behaviour alone; CI runs the whole suite both ways, and `make bench` shows what
they buy (docs/performance.md, "What the speed-ups buy").

- Flask-Limiter runs its hooks on every request; here they run only for the views that have
  a limit switched on (limit_hooks_to_limited_views).
- The order path's statements run as PostgreSQL prepared statements on the session's own
  DBAPI cursor (PreparedStatement), not through SQLAlchemy's execution layer.
- Flask asks whether each view, hook and context processor is a coroutine on every request;
  here the answer is kept (remember_plain_functions).
- Flask's session saving builds a HeaderSet to add `Vary: Cookie`; here the header is added
  as text (SessionWithPlainVary).
- itsdangerous tries zlib on every signed value and derives its key from the secret on every
  signature; here small values (a CSRF token, a small session) skip zlib and each key is
  derived once (SmallPayloadSerializer), for the session cookie and for Flask-WTF's CSRF
  token, which is made with a kept serializer (csrf_token).

install() puts the session and the coroutine check in place; the others are called where
the limiter, the CSRF token and the order path's statements are set up. Speed-ups that need
no library internals (the cookie-less session, the kept Accept ranking, the cached
catalogue) are not here: they are always on.
"""

import re
import secrets
import weakref
import zlib
from collections import namedtuple
from dataclasses import dataclass
from functools import partial
from itertools import count

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.url_safe import URLSafeSerializerMixin
from sqlalchemy.exc import DBAPIError

from .web.cookie_session import CookieSessionInterface


def enabled():
    """Whether the current app runs with the speed-ups."""
    return current_app.config["SPEEDUPS"]


def install(app):
    """The speed-ups that replace a part of the app object itself (the factory calls this with SPEEDUPS on)."""
    app.ensure_sync = remember_plain_functions(app)
    app.session_interface = SessionWithPlainVary()


# Flask's coroutine check -----------------------------------------------------------------------


def remember_plain_functions(app):
    """`app.ensure_sync`, remembering the functions that need no wrapping.

    Flask asks `inspect.iscoroutinefunction` about every view, hook and template context
    processor on every request, and the answer never changes for a function. It is kept
    weakly, so that a per-request callback (after_this_request) is forgotten with its request.
    Relies on Flask calling `app.ensure_sync` (an attribute lookup, so the instance's wins).
    """
    plain = weakref.WeakSet()

    def ensure_sync(func):
        try:
            if func in plain:
                return func
            wrapped = Flask.ensure_sync(app, func)
            if wrapped is func:
                plain.add(func)
            return wrapped
        except TypeError:  # unhashable, or takes no weak reference: Flask's own check every time
            return Flask.ensure_sync(app, func)

    return ensure_sync


# Flask's session saving --------------------------------------------------------------------


class SessionWithPlainVary(CookieSessionInterface):
    """The session interface, saving as Flask's `save_session` does but adding `Vary: Cookie` as text,
    and signing with SmallPayloadSerializer.

    A copy of Flask's steps (re-check it when Flask changes them): nothing to set when the
    session is empty and unchanged, Flask's own deletion when it was emptied, the cookie with
    Flask's attributes otherwise. The serializer has Flask's salt, key derivation and digest.
    """

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = SmallPayloadSerializer(
                [*key[1], app.secret_key],  # itsdangerous expects the current key last
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            self._serializers = {key: serializer}  # one key in use at a time: drop the old one
        return serializer

    def save_session(self, app, session, response):
        if not session and not session.modified:
            if session.accessed:
                add_vary_cookie(response)
            return
        if not session:
            super().save_session(app, session, response)  # emptied: Flask deletes the cookie
            return
        if session.accessed:
            add_vary_cookie(response)
        if not self.should_set_cookie(app, session):
            return
        response.set_cookie(
            self.get_cookie_name(app),
            self.get_signing_serializer(app).dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )
        add_vary_cookie(response)


def add_vary_cookie(response):
    """`response.vary.add("Cookie")`, the same header, without building a HeaderSet."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = "Cookie"
    elif "cookie" not in (part.strip().lower() for part in current.split(",")):
        response.headers["Vary"] = current + ", Cookie"


# Flask-Limiter's hooks ------------------------------------------------------------------

# The app-wide hook lists Flask-Limiter adds to: its check, its X-RateLimit headers, its clean-up.
LIMITER_HOOK_LISTS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def limit_hooks_to_limited_views(app, limiter, no_limits_apply):
    """Run the hooks `limiter` added to `app` only for requests where `no_limits_apply()` is false.

    For any other request they do nothing a caller can see (the request filter already skips
    the check, so there are no X-RateLimit headers and no deductions), yet the limiter still
    resolves the view's limits and builds its per-request context. Relies on Flask-Limiter
    adding exactly one hook to each of LIMITER_HOOK_LISTS, bound to the limiter.
    """
    for list_name in LIMITER_HOOK_LISTS:
        hooks = getattr(app, list_name).get(None, [])
        found = [index for index, hook in enumerate(hooks) if _belongs_to(hook, limiter)]
        if len(found) != 1:
            raise RuntimeError(
                f"Flask-Limiter's {list_name} hooks are not what app/speedups.py expects: "
                "re-check it for this version, or set SPEEDUPS=0"
            )
        index = found[0]
        hands_on_response = list_name == "after_request_funcs"
        hooks[index] = _when_limited(hooks[index], no_limits_apply, hands_on_response)


def _belongs_to(hook, limiter):
    """A bound method of the limiter, or a partial over one of its methods with the limiter as its first argument."""
    if getattr(hook, "__self__", None) is limiter:
        return True
    return isinstance(hook, partial) and bool(hook.args) and hook.args[0] is limiter


def _when_limited(hook, no_limits_apply, hands_on_response):
    if hands_on_response:

        def after_request(response):
            return response if no_limits_apply() else hook(response)

        return after_request

    def before_or_teardown(*args):
        return None if no_limits_apply() else hook(*args)

    return before_or_teardown


# Signed values: the session cookie and the CSRF token -----------------------------------------

COMPRESS_FROM = 128  # bytes of JSON; below it zlib never wins on what the app signs
MAX_DERIVED_KEYS = 16  # a few secrets (current and fallbacks) × salts; more means keys were rotated
_derived_keys = {}  # (secret, salt, derivation, digest) -> key, shared by every signer


class RememberedKeySigner(TimestampSigner):
    """itsdangerous's TimestampSigner, deriving each (secret, salt, method) key once per process."""

    def derive_key(self, secret_key=None):
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        remembered = (secret, self.salt, self.key_derivation, self.digest_method)
        key = _derived_keys.get(remembered)
        if key is None:
            key = super().derive_key(secret_key)
            if len(_derived_keys) >= MAX_DERIVED_KEYS:
                _derived_keys.clear()
            _derived_keys[remembered] = key
        return key


class SmallPayloadSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer, but payloads under COMPRESS_FROM bytes skip the zlib attempt.

    The signature covers the payload either way, and loading (ours or itsdangerous's own, e.g.
    Flask-WTF's check of a token) reads both forms. Relies on the mixin's dump_payload being
    the one that compresses, and on the JSON coming from the class after it.
    """

    default_signer = RememberedKeySigner

    def dump_payload(self, obj):
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)  # the JSON, before the mixin's zlib
        if len(json) >= COMPRESS_FROM:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:  # itsdangerous's own rule
                return b"." + base64_encode(compressed)
        return base64_encode(json)


CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's: its validate_csrf checks the tokens made here
_csrf_serializers = {}


def csrf_token():
    """Flask-WTF's generate_csrf(): the same token in the session and in `g`, checked by Flask-WTF,
    made with a serializer kept per secret key rather than a new one for every page."""
    config = current_app.config
    field_name = config["WTF_CSRF_FIELD_NAME"]
    secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not (field_name and secret_key):
        return generate_csrf()  # its own error for a missing setting
    if field_name not in g:
        if field_name not in session:
            session[field_name] = _new_raw_token()
        try:
            token = _csrf_serializer(secret_key).dumps(session[field_name])
        except TypeError:  # not a token we made (Flask-WTF replaces it the same way)
            session[field_name] = _new_raw_token()
            token = _csrf_serializer(secret_key).dumps(session[field_name])
        setattr(g, field_name, token)
    return g.get(field_name)


def _new_raw_token():
    return secrets.token_hex(20)  # 40 hex digits, as Flask-WTF's sha1(urandom(64)).hexdigest()


def _csrf_serializer(secret_key):
    serializer = _csrf_serializers.get(secret_key)
    if serializer is None:
        serializer = SmallPayloadSerializer(secret_key, salt=CSRF_SALT)
        _csrf_serializers.clear()  # one key in use at a time: drop the old one
        _csrf_serializers[secret_key] = serializer
    return serializer


# Prepared statements on PostgreSQL ----------------------------------------------------------


class PreparedStatement:
    """A statement run as a PostgreSQL prepared statement on the session's own DBAPI cursor.

    SQLAlchemy's execution layer (execution context, result, rows) costs several times
    psycopg2's own CPU per statement, and PostgreSQL parses and plans every statement
    psycopg2 sends it anew. So the statement is compiled once, PREPAREd once per database
    connection (a round trip on its first use there), and then sent as `EXECUTE name
    (values)` inside the session's transaction (the session still begins, commits and rolls
    back). Only statements whose binds need no processing by SQLAlchemy can take this way
    (checked when compiled); `rows` answers None for the others, and on SQLite. Rows come
    back as named tuples, like SQLAlchemy's. Prepared statements outlive a rollback and die
    with their connection, which is what the bookkeeping in the pooled connection's `info`
    assumes (a pooler in transaction mode in between would not do).
    """

    _numbers = count(1)

    def __init__(self, statement):
        self.statement = statement
        self.name = f"bakery_{next(self._numbers)}"
        self._compiled = {}  # dialect name -> its _Compiled form, or None: not for this dialect
        self._row_class = None

    def rows(self, session, params):
        """Every row the statement returns (a list), or None when it must go through the session."""
        connection = session.connection()
        compiled = self.compiled_for(connection.dialect)
        if compiled is None:
            return None
        dbapi_connection = connection.connection
        names = dbapi_connection.info.setdefault(PREPARED_KEY, set())
        values = {**compiled.literals, **params} if compiled.literals else params
        with dbapi_connection.cursor() as cursor:
            for listener in connection.dispatch.before_cursor_execute:  # statement logs and counts still see it
                listener(connection, cursor, compiled.sql, values, None, False)
            try:
                if self.name not in names:
                    cursor.execute(compiled.prepare)
                    names.add(self.name)
                cursor.execute(compiled.execute, values)
            except connection.dialect.loaded_dbapi.Error as error:
                raise _wrapped(error, connection, dbapi_connection, cursor, compiled.sql, values) from error
            if cursor.description is None:
                return []
            if self._row_class is None:
                self._row_class = namedtuple("Row", [column.name for column in cursor.description], rename=True)
            return [self._row_class._make(row) for row in cursor.fetchall()]

    def compiled_for(self, dialect):
        if dialect.name not in self._compiled:
            self._compiled[dialect.name] = _compile(self.statement, dialect, self.name)
        return self._compiled[dialect.name]


PREPARED_KEY = "bakery_prepared"  # in a pooled connection's info: the statements PREPAREd on it


@dataclass(frozen=True)
class _Compiled:
    sql: str  # as SQLAlchemy compiled it, for statement logs
    prepare: str  # PREPARE name AS … with $1, $2, …
    execute: str  # EXECUTE name (%(a)s, %(b)s, …) in psycopg2's paramstyle
    literals: dict  # values of the statement's own literal binds


def _compile(statement, dialect, name):
    """The statement as a PostgreSQL prepared statement, or None when it must go through the session."""
    if dialect.name != "postgresql":
        return None
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:  # an expanding IN (…) is rendered per call
        return None
    literals = {}
    for bind, bind_name in compiled.bind_names.items():
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            return None  # a value SQLAlchemy converts on the way in: leave it to SQLAlchemy
        if not bind.required:
            literals[bind_name] = bind.effective_value
    order = []

    def numbered(match):
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    body = PLACEHOLDER.sub(numbered, compiled.string).replace("%%", "%")
    arguments = ", ".join(f"%({param})s" for param in order)
    return _Compiled(
        sql=compiled.string,
        prepare=f"PREPARE {name} AS {body}",
        execute=f"EXECUTE {name} ({arguments})" if order else f"EXECUTE {name}",
        literals=literals,
    )


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _wrapped(error, connection, dbapi_connection, cursor, sql, params):
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, …), with a
    dead connection invalidated so that the pool replaces it, as SQLAlchemy itself does."""
    dialect = connection.dialect
    disconnected = dialect.is_disconnect(error, dbapi_connection, cursor)
    if disconnected:
        connection.invalidate(error)
    return DBAPIError.instance(
        sql, params, error, dialect.loaded_dbapi.Error, connection_invalidated=disconnected, dialect=dialect
    )
