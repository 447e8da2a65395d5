"""The speed-ups that lean on library internals, all switched by one setting: SPEEDUPS (on by default).

Each does what the library does, with less CPU, by relying on how the library works
inside, so each upgrade of Flask-Limiter or SQLAlchemy means re-checking this module (the
suite fails loudly where it can tell). With SPEEDUPS off the app runs on the libraries'
public behaviour alone; CI runs the whole suite both ways, and `make bench` shows what
they buy (docs/performance.md, "What the speed-ups buy").

- Flask-Limiter runs its hooks on every request; here they run only for the views that have
  a limit switched on (limit_hooks_to_limited_views).
- The order path's statements run as PostgreSQL prepared statements on the session's own
  DBAPI cursor (PreparedStatement), not through SQLAlchemy's execution layer.

Speed-ups that need no library internals (the cookie-less session, the kept Accept ranking,
the cached catalogue) are not here: they are always on, where they belong.
"""

import re
from collections import namedtuple
from dataclasses import dataclass
from functools import partial
from itertools import count

from flask import current_app
from sqlalchemy.exc import DBAPIError


def enabled():
    """Whether the current app runs with the speed-ups."""
    return current_app.config["SPEEDUPS"]


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
