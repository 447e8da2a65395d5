"""What "the database is down" means, for the web (a 503) and the order pipeline (wait, count nothing)."""

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Unreachable, a dropped connection, or no free connection in the pool within pool_timeout.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


def dialect_insert(engine):
    """INSERT … ON CONFLICT for this engine's dialect: one round trip, where a savepoint would take three."""
    return {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[engine.dialect.name]
