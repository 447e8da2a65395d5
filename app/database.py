"""What "the database is down" means, for the web (a 503) and the order pipeline (wait, count nothing)."""

from collections import namedtuple

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
    (they have no cache key), so each use compiled afresh: ~1-10 ms of CPU per statement on
    the order path. The same SQL runs on PostgreSQL and SQLite; typed binds keep SQLite's
    stored date and time formats. A parameter named like `<column>_<n>` binds as that column.
    """
    statement = text(sql)
    binds = []
    for name in statement._bindparams:
        column = table.c.get(name) if name in table.c else table.c.get(name.rsplit("_", 1)[0])
        if column is not None:
            binds.append(bindparam(name, type_=column.type))
    return statement.bindparams(*binds)


class DriverStatement:
    """A statement of the order path that runs on the session's own DBAPI cursor on PostgreSQL.

    SQLAlchemy's execution layer (execution context, result, rows) costs ~0.1–0.2 ms of CPU
    per statement over psycopg2's own work; placing an order runs seven such statements. The
    statement is compiled once per dialect and sent as is, inside the session's transaction
    (the session still begins, commits and rolls back). Only statements whose binds need no
    processing by SQLAlchemy take this way (checked when compiled); the others, and every
    statement on SQLite (whose dates and times SQLAlchemy stores as text), run through the
    session as before. Rows come back as named tuples, like SQLAlchemy's rows.
    """

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}  # dialect name -> (sql, literal binds, row class) or None: use the session

    def rows(self, session, params=None):
        """Every row the statement returns (a list; empty for none)."""
        params = params or {}
        connection = session.connection()
        compiled = self._compile(connection.dialect)
        if compiled is None:
            result = session.execute(self.statement, params)
            return result.all() if result.returns_rows else []
        sql, literals, _ = compiled
        if literals:
            params = {**literals, **params}
        dbapi_connection = connection.connection
        with dbapi_connection.cursor() as cursor:
            for listener in connection.dispatch.before_cursor_execute:  # statement logs and counts still see it
                listener(connection, cursor, sql, params, None, False)
            try:
                cursor.execute(sql, params)
            except connection.dialect.loaded_dbapi.Error as error:
                raise _wrapped(error, connection, dbapi_connection, cursor, sql, params) from error
            if cursor.description is None:
                return []
            row_class = self._row_class(connection.dialect.name, cursor.description)
            return [row_class._make(row) for row in cursor.fetchall()]

    def one_or_none(self, session, params=None):
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def scalar(self, session, params=None):
        row = self.one_or_none(session, params)
        return row[0] if row is not None else None

    def _compile(self, dialect):
        if dialect.name not in self._compiled:
            self._compiled[dialect.name] = _compile_for_driver(self.statement, dialect)
        return self._compiled[dialect.name]

    def _row_class(self, dialect_name, description):
        sql, literals, row_class = self._compiled[dialect_name]
        if row_class is None:
            row_class = namedtuple("Row", [column.name for column in description], rename=True)
            self._compiled[dialect_name] = (sql, literals, row_class)
        return row_class


def _compile_for_driver(statement, dialect):
    """(SQL in the driver's paramstyle, the values of the statement's literal binds, None) or None."""
    if dialect.name != "postgresql":
        return None
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:  # an expanding IN (…) is rendered per call
        return None
    literals = {}
    for bind, name in compiled.bind_names.items():
        if bind.type._cached_bind_processor(dialect) is not None:
            return None  # a value SQLAlchemy converts on the way in: leave it to SQLAlchemy
        if not bind.required:
            literals[name] = bind.effective_value
    return compiled.string, literals, None


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
