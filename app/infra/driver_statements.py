"""The order path's hand-written SQL (DriverStatement on the DBAPI cursor, upsert_text, dialect_insert), and
what "the database is down" means (DATABASE_DOWN), for the web (a 503) and the order pipeline (wait, count nothing)."""

import re
from collections import namedtuple
from dataclasses import dataclass
from itertools import count

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Unreachable, a dropped connection, or no free connection in the pool within pool_timeout.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


def dialect_insert(engine):
    """INSERT … ON CONFLICT for this engine's dialect: one round trip, where a savepoint would take three."""
    return {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[engine.dialect.name]


def upsert_text(sql, table):
    """A hand-written INSERT … ON CONFLICT statement whose :name parameters bind as `table`'s columns.

    SQLAlchemy cannot cache the compiled form of its dialect INSERT … ON CONFLICT constructs
    (they have no cache key), so each use on the order path compiled afresh, which costs far
    more CPU than running the statement (docs/performance.md, "Why the speed-ups exist").
    The same SQL runs on PostgreSQL and SQLite; typed binds keep SQLite's stored date and
    time formats. A parameter named like `<column>_<n>` binds as that column.
    """
    statement = text(sql)
    binds = []
    for name in statement._bindparams:
        column = table.c.get(name) if name in table.c else table.c.get(name.rsplit("_", 1)[0])
        if column is not None:
            binds.append(bindparam(name, type_=column.type))
    return statement.bindparams(*binds)


class DriverStatement:
    """A statement of the order path, run on the session's own DBAPI cursor as a prepared statement on PostgreSQL.

    SQLAlchemy's execution layer (execution context, result, rows) costs several times
    psycopg2's own CPU per statement (docs/performance.md, "What limits them"), and
    PostgreSQL parses and plans every statement psycopg2 sends it anew; placing an order
    runs seven. So the statement is compiled once, PREPAREd once per database connection (a
    round trip on its first use there), and then sent as `EXECUTE name (values)` inside the
    session's transaction (the session still begins, commits and rolls back). Only
    statements whose binds need no processing by SQLAlchemy take this way (checked when
    compiled); the others, and every statement on SQLite (whose dates and times SQLAlchemy
    stores as text), run through the session as before. Rows come back as named tuples, like
    SQLAlchemy's rows. Prepared statements outlive a rollback and die with their connection,
    which is what the bookkeeping in the pooled connection's `info` assumes (a pooler in
    transaction mode in between would not do).
    """

    _numbers = count(1)

    def __init__(self, statement):
        self.statement = statement
        self.name = f"bakery_{next(self._numbers)}"
        self._prepared = {}  # dialect name -> its _Prepared form, or None: through the session
        self._row_class = None

    def rows(self, session, params=None):
        """Every row the statement returns (a list; empty for none)."""
        params = params or {}
        connection = session.connection()
        prepared = self._prepared_for(connection.dialect)
        if prepared is None:
            result = session.execute(self.statement, params)
            return result.all() if result.returns_rows else []
        dbapi_connection = connection.connection
        names = dbapi_connection.info.setdefault(PREPARED_KEY, set())
        values = {**prepared.literals, **params} if prepared.literals else params
        with dbapi_connection.cursor() as cursor:
            for listener in connection.dispatch.before_cursor_execute:  # statement logs and counts still see it
                listener(connection, cursor, prepared.sql, values, None, False)
            try:
                if self.name not in names:
                    cursor.execute(prepared.prepare)
                    names.add(self.name)
                cursor.execute(prepared.execute, values)
            except connection.dialect.loaded_dbapi.Error as error:
                raise _wrapped(error, connection, dbapi_connection, cursor, prepared.sql, values) from error
            if cursor.description is None:
                return []
            if self._row_class is None:
                self._row_class = namedtuple("Row", [column.name for column in cursor.description], rename=True)
            return [self._row_class._make(row) for row in cursor.fetchall()]

    def one_or_none(self, session, params=None):
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def scalar(self, session, params=None):
        row = self.one_or_none(session, params)
        return row[0] if row is not None else None

    def _prepared_for(self, dialect):
        if dialect.name not in self._prepared:
            self._prepared[dialect.name] = _prepare(self.statement, dialect, self.name)
        return self._prepared[dialect.name]


PREPARED_KEY = "bakery_prepared"  # in a pooled connection's info: the DriverStatements PREPAREd on it


@dataclass(frozen=True)
class _Prepared:
    sql: str  # as SQLAlchemy compiled it, for statement logs
    prepare: str  # PREPARE name AS … with $1, $2, …
    execute: str  # EXECUTE name (%(a)s, %(b)s, …) in psycopg2's paramstyle
    literals: dict  # values of the statement's own literal binds


def _prepare(statement, dialect, name):
    """The statement as a PostgreSQL prepared statement, or None when it must go through the session."""
    if dialect.name != "postgresql":
        return None
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:  # an expanding IN (…) is rendered per call
        return None
    literals = {}
    for bind, bind_name in compiled.bind_names.items():
        if bind.type._cached_bind_processor(dialect) is not None:
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
    return _Prepared(
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
