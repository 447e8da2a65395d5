"""Many customers at once, on PostgreSQL: no overselling, no deadlocks, stock conserved."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, OrderItem
from tests.helpers import post_order, services_only

pytestmark = services_only
POOL = {"pool_size": 50, "max_overflow": 0, "pool_timeout": 30}


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """A Wednesday at 10:00: the day's slots have room for every order here (run near closing
    time, only the last slot would be left, and orders beyond its capacity are rightly refused)."""
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 25, 10, 0))


def place_in_parallel(app, orders, idempotency_keys=None):
    """POST every order from its own thread at once; return the status codes."""
    keys = idempotency_keys or [None] * len(orders)

    def place(args):
        items, key = args
        headers = {"Idempotency-Key": key} if key else {}
        response = post_order(app.test_client(), items, headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        return list(pool.map(place, zip(orders, keys, strict=True)))


def test_forty_customers_for_seven_loaves_sell_exactly_seven(make_app, add_product, stock_of):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)
    loaf = add_product(name="Last Loaves", stock=7)
    results = place_in_parallel(app, [[{"id": loaf, "quantity": 1}]] * 40)
    codes = [code for code, _ in results]
    assert codes.count(201) == 7
    assert codes.count(409) == 33
    assert stock_of(loaf) == 0
    with app.app_context():
        assert db.session.scalar(select(func.sum(OrderItem.quantity))) == 7


def test_crossed_orders_never_deadlock_and_conserve_stock(make_app, add_product, stock_of):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)
    a, b = add_product(name="Bun A", stock=500), add_product(name="Bun B", stock=500)
    orders = [
        [{"id": a, "quantity": 1}, {"id": b, "quantity": 2}]
        if i % 2 == 0
        else [{"id": b, "quantity": 2}, {"id": a, "quantity": 1}]
        for i in range(100)
    ]
    results = place_in_parallel(app, orders)
    assert [code for code, _ in results] == [201] * 100
    assert stock_of(a) == 500 - 100
    assert stock_of(b) == 500 - 200


def test_concurrent_retries_with_one_key_make_one_order(make_app, add_product, stock_of):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)
    bun = add_product(name="Double-click Bun", stock=50)
    results = place_in_parallel(app, [[{"id": bun, "quantity": 2}]] * 20, ["same-key"] * 20)
    assert {code for code, _ in results} == {201}
    assert len({body["order_id"] for _, body in results}) == 1
    assert stock_of(bun) == 48
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
