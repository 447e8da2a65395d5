"""The order path's statements (app/infra/statements.py: HotStatement), with and without the speed-ups.

With SPEEDUPS on they run as prepared statements on the session's own DBAPI cursor on
PostgreSQL (app/speedups.py: PreparedStatement); either way they must behave as
SQLAlchemy's own execution does: same rows, the same exceptions (an IntegrityError the
order path answers with the first order, an OperationalError the web answers with a 503),
a dead connection replaced by the pool, and statement logs still seeing every statement.
"""

import psycopg2
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.bakery_calendar import service as calendar_service
from app.exceptions import DATABASE_DOWN
from app.extensions import db
from app.infra.statements import HotStatement
from app.models import Product, utcnow
from app.orders import capacity
from app.orders import service as order_service
from app.speedups import PREPARED_KEY, _compile
from tests.helpers import JSON, post_order, services_only

HOT_STATEMENTS = {
    "products of a one-line order": order_service._products_for_order(1),
    "products of a three-line order": order_service._products_for_order(3),
    "stock": order_service.TAKE_STOCK,
    "order and its items": order_service._insert_order_with_items(2),
    "order alone": order_service.INSERT_ORDER_ALONE,
    "pickup day": capacity._day_upsert(2),
    "slot": capacity.SLOT_UPSERT,
    "calendar and bookings": calendar_service._calendar_rows(True),
}


@pytest.fixture(params=[True, False], ids=["speedups", "public-apis"])
def app(make_app, request):
    """One pooled connection and no overflow: what a test finds prepared is on the connection
    its orders used (with more, a busy machine hands the check another one)."""
    return make_app(DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, SPEEDUPS=request.param)


with_speedups = pytest.mark.parametrize("app", [True], indirect=True, ids=["speedups"])


@services_only
@with_speedups
@pytest.mark.parametrize("name", list(HOT_STATEMENTS))
def test_every_hot_statement_can_be_prepared_on_postgresql(app, name):
    """A statement that silently fell back to the session would still work, only slower: say so here."""
    with app.app_context():
        assert _compile(HOT_STATEMENTS[name].statement, db.engine.dialect, "check") is not None


@with_speedups
def test_only_postgresql_prepares(app):
    """SQLite's dates and times need SQLAlchemy's conversions: there every statement goes through the session."""
    with app.app_context():
        dialect = db.engine.dialect
    prepared = _compile(order_service.TAKE_STOCK.statement, dialect, "check")
    assert (prepared is not None) == (dialect.name == "postgresql")


def test_rows_are_those_sqlalchemy_returns(app, products):
    ids = sorted(products.values())[:3]
    with app.app_context():
        params = {f"id_{n}": pid for n, pid in enumerate(ids)}
        driver_rows = order_service._products_for_order(3).rows(db.session, params)
        session_rows = db.session.execute(order_service._products_for_order(3).statement, params).all()
        db.session.rollback()
    assert sorted(driver_rows) == sorted(tuple(row) for row in session_rows)
    first = sorted(driver_rows)[0]
    assert (first.id, first.name) == (ids[0], db_name_of(app, ids[0]))
    assert str(first.price) == str(sorted(session_rows)[0].price)  # a Decimal, as SQLAlchemy gives it


def db_name_of(app, product_id):
    with app.app_context():
        return db.session.get(Product, product_id).name


def test_a_statement_that_returns_nothing_gives_an_empty_list(app):
    with app.app_context():
        rows = HotStatement(text("UPDATE products SET stock = stock WHERE id = -1")).rows(db.session)
        db.session.rollback()
    assert rows == []


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_the_session_goes_on(app, products):
    """place_order answers a concurrent duplicate Idempotency-Key by catching IntegrityError."""
    response = post_order(
        app.test_client(), [{"id": products["Butter Croissant"], "quantity": 1}], {"Idempotency-Key": "k1"}
    )
    assert response.status_code == 201
    with app.app_context():
        first, taken_key = db.session.execute(text("SELECT public_id, idempotency_key FROM orders")).one()
        values = {
            "public_id": "another-public-id",
            "code": "ZZZZZZ",
            "status": "Pending",
            "total": 1,
            "idempotency_key": taken_key,
            "request_fingerprint": "x",
            "customer_name": None,
            "customer_contact": None,
            "customer_email": None,
            "customer_phone": None,
            "pickup_at": None,
            "note": None,
            "placed_by": None,
            "held_by": None,
            "processing_attempts": 0,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        with pytest.raises(IntegrityError):
            order_service.INSERT_ORDER_ALONE.rows(db.session, values)
        db.session.rollback()
        assert db.session.scalar(text("SELECT count(*) FROM orders")) == 1
        assert first == response.get_json()["order_id"]


def test_statement_logs_still_see_hot_statements(app, products):
    seen = []

    def log(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", log)
        try:
            response = post_order(app.test_client(), [{"id": products["Butter Croissant"], "quantity": 1}], JSON)
        finally:
            event.remove(db.engine, "before_cursor_execute", log)
    assert response.status_code == 201
    assert any(statement.startswith("UPDATE products SET stock") for statement in seen)
    assert any("slot_bookings" in statement for statement in seen)


@services_only
def test_a_killed_connection_fails_once_and_the_pool_renews_it(app, products):
    """The database restarted under a pooled connection: the statement raises what SQLAlchemy
    would (OperationalError, which the web answers with a 503), invalidates the connection, and
    the pool opens a fresh one for the next order."""
    client = app.test_client()
    croissant = products["Butter Croissant"]
    assert post_order(client, [{"id": croissant, "quantity": 1}], JSON).status_code == 201
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        _terminate(db.engine.url, pid)
        with pytest.raises(DATABASE_DOWN) as raised:
            order_service._products_for_order(1).rows(db.session, {"id_0": croissant})
        assert isinstance(raised.value, OperationalError)
        assert raised.value.connection_invalidated
        db.session.rollback()
        db.session.remove()
    response = post_order(client, [{"id": croissant, "quantity": 1}], JSON)
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM orders")) == 2


def _terminate(url, pid):
    """Kill the backend `pid` from a connection outside the app's pool, as a database restart would."""
    killer = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database
    )
    killer.autocommit = True
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    killer.close()


@services_only
@with_speedups
def test_statements_are_prepared_once_per_connection_and_outlive_a_refused_order(app, products, add_product):
    """PostgreSQL keeps a prepared statement through a rollback: an order refused after its
    first statements (no stock left) must not make the next order PREPARE them again (which
    PostgreSQL would refuse: the name exists)."""
    client = app.test_client()
    last_one = add_product(name="Last Loaf", stock=1)
    assert post_order(client, [{"id": last_one, "quantity": 1}], JSON).status_code == 201
    refused = post_order(client, [{"id": last_one, "quantity": 1}], JSON)
    assert refused.status_code == 409, refused.get_data(as_text=True)
    assert post_order(client, [{"id": products["Baguette"], "quantity": 2}], JSON).status_code == 201
    with app.app_context():
        connection = db.session.connection()
        on_server = set(db.session.scalars(text("SELECT name FROM pg_prepared_statements")))
        known = connection.connection.info[PREPARED_KEY]
        db.session.rollback()
    assert known and known <= on_server
    assert order_service.TAKE_STOCK.prepared.name in on_server


@services_only
@pytest.mark.parametrize("app", [False], indirect=True, ids=["public-apis"])
def test_without_the_speedups_nothing_is_prepared(app, products):
    assert post_order(app.test_client(), [{"id": products["Baguette"], "quantity": 2}], JSON).status_code == 201
    with app.app_context():
        assert PREPARED_KEY not in db.session.connection().connection.info
        assert not db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        db.session.rollback()
