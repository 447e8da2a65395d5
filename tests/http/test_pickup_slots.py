"""Pickup slots over HTTP: GET /pickup-slots, POST /orders with and without pickup_at, and what gets refused.

The clock is fixed on Wednesday 25 November 2026 at 10:00 (default hours: Mon–Fri
07:00–18:30, Sat 08:00–14:00; slots of 30 minutes for 8 orders; 30 minutes' notice).
"""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CANCELLED,
    FAILED,
    CalendarSettings,
    Closure,
    Order,
    ProductDay,
    SlotBooking,
    SlotCapacity,
)
from app.orders.service import change_status
from tests.helpers import BROWSER, JSON, bake, set_product, wait_for_status
from tests.http.test_openapi import assert_matches

NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


def order(client, items, pickup_at=None, headers=None):
    body = {"items": items} | ({"pickup_at": pickup_at} if pickup_at is not None else {})
    return client.post(
        "/orders", data=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}
    )


def slots(client, day=None):
    response = client.get("/pickup-slots" + (f"?date={day}" if day else ""), headers=JSON)
    assert response.status_code == 200
    assert_matches(response.get_json(), "/pickup-slots", "get", 200)
    return response.get_json()


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def add_rows(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def test_a_day_s_slots_with_offsets_and_places_left(client, products):
    thursday = slots(client, "2026-11-26")
    assert len(thursday) == 23
    assert thursday[0] == {
        "start": "2026-11-26T07:00:00+01:00",
        "end": "2026-11-26T07:30:00+01:00",
        "available": True,
        "left": 8,
    }
    assert thursday[-1]["start"] == "2026-11-26T18:00:00+01:00" and thursday[-1]["end"] == "2026-11-26T18:30:00+01:00"


def test_without_a_date_the_next_day_taking_orders_and_past_slots_say_so(client, products):
    today = slots(client)
    assert today[0]["start"].startswith("2026-11-25T07:00")
    by_start = {s["start"][11:16]: s for s in today}
    assert by_start["10:00"]["available"] is False  # now, and within the 30 minutes' notice
    assert by_start["10:30"]["available"] is True


def test_a_closed_day_has_no_slots(app, client, products):
    assert slots(client, "2026-11-29") == []
    add_rows(app, Closure(first_day=date(2026, 11, 26), last_day=date(2026, 11, 27), note="Staff outing"))
    assert slots(client, "2026-11-26") == []


@pytest.mark.parametrize("day", ["tomorrow", "2026-13-01", "2026-11-24", "2026-12-30", "2026-11-2"])
def test_a_malformed_or_out_of_range_date_is_422_json(client, day):
    response = client.get(f"/pickup-slots?date={day}", headers=JSON)
    assert response.status_code == 422
    assert_matches(response.get_json(), "/pickup-slots", "get", 422)
    assert "date" in response.get_json()["details"]


def test_an_order_without_a_pickup_time_gets_the_earliest_free_slot(app, client, products):
    response = order(client, [{"id": products["Baguette"], "quantity": 1}])
    assert response.status_code == 201
    assert_matches(response.get_json(), "/orders", "post", 201)
    assert response.get_json()["pickup_at"] == "2026-11-25T10:30:00+01:00"
    detail = client.get(f"/orders/{response.get_json()['order_id']}", headers=JSON).get_json()
    assert_matches(detail, "/orders/{order_id}", "get", 200)
    assert detail["pickup_at"] == "2026-11-25T10:30:00+01:00"
    with app.app_context():
        assert db.session.get(SlotBooking, datetime(2026, 11, 25, 10, 30)).taken == 1


def test_orders_without_a_pickup_time_at_the_end_of_a_day_go_on_to_the_next(app, products):
    """Wednesday's last slot (18:00) has one place left and every earlier one is full: sixteen
    customers at once, none naming a time. One gets 18:00; the others Thursday, none "fully booked"."""
    today = [datetime(2026, 11, 25, 10, 30) + timedelta(minutes=30 * n) for n in range(16)]
    assert today[-1] == datetime(2026, 11, 25, 18, 0)
    add_rows(app, *(SlotBooking(slot_start=start, taken=8) for start in today[:-1]))
    add_rows(app, SlotBooking(slot_start=today[-1], taken=7))

    def place(_n):
        response = order(app.test_client(), [{"id": products["Baguette"], "quantity": 1}])
        return response.status_code, response.get_json().get("pickup_at") or response.get_json()["error"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(place, range(16)))
    assert [code for code, _ in results] == [201] * 16, results
    pickups = Counter(pickup for _, pickup in results)
    assert pickups["2026-11-25T18:00:00+01:00"] == 1
    assert pickups["2026-11-26T07:00:00+01:00"] == 8 and pickups["2026-11-26T07:30:00+01:00"] == 7


def test_the_earliest_slot_skips_a_full_one(app, client, products):
    add_rows(app, SlotCapacity(slot_start=datetime(2026, 11, 25, 10, 30), capacity=0))
    response = order(client, [{"id": products["Baguette"], "quantity": 1}])
    assert response.get_json()["pickup_at"] == "2026-11-25T11:00:00+01:00"


def test_a_chosen_slot_in_local_time_or_with_an_offset(client, products):
    local = order(client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-26T08:30")
    assert local.status_code == 201 and local.get_json()["pickup_at"] == "2026-11-26T08:30:00+01:00"
    utc = order(client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-26T07:00:00Z")
    assert utc.status_code == 201 and utc.get_json()["pickup_at"] == "2026-11-26T08:00:00+01:00"


@pytest.mark.parametrize(
    "pickup_at,message",
    [
        ("2026-11-29T10:00", "closed on Sundays"),
        ("2026-11-24T10:00", "That day has passed"),
        ("2026-11-25T10:00", "That time has passed"),
        ("2026-11-25T10:15", "every 30 minutes"),
        ("2026-11-26T19:00", "open 07:00–18:30"),
        ("2026-12-30T10:00", "14 days ahead"),
        ("next thursday", "ISO 8601"),
        (1764064800, "ISO 8601"),
    ],
)
def test_a_pickup_time_that_cannot_be_booked_is_422_with_the_next_available(
    app, client, products, stock_of, pickup_at, message
):
    croissant = products["Butter Croissant"]
    response = order(client, [{"id": croissant, "quantity": 1}], pickup_at)
    assert response.status_code == 422
    body = response.get_json()
    assert_matches(body, "/orders", "post", 422)
    assert message in body["error"]
    assert body["details"]["next_available"] == "2026-11-25T10:30:00+01:00"
    assert count(app, Order) == 0 and count(app, SlotBooking) == 0 and count(app, ProductDay) == 0
    assert stock_of(croissant) == 40


def test_a_product_lead_time_moves_the_earliest_slot(app, client, products):
    set_product(app, products["Rye Bread"], lead_hours=24)  # 24 opening hours: Wed 8.5 + Thu 11.5 + Fri 4
    refused = order(client, [{"id": products["Rye Bread"], "quantity": 1}], "2026-11-26T12:00")
    assert refused.status_code == 422
    assert "more time" in refused.get_json()["error"]
    assert refused.get_json()["details"]["next_available"] == "2026-11-27T11:00:00+01:00"
    assigned = order(
        client, [{"id": products["Rye Bread"], "quantity": 1}, {"id": products["Baguette"], "quantity": 1}]
    )
    assert assigned.get_json()["pickup_at"] == "2026-11-27T11:00:00+01:00"


def test_a_full_slot_is_409_with_the_next_available_and_writes_nothing(app, client, products, stock_of):
    add_rows(app, SlotCapacity(slot_start=datetime(2026, 11, 26, 8, 0), capacity=1))
    baguette = products["Baguette"]
    assert order(client, [{"id": baguette, "quantity": 1}], "2026-11-26T08:00").status_code == 201
    refused = order(client, [{"id": baguette, "quantity": 2}], "2026-11-26T08:00")
    assert refused.status_code == 409
    assert_matches(refused.get_json(), "/orders", "post", 409)
    assert refused.get_json()["details"]["next_available"] == "2026-11-25T10:30:00+01:00"
    assert "fully booked" in refused.get_json()["error"]
    assert count(app, Order) == 1 and stock_of(baguette) == 24
    with app.app_context():
        assert db.session.get(SlotBooking, datetime(2026, 11, 26, 8, 0)).taken == 1


def test_a_baked_product_counts_per_pickup_day_and_resets_the_next(app, client, products, stock_of):
    tart = bake(app, products["Lemon Tart"], 3)
    assert order(client, [{"id": tart, "quantity": 3}], "2026-11-26T08:00").status_code == 201
    refused = order(client, [{"id": tart, "quantity": 1}], "2026-11-26T09:00")
    assert refused.status_code == 409
    assert refused.get_json()["details"]["left"] == 0
    assert refused.get_json()["details"]["next_available"] == "2026-11-27T07:00:00+01:00"
    assert order(client, [{"id": tart, "quantity": 3}], "2026-11-27T08:00").status_code == 201
    # Without a time: the first day with quota left.
    assert order(client, [{"id": tart, "quantity": 1}]).get_json()["pickup_at"] == "2026-11-25T10:30:00+01:00"
    assert order(client, [{"id": tart, "quantity": 2}]).get_json()["pickup_at"] == "2026-11-25T10:30:00+01:00"
    assert order(client, [{"id": tart, "quantity": 1}]).get_json()["pickup_at"] == "2026-11-28T08:00:00+01:00"
    assert stock_of(tart) == 3  # a baked product's stock is not touched


def test_the_catalogue_shows_availability_for_the_day_it_takes_orders_for(app, client, products):
    tart = bake(app, products["Lemon Tart"], 4)
    assert order(client, [{"id": tart, "quantity": 2}], "2026-11-25T12:00").status_code == 201
    listed = {p["id"]: p for p in client.get("/products", headers=JSON).get_json()}
    assert listed[tart]["only_left"] == 2
    assert order(client, [{"id": tart, "quantity": 2}], "2026-11-25T12:30").status_code == 201
    listed = {p["id"]: p for p in client.get("/products", headers=JSON).get_json()}
    assert (listed[tart]["available"], listed[tart]["kind"]) == (0, "baked")
    card = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser").select_one(f"#product-{tart}")
    assert "Sold out" in card.get_text()


@pytest.mark.parametrize("status", [CANCELLED, FAILED])
def test_a_cancelled_or_failed_order_gives_back_its_slot_and_its_day(app, client, products, status):
    tart = bake(app, products["Lemon Tart"], 2)
    add_rows(app, SlotCapacity(slot_start=datetime(2026, 11, 26, 8, 0), capacity=1))
    first = order(client, [{"id": tart, "quantity": 2}], "2026-11-26T08:00")
    assert order(client, [{"id": tart, "quantity": 1}], "2026-11-26T08:00").status_code == 409
    # Let the worker take it first: a status change racing the worker's Pending → Processing is refused.
    assert wait_for_status(client, first.get_json()["order_id"], "Processing") == "Processing"
    with app.app_context():
        change_status(first.get_json()["order_id"], status)
        assert db.session.get(SlotBooking, datetime(2026, 11, 26, 8, 0)).taken == 0
        assert db.session.get(ProductDay, (tart, date(2026, 11, 26))).taken == 0
    assert order(client, [{"id": tart, "quantity": 2}], "2026-11-26T08:00").status_code == 201


def test_nothing_within_the_horizon_is_409_with_no_next_available(app, client, products):
    add_rows(app, CalendarSettings(id=1, slot_capacity=0))
    response = order(client, [{"id": products["Baguette"], "quantity": 1}])
    assert response.status_code == 409
    assert_matches(response.get_json(), "/orders", "post", 409)
    assert response.get_json()["details"] == {"next_available": None}
    assert count(app, Order) == 0


def test_a_cutoff_moves_the_ordering_day_and_the_catalogue_says_so(make_app, products):
    app = make_app(BAKERY_ORDER_CUTOFF=datetime(2026, 1, 1, 9, 0).time())
    client = app.test_client()
    with app.app_context():
        from app.catalog.seed_data import load_demo

        load_demo()
    # Wednesday 10:00 is past Tuesday's and Wednesday's 09:00: Friday is the first day open to orders.
    assert slots(client)[0]["start"] == "2026-11-27T07:00:00+01:00"
    heading = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser").select_one("h1")
    assert heading.get_text(strip=True) == "Ordering for pickup on Friday 27 November"
    first = order(client, [{"id": 1, "quantity": 1}])
    assert first.get_json()["pickup_at"] == "2026-11-27T07:00:00+01:00"


def test_today_the_catalogue_says_it_is_for_pickup_today(client, products):
    heading = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser").select_one("h1")
    assert heading.get_text(strip=True) == "Ordering for pickup today, Wednesday 25 November"


def test_the_bake_list_counts_api_orders_on_their_assigned_day(app, client, products):
    from app.staff.accounts import create_staff

    with app.app_context():
        create_staff("ana", "secret-bread")
    assert order(client, [{"id": products["Baguette"], "quantity": 2}]).status_code == 201  # assigned: today 10:30
    assert order(client, [{"id": products["Baguette"], "quantity": 5}], "2026-11-26T08:00").status_code == 201
    staff = client.application.test_client()
    staff.post("/staff/login", data={"username": "ana", "password": "secret-bread"})
    page = BeautifulSoup(staff.get("/staff/orders", headers=BROWSER).data, "html.parser")
    to_bake = {
        li.select_one(".to-bake-name").get_text(): int(li.select_one(".to-bake-qty").get_text())
        for li in page.select(".to-bake-list li")
    }
    assert to_bake == {"Baguette": 2}


def catalogue_for(client, day=None):
    response = client.get("/products" + (f"?day={day}" if day else ""), headers=JSON)
    assert response.status_code == 200
    assert_matches(response.get_json(), "/products", "get", 200)
    return {p["id"]: p for p in response.get_json()}


def test_orders_for_two_days_take_from_each_day_separately(app, client, products, stock_of):
    croissant = bake(app, products["Butter Croissant"], {2: 5, 3: 4})  # Wednesday 5, Thursday 4
    assert order(client, [{"id": croissant, "quantity": 3}], "2026-11-26T08:00").status_code == 201
    assert order(client, [{"id": croissant, "quantity": 2}], "2026-11-25T12:00").status_code == 201
    with app.app_context():
        assert db.session.get(ProductDay, (croissant, date(2026, 11, 25))).taken == 2
        assert db.session.get(ProductDay, (croissant, date(2026, 11, 26))).taken == 3
    assert catalogue_for(client, "2026-11-25")[croissant]["available"] == 3
    assert catalogue_for(client, "2026-11-26")[croissant]["available"] == 1
    assert catalogue_for(client)[croissant]["available"] == 3  # without a day: today, the day taking orders
    assert stock_of(croissant) == 40  # a baked product's stock is not touched
    refused = order(client, [{"id": croissant, "quantity": 2}], "2026-11-26T09:00")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "Only 1 Butter Croissant left for Thursday 26 November"


def test_a_day_with_none_baked_is_409_with_the_next_day_that_has_some(app, client, products):
    tart = bake(app, products["Lemon Tart"], {3: 3})  # Thursdays only
    refused = order(client, [{"id": tart, "quantity": 1}], "2026-11-27T08:00")
    assert refused.status_code == 409
    body = refused.get_json()
    assert_matches(body, "/orders", "post", 409)
    assert body["error"] == "Lemon Tart is sold out for Friday 27 November — available Thursday 3 December"
    assert body["details"] == {
        "product_id": tart,
        "day": "2026-11-27",
        "available": 0,
        "next_available_day": "2026-12-03",
        "requested": 1,
        "left": 0,
        "pickup_at": "2026-11-27T08:00:00+01:00",
        "next_available": "2026-12-03T07:00:00+01:00",
    }
    assert count(app, Order) == 0 and count(app, ProductDay) == 0
    # Without a time the bakery chooses the first day with some baked.
    assert order(client, [{"id": tart, "quantity": 1}]).get_json()["pickup_at"] == "2026-11-26T07:00:00+01:00"


def test_more_than_is_left_says_how_many_and_the_next_day_with_enough(app, client, products):
    tart = bake(app, products["Lemon Tart"], {3: 3, 4: 10})
    refused = order(client, [{"id": tart, "quantity": 5}], "2026-11-26T08:00")
    assert refused.status_code == 409
    details = refused.get_json()["details"]
    assert refused.get_json()["error"] == "Only 3 Lemon Tart left for Thursday 26 November"
    assert (details["available"], details["next_available_day"]) == (3, "2026-11-27")


def test_a_stocked_product_still_takes_its_stock_whatever_the_day(app, client, products, stock_of):
    baguette = products["Baguette"]  # stocked, 25
    assert order(client, [{"id": baguette, "quantity": 2}], "2026-11-26T08:00").status_code == 201
    assert order(client, [{"id": baguette, "quantity": 3}], "2026-11-27T08:00").status_code == 201
    assert stock_of(baguette) == 20
    for day in ("2026-11-26", "2026-11-27"):
        assert (catalogue_for(client, day)[baguette]["kind"], catalogue_for(client, day)[baguette]["available"]) == (
            "stocked",
            20,
        )


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-11-24", "2026-12-10", "", "2026-11-26T08:00"])
def test_a_catalogue_day_that_cannot_be_ordered_for_is_422(client, products, day):
    response = client.get(f"/products?day={day}", headers=JSON)
    assert response.status_code == 422
    assert_matches(response.get_json(), "/products", "get", 422)
    assert response.get_json()["error"]
