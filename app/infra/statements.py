"""The order path's hand-written SQL: HotStatement, upsert_text and dialect_insert."""

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import speedups
from ..extensions import db

INSERT_FOR_DIALECT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def dialect_insert(model):
    """INSERT … ON CONFLICT into `model` for the database in use (PostgreSQL or SQLite): one round
    trip, where a savepoint would take three."""
    return INSERT_FOR_DIALECT[db.session.get_bind().dialect.name](model)


def upsert_text(sql, table):
    """A hand-written INSERT … ON CONFLICT statement whose :name parameters bind as `table`'s columns.

    SQLAlchemy cannot cache the compiled form of its dialect INSERT … ON CONFLICT constructs
    (they have no cache key), so each use on the order path would compile afresh, which costs
    far more CPU than running the statement (docs/performance.md, "Why the order path looks
    as it does"). The same SQL runs on PostgreSQL and SQLite; typed binds keep SQLite's stored
    date and time formats. A parameter named like `<column>_<n>` binds as that column.
    """
    statement = text(sql)
    binds = []
    for name in statement.compile().params:
        column = table.c.get(name) if name in table.c else table.c.get(name.rsplit("_", 1)[0])
        if column is not None:
            binds.append(bindparam(name, type_=column.type))
    return statement.bindparams(*binds)


class HotStatement:
    """A statement the order path runs on every order.

    With SPEEDUPS on, on PostgreSQL, it runs as a prepared statement on the session's own
    cursor (app/speedups.py: PreparedStatement); otherwise, and for a statement that cannot,
    through the session. Either way inside the session's transaction, with the same rows
    (named tuples) and the same SQLAlchemy exceptions.
    """

    def __init__(self, statement):
        self.statement = statement
        self.prepared = speedups.PreparedStatement(statement)

    def rows(self, session, params=None):
        """Every row the statement returns (a list; empty for none)."""
        params = params or {}
        if speedups.enabled():
            rows = self.prepared.rows(session, params)
            if rows is not None:
                return rows
        result = session.execute(self.statement, params)
        return result.all() if result.returns_rows else []

    def one_or_none(self, session, params=None):
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def scalar(self, session, params=None):
        row = self.one_or_none(session, params)
        return row[0] if row is not None else None
