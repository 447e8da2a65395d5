"""What "the database is down" means, for the web (a 503) and the order pipeline (wait, count nothing)."""

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError
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
