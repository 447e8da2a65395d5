"""Many customers at once for the same slot or the same day's bake: never one too many, never a deadlock.

On PostgreSQL (BAKERY_TEST_BACKEND=services) the orders really run in parallel, each on its
own connection; on the embedded SQLite writers queue up for the lock, and must not fail for it.
"""

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.exceptions import Conflict
from app.extensions import db
from app.models import Order, Product, ProductDay, SlotBooking, SlotCapacity
from app.orders.service import change_status
from tests.helpers import BACKEND, ON_SERVICES, bake

NOW = datetime(2026, 11, 25, 10, 0)
SLOT = datetime(2026, 11, 26, 8, 0)
POOL = {"pool_size": 50, "max_overflow": 0, "pool_timeout": 30} if ON_SERVICES else {"connect_args": {"timeout": 30}}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


@pytest.fixture
def app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)


def in_parallel(app, bodies, label):
    """POST every order body from its own thread at once; return [(status, json)] and print the figures."""

    def place(body):
        response = app.test_client().post(
            "/orders", data=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        return response.status_code, response.get_json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        results = list(pool.map(place, bodies))
    codes = Counter(code for code, _ in results)
    print(f"\n[{BACKEND}] {label}: {dict(codes)} in {time.monotonic() - started:.2f}s")
    return results


def add(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [getattr(row, "id", None) for row in rows]


def scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def test_forty_orders_for_a_slot_of_five_accept_exactly_five(app, add_product):
    bun = add_product(name="Slot Bun", stock=1000)
    add(app, SlotCapacity(slot_start=SLOT, capacity=5))
    body = {"items": [{"id": bun, "quantity": 1}], "pickup_at": SLOT.isoformat()}
    results = in_parallel(app, [body] * 40, "40 orders, one slot of capacity 5")
    codes = [code for code, _ in results]
    assert codes.count(201) == 5 and codes.count(409) == 35
    assert all(body["details"]["next_available"] for code, body in results if code == 409)
    assert scalar(app, select(SlotBooking.taken).where(SlotBooking.slot_start == SLOT)) == 5
    assert scalar(app, select(func.count()).select_from(Order)) == 5
    assert scalar(app, select(Product.stock).where(Product.id == bun)) == 995


def taken_on(app, product_id, day):
    return scalar(app, select(ProductDay.taken).where(ProductDay.product_id == product_id, ProductDay.day == day))


def test_forty_orders_against_a_bake_of_seven_accept_exactly_seven(app, add_product):
    bun = bake(app, add_product(name="Quota Bun", stock=1000), 7)
    # Spread over Thursday's slots, so that only the day's amount can refuse them.
    bodies = [
        {"items": [{"id": bun, "quantity": 1}], "pickup_at": f"2026-11-26T{7 + i % 10:02d}:{30 * (i // 10 % 2):02d}"}
        for i in range(40)
    ]
    results = in_parallel(app, bodies, "40 orders, 7 baked")
    codes = [code for code, _ in results]
    assert codes.count(201) == 7 and codes.count(409) == 33
    assert taken_on(app, bun, date(2026, 11, 26)) == 7
    assert scalar(app, select(Product.stock).where(Product.id == bun)) == 1000  # a baked product's stock stays


def test_many_orders_for_the_last_ten_croissants_of_a_day_sell_ten_and_leave_the_next_day_alone(app, add_product):
    croissant = bake(app, add_product(name="Last Croissant", stock=0), {3: 30, 4: 30})  # Thursday, Friday
    thursday, friday = date(2026, 11, 26), date(2026, 11, 27)
    first = app.test_client().post(
        "/orders",
        data=json.dumps({"items": [{"id": croissant, "quantity": 20}], "pickup_at": "2026-11-26T07:00"}),
        headers={"Content-Type": "application/json"},
    )
    assert first.status_code == 201  # 10 left on Thursday
    bodies = [
        {
            "items": [{"id": croissant, "quantity": 1}],
            "pickup_at": f"2026-11-26T{8 + i % 10:02d}:{30 * (i // 10 % 2):02d}",
        }
        for i in range(40)
    ]
    results = in_parallel(app, bodies, "40 orders for the last 10 croissants")
    codes = [code for code, _ in results]
    assert codes.count(201) == 10 and codes.count(409) == 30
    refused = [body for code, body in results if code == 409]
    assert all(body["details"]["next_available_day"] == "2026-11-27" for body in refused)
    assert taken_on(app, croissant, thursday) == 30
    assert taken_on(app, croissant, friday) is None  # untouched
    assert (
        app.test_client()
        .get("/products?day=2026-11-27", headers={"Accept": "application/json"})
        .get_json()[0]["available"]
        == 30
    )


def test_crossed_carts_on_baked_days_and_one_slot_never_deadlock(app, add_product):
    a = bake(app, add_product(name="Crossed A", stock=1000), 500)
    b = bake(app, add_product(name="Crossed B", stock=1000), 500)
    add(app, SlotCapacity(slot_start=SLOT, capacity=100))
    bodies = [
        {
            "items": [{"id": a, "quantity": 1}, {"id": b, "quantity": 2}][:: 1 if i % 2 else -1],
            "pickup_at": SLOT.isoformat(),
        }
        for i in range(60)
    ]
    results = in_parallel(app, bodies, "60 crossed carts, baked days and one slot")
    assert [code for code, _ in results] == [201] * 60
    day = date(2026, 11, 26)
    assert (taken_on(app, a, day), taken_on(app, b, day)) == (60, 120)
    assert scalar(app, select(SlotBooking.taken).where(SlotBooking.slot_start == SLOT)) == 60


def test_assigned_slots_never_overfill_when_many_order_without_a_time(app, add_product):
    bun = add_product(name="Auto Bun", stock=1000)
    from app.models import CalendarSettings

    add(app, CalendarSettings(id=1, slot_capacity=3))
    results = in_parallel(app, [{"items": [{"id": bun, "quantity": 1}]}] * 30, "30 orders without a time, slots of 3")
    assert [code for code, _ in results] == [201] * 30
    per_slot = Counter(body["pickup_at"] for _, body in results)
    assert max(per_slot.values()) <= 3
    assert sorted(per_slot)[0] == "2026-11-25T10:30:00+01:00"


def test_cancelled_orders_give_their_places_back_to_the_next_customers(app, add_product):
    bun = bake(app, add_product(name="Comeback Bun", stock=1000), 5)
    add(app, SlotCapacity(slot_start=SLOT, capacity=5))
    body = {"items": [{"id": bun, "quantity": 1}], "pickup_at": SLOT.isoformat()}
    first = in_parallel(app, [body] * 10, "10 orders, slot of 5")
    placed = [b["order_id"] for code, b in first if code == 201]
    assert len(placed) == 5

    def cancel(order_id):
        # On the services the worker moves orders to Processing meanwhile: try again, as staff would.
        for _attempt in range(20):
            with app.app_context():
                try:
                    return change_status(order_id, "Cancelled").status
                except Conflict:
                    time.sleep(0.05)
        raise AssertionError(f"could not cancel {order_id}")

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(cancel, placed))
    assert scalar(app, select(SlotBooking.taken).where(SlotBooking.slot_start == SLOT)) == 0
    again = in_parallel(app, [body] * 20, "20 orders after 5 cancellations")
    assert [code for code, _ in again].count(201) == 5
    assert scalar(app, select(SlotBooking.taken).where(SlotBooking.slot_start == SLOT)) == 5
