"""Resources a day's baking shares (an oven's trays): products made to order take what the oven has room
for on their pickup day, planned amounts fill it first, and nothing is oversold, also under concurrent orders."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import CANCELLED, Order, OrderItem, Resource
from app.orders.service import change_status
from tests.helpers import BROWSER, JSON, ON_SERVICES, bake, use_resource, wait_for_status

THURSDAY, FRIDAY = date(2026, 11, 26), date(2026, 11, 27)
POOL = {"pool_size": 40, "max_overflow": 0, "pool_timeout": 30} if ON_SERVICES else {"connect_args": {"timeout": 30}}


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """A Wednesday at 10:00: Thursday and Friday take orders."""
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)


def order(app, product_id, quantity, day=THURSDAY, hour=8):
    body = {"items": [{"id": product_id, "quantity": quantity}], "pickup_at": f"{day.isoformat()}T{hour:02d}:00"}
    return app.test_client().post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})


def available(app, product_id, day=THURSDAY):
    products = app.test_client().get(f"/products?day={day.isoformat()}", headers=JSON).get_json()
    return next(p["available"] for p in products if p["id"] == product_id)


def ordered(app, product_id, day=THURSDAY):
    with app.app_context():
        return db.session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .join(Order, Order.id == OrderItem.order_id)
            .where(OrderItem.product_id == product_id, func.date(Order.pickup_at) == day)
        )


@pytest.fixture
def cake_and_croissant(app, products):
    """A cake made to order (one a tray) and croissants baked 24 a day (12 a tray) share a 4-tray oven."""
    cake, croissant = products["Lemon Tart"], products["Butter Croissant"]
    use_resource(app, cake, ("Deck oven", "trays", 4), per_batch=1, to_order=True)
    bake(app, croissant, 24)
    use_resource(app, croissant, ("Deck oven", "trays", 4), per_batch=1, batch_size=12)
    return cake, croissant


def test_a_product_made_to_order_has_the_room_planned_bakes_leave_in_the_oven(app, cake_and_croissant):
    cake, _ = cake_and_croissant
    assert available(app, cake) == 2  # 4 trays, 2 of them for the croissants
    products = app.test_client().get("/products?day=2026-11-26", headers=JSON).get_json()
    assert next(p for p in products if p["id"] == cake)["kind"] == "baked"


def test_an_order_that_does_not_fit_the_oven_is_refused_with_the_next_day_that_can_take_it(app, cake_and_croissant):
    cake, _ = cake_and_croissant
    assert order(app, cake, 2).status_code == 201
    refused = order(app, cake, 1)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["details"]["product_id"] == cake
    assert body["details"]["day"] == "2026-11-26"
    assert body["details"]["available"] == 0
    assert body["details"]["resource"] == "Deck oven"
    assert body["details"]["next_available_day"] == "2026-11-27"
    assert "Deck oven is full for Thursday" in body["error"]
    assert available(app, cake, FRIDAY) == 2
    assert ordered(app, cake) == 2


def test_orders_for_planned_products_never_fill_the_oven_and_cancelling_gives_room_back(app, cake_and_croissant):
    cake, croissant = cake_and_croissant
    assert order(app, croissant, 24).status_code == 201  # taken from the 24 baked anyway
    placed = order(app, cake, 2)
    assert placed.status_code == 201
    assert available(app, cake) == 0
    order_id = placed.get_json()["order_id"]
    assert wait_for_status(app.test_client(), order_id, "Processing") == "Processing"  # not racing the worker
    with app.app_context():
        change_status(order_id, CANCELLED)
    assert available(app, cake) == 2


def test_a_batch_is_shared_until_it_is_full(app, products):
    """Rolls made to order, 6 to a tray, in a 2-tray oven: 12 in all, in any split."""
    rolls = products["Cinnamon Roll"]
    use_resource(app, rolls, ("Deck oven", "trays", 2), per_batch=1, batch_size=6, to_order=True)
    assert order(app, rolls, 5).status_code == 201
    assert available(app, rolls) == 7
    assert order(app, rolls, 7).status_code == 201
    assert order(app, rolls, 1).status_code == 409


def test_a_product_made_to_order_without_room_or_without_a_resource_cannot_be_ordered(app, products):
    cake = products["Lemon Tart"]
    use_resource(app, cake, ("Deck oven", "trays", 0), to_order=True)
    assert available(app, cake) == 0
    assert order(app, cake, 1).status_code == 409
    with app.app_context():  # the oven removed: the cake uses nothing, so nothing says how many can be made
        db.session.delete(db.session.scalar(select(Resource)))
        db.session.commit()
    assert available(app, cake) == 0
    refused = order(app, cake, 1)
    assert refused.status_code == 409
    assert refused.get_json()["error"].startswith("Lemon Tart is sold out for Thursday")
    assert ordered(app, cake) == 0


def test_concurrent_orders_never_overfill_the_oven(app, cake_and_croissant):
    cake, _ = cake_and_croissant
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda _: order(app, cake, 1).status_code, range(24)))
    assert codes.count(201) == 2
    assert set(codes) == {201, 409}
    assert ordered(app, cake) == 2
    assert available(app, cake, FRIDAY) == 2  # the next day is untouched


@pytest.fixture
def staff(staff_client):
    """The staff member (and owner) "ana", logged in (conftest.py)."""
    return staff_client


def test_the_bake_list_shows_ordered_the_counter_s_share_batches_and_the_oven_s_load(app, staff, cake_and_croissant):
    cake, croissant = cake_and_croissant
    assert order(app, croissant, 5).status_code == 201
    assert order(app, cake, 1).status_code == 201
    bake = staff.get("/staff/bake-list?date=2026-11-26", headers=JSON).get_json()
    lines = {line["product_id"]: line for line in bake["lines"]}
    assert {key: lines[croissant][key] for key in ("ordered", "for_counter", "quantity", "batches", "orders")} == {
        "ordered": 5,
        "for_counter": 19,
        "quantity": 24,
        "batches": 2,
        "orders": 1,
    }
    assert {key: lines[cake][key] for key in ("ordered", "for_counter", "quantity", "batches")} == {
        "ordered": 1,
        "for_counter": 0,
        "quantity": 1,
        "batches": 1,
    }
    assert [(r["resource"], r["used"], r["per_day"], r["left"]) for r in bake["resources"]] == [("Deck oven", 3, 4, 1)]

    page = BeautifulSoup(staff.get("/staff/bake-list?date=2026-11-26", headers=BROWSER).data, "html.parser")
    row = page.select_one(f"tr[data-product-id='{croissant}']")
    assert [cell.get_text() for cell in row.select("td")] == ["5", "19", "24", "2 trays", "1"]
    assert page.select_one(".load").get_text(" ", strip=True) == "Deck oven 3 of 4 trays"

    board = BeautifulSoup(staff.get("/staff/orders?date=2026-11-26", headers=BROWSER).data, "html.parser")
    box = {li["data-product-id"]: li.select_one(".to-bake-qty").get_text() for li in board.select(".to-bake-list li")}
    assert box == {str(croissant): "24", str(cake): "1"}
    assert board.select_one(".to-bake .load").get_text(" ", strip=True) == "Deck oven 3 of 4 trays"


def test_a_day_with_planned_amounts_and_no_orders_still_has_a_bake_list(app, staff, cake_and_croissant):
    _, croissant = cake_and_croissant
    bake = staff.get("/staff/bake-list?date=2026-11-26&by=slot", headers=JSON).get_json()
    assert [(line["slot"], line["product_id"], line["for_counter"]) for line in bake["lines"]] == [
        ("counter", croissant, 24)
    ]
    page = BeautifulSoup(staff.get("/staff/bake-list?date=2026-11-26&by=slot", headers=BROWSER).data, "html.parser")
    assert page.select_one("#for-counter").get_text() == "For the counter"
    assert page.select_one(".sheet-empty") is None


def test_a_staff_cut_that_overfills_the_oven_is_shown_as_over(app, staff, cake_and_croissant):
    cake, croissant = cake_and_croissant
    assert order(app, cake, 2).status_code == 201
    bake(app, croissant, 36)  # 3 trays now: 5 of 4
    page = BeautifulSoup(staff.get("/staff/bake-list?date=2026-11-26", headers=BROWSER).data, "html.parser")
    assert "load-over" in page.select_one(".load")["class"]
    assert "1 over" in page.select_one(".load-note").get_text()
    assert available(app, cake) == 0


def test_by_slot_the_batches_are_left_to_the_whole_day_s_list(app, staff, cake_and_croissant):
    _, croissant = cake_and_croissant
    assert order(app, croissant, 5).status_code == 201
    bake = staff.get("/staff/bake-list?date=2026-11-26&by=slot", headers=JSON).get_json()
    assert [(line["slot"], line["ordered"], line["for_counter"], line["batches"]) for line in bake["lines"]] == [
        ("08:00", 5, 0, None),
        ("counter", 0, 19, None),
    ]
