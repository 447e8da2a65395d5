"""What one client can hold: items per pickup day and orders per pickup slot, per client address
(or API key) and per contact, written however the customer likes; on both backends, under load.

The caps are off in the other tests (they place many orders from one address); here they are on.
"""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.api_keys.service import create_key
from app.extensions import db
from app.models import CANCELLED, PROCESSING, Order, OrderItem, Product
from app.orders.service import change_status
from tests.helpers import BROWSER, JSON, ON_SERVICES, wait_for_status

NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday morning
THURSDAY = datetime(2026, 11, 26)
POOL = {"pool_size": 30, "max_overflow": 0, "pool_timeout": 30} if ON_SERVICES else {"connect_args": {"timeout": 30}}
CAPS = {"MAX_ITEMS_PER_CLIENT_PER_DAY": 100, "MAX_ORDERS_PER_CLIENT_PER_SLOT": 2}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


@pytest.fixture
def app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL, BAKERY_SLOT_CAPACITY=40, MAX_OPEN_ORDERS_PER_CONTACT=0, **CAPS)


@pytest.fixture
def bun(add_product):
    return add_product(name="Cap Bun", stock=5000)


def at(hour, minute=0, day=THURSDAY):
    return day.replace(hour=hour, minute=minute).isoformat()


def from_address(address):
    return {"REMOTE_ADDR": address}


def order(client, product, quantity, pickup_at=None, customer=None, address="203.0.113.7", headers=None):
    body = {"items": [{"id": product, "quantity": quantity}]}
    if pickup_at:
        body["pickup_at"] = pickup_at
    if customer:
        body["customer"] = customer
    return client.post("/orders", json=body, headers={**JSON, **(headers or {})}, environ_base=from_address(address))


def held(app, day=THURSDAY):
    """Items in orders that are not cancelled or failed, for `day`."""
    with app.app_context():
        return db.session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .join(Order)
            .where(Order.status != CANCELLED, Order.pickup_at >= day, Order.pickup_at < day + timedelta(days=1))
        )


# Contacts: one canonical form per mailbox and per phone line.


@pytest.mark.parametrize(
    "written", ["v@example.com,", "<v@example.com>", "x:v@example.com;", "postmaster,root,victim@example.com"]
)
def test_an_email_field_holds_exactly_one_plain_address(client, bun, written):
    response = order(client, bun, 1, customer={"name": "Vic", "email": written})
    assert response.status_code == 422
    assert "customer.email" in response.get_json()["details"]


def test_an_address_in_capitals_is_the_same_mailbox(app, make_app, bun):
    capped = make_app(MAX_OPEN_ORDERS_PER_CONTACT=2)
    client = capped.test_client()
    for written, address in (("V@Example.com", "198.51.100.1"), ("v@example.COM", "198.51.100.2")):
        assert order(client, bun, 1, customer={"name": "Vic", "email": written}, address=address).status_code == 201
    refused = order(client, bun, 1, customer={"name": "Vic", "email": "v@example.com"}, address="198.51.100.3")
    assert refused.status_code == 409
    with app.app_context():
        assert set(db.session.scalars(select(Order.customer_email))) == {"v@example.com"}


def test_a_phone_number_is_kept_in_e164_whatever_its_spelling(app, make_app, bun):
    capped = make_app(MAX_OPEN_ORDERS_PER_CONTACT=2)
    client = capped.test_client()
    # The bakery's phone (+49 …) makes Germany the default region for numbers without a country code.
    assert order(client, bun, 1, customer={"name": "Vic", "phone": "030 555 0100"}).status_code == 201
    assert order(client, bun, 1, customer={"name": "Vic", "phone": "+49 (30) 555-0100"}).status_code == 201
    assert order(client, bun, 1, customer={"name": "Vic", "phone": "0049 30 5550100"}).status_code == 409
    with app.app_context():
        assert set(db.session.scalars(select(Order.customer_phone))) == {"+49305550100"}


def test_a_number_that_cannot_be_a_phone_number_is_refused(client, bun):
    response = order(client, bun, 1, customer={"name": "Vic", "phone": "0123 456789"})
    assert response.status_code == 422
    assert "customer.phone" in response.get_json()["details"]


# What one client can hold.


def test_one_address_cannot_take_a_days_bakes(app, client, bun):
    codes = [order(client, bun, 50, at(8 + n)).status_code for n in range(10)]
    assert codes == [201, 201] + [409] * 8
    refused = order(client, bun, 1, at(16)).get_json()
    assert "100 items" in refused["error"]
    assert held(app) == 100
    # Another address, and the next day, are not affected.
    assert order(client, bun, 50, at(8), address="198.51.100.9").status_code == 201
    assert order(client, bun, 50, at(8, day=datetime(2026, 11, 27))).status_code == 201


def test_changing_the_contact_does_not_get_round_the_cap(client, bun):
    emails = ["v@example.com", "w@example.com", "x@example.com"]
    codes = [order(client, bun, 50, at(9 + n), {"name": "V", "email": e}).status_code for n, e in enumerate(emails)]
    assert codes == [201, 201, 409]


def test_changing_the_address_does_not_get_round_the_contacts_cap(client, bun):
    who = {"name": "Vic", "email": "v@example.com"}
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    codes = [order(client, bun, 50, at(9 + n), who, address=a).status_code for n, a in enumerate(addresses)]
    assert codes == [201, 201, 409]


def test_an_ipv6_client_is_counted_by_its_network(client, bun):
    addresses = ["2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:aaaa::3"]
    codes = [order(client, bun, 50, at(9 + n), address=a).status_code for n, a in enumerate(addresses)]
    assert codes == [201, 201, 409]
    assert order(client, bun, 50, at(9), address="2001:db8:1:3::1").status_code == 201


def test_one_address_cannot_fill_a_slot(client, bun):
    answers = [order(client, bun, 1, at(8)) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [201, 201, 409, 409]
    assert answers[2].get_json()["details"]["client_cap"] == "orders per slot"
    assert answers[2].get_json()["details"]["pickup_at"] == "2026-11-26T08:00:00+01:00"
    assert order(client, bun, 1, at(8), address="198.51.100.9").status_code == 201
    # Without a pickup time the bakery chooses: the next slot this client may still book.
    chosen = [order(client, bun, 1, address="198.51.100.20").get_json()["pickup_at"] for _ in range(12)]
    assert chosen[:4] == ["2026-11-25T10:30:00+01:00"] * 2 + ["2026-11-25T11:00:00+01:00"] * 2
    assert len(set(chosen)) == 6  # each slot twice, however many this client already fills


def test_a_cancelled_order_gives_its_share_back(app, client, bun):
    first = order(client, bun, 50, at(8)).get_json()["order_id"]
    assert order(client, bun, 50, at(9)).status_code == 201
    assert order(client, bun, 50, at(10)).status_code == 409
    assert wait_for_status(client, first, PROCESSING) == PROCESSING  # not racing the kitchen's own move
    with app.app_context():
        change_status(first, CANCELLED)
    assert order(client, bun, 50, at(10)).status_code == 201
    assert order(client, bun, 1, at(8)).status_code == 409  # the day is full again, not the 08:00 slot


def test_an_api_key_counts_against_its_own_cap(app, make_app, bun):
    with app.app_context():
        _key, token = create_key("Partner café")
    bearer = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    # Off by default: a partner shop may order a lot (stock, quotas and slots still bound it).
    assert [order(client, bun, 50, at(8 + n), headers=bearer).status_code for n in range(4)] == [201] * 4
    assert order(client, bun, 50, at(12)).status_code == 201  # the same address without the key: its own count
    capped = make_app(API_KEY_MAX_ITEMS_PER_DAY=60, API_KEY_MAX_ORDERS_PER_SLOT=1).test_client()
    assert order(capped, bun, 10, at(14), headers=bearer).status_code == 409  # 200 held already
    assert order(capped, bun, 10, at(8, day=datetime(2026, 11, 27)), headers=bearer).status_code == 201
    assert order(capped, bun, 10, at(8, day=datetime(2026, 11, 27)), headers=bearer).status_code == 409


def test_zero_switches_a_cap_off(make_app, add_product):
    app = make_app(MAX_ITEMS_PER_CLIENT_PER_DAY=0, MAX_ORDERS_PER_CLIENT_PER_SLOT=0, BAKERY_SLOT_CAPACITY=40)
    bun = add_product(name="Free Bun", stock=1000)
    client = app.test_client()
    assert [order(client, bun, 50, at(8)).status_code for _ in range(5)] == [201] * 5


@pytest.mark.parametrize(
    "earlier, field, message",
    [([(50, 8), (50, 9)], "pickup_date", "100 items"), ([(1, 11), (1, 11)], "pickup_time", "2 orders")],
)
def test_the_checkout_says_so_at_the_pickup_fields(client, bun, earlier, field, message):
    for quantity, hour in earlier:
        assert order(client, bun, quantity, at(hour)).status_code == 201
    client.post("/cart/items", data={"product_id": bun, "quantity": 5}, headers=BROWSER)
    page = BeautifulSoup(client.get("/checkout", headers=BROWSER).data, "html.parser")
    token = page.select_one("input[name=order_token]")["value"]
    fields = {
        "order_token": token,
        "name": "Vic",
        "contact": "v@example.com",
        "pickup_date": "2026-11-26",
        "pickup_time": "11:00",
        "note": "",
    }
    response = client.post("/orders", data=fields, headers=BROWSER, environ_base=from_address("203.0.113.7"))
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    assert message in page.select_one(f"#{field}-error").get_text()


# Under load: threads placing orders at once from one client.


def in_parallel(app, bodies, headers=None, address="203.0.113.7"):
    def place(body):
        response = app.test_client().post(
            "/orders",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
            environ_base=from_address(address),
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return Counter(pool.map(place, bodies))


def test_twenty_orders_at_once_from_one_address_never_hold_more_than_the_days_cap(app, bun):
    bodies = [{"items": [{"id": bun, "quantity": 30}], "pickup_at": at(8 + n % 10)} for n in range(20)]
    codes = in_parallel(app, bodies)
    assert codes == {201: 3, 409: 17}
    assert held(app) == 90


def test_twenty_orders_at_once_for_one_slot_from_one_contact_take_two_places(app, bun):
    bodies = [
        {"items": [{"id": bun, "quantity": 1}], "pickup_at": at(8), "customer": {"name": "V", "email": "v@x.example"}}
        for _ in range(20)
    ]
    codes = in_parallel(app, bodies)
    assert codes == {201: 2, 409: 18}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 2
        assert db.session.scalar(select(Product.stock).where(Product.id == bun)) == 4998


def test_a_cancelled_order_racing_new_ones_never_lets_the_total_past_the_cap(app, client, bun):
    placed = [order(client, bun, 50, at(8 + n)).get_json()["order_id"] for n in range(2)]
    assert wait_for_status(client, placed[0], PROCESSING) == PROCESSING
    with app.app_context():
        change_status(placed[0], CANCELLED)
    bodies = [{"items": [{"id": bun, "quantity": 50}], "pickup_at": at(12)} for _ in range(10)]
    assert in_parallel(app, bodies) == {201: 1, 409: 9}
    assert held(app) == 100


def test_without_a_country_code_in_the_bakerys_phone_its_locale_gives_the_country(make_app, bun):
    app = make_app(BAKERY_PHONE="020 7946 0000", BAKERY_LOCALE="en_GB")
    response = order(app.test_client(), bun, 1, customer={"name": "Vic", "phone": "020 7946 0018"})
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(Order.customer_phone)) == "+442079460018"


@pytest.mark.parametrize("missing", ["name", "contact"])
def test_the_browser_checkout_needs_a_name_and_a_contact(app, client, bun, missing):
    client.post("/cart/items", data={"product_id": bun, "quantity": 1}, headers=BROWSER)
    page = BeautifulSoup(client.get("/checkout", headers=BROWSER).data, "html.parser")
    fields = {
        "order_token": page.select_one("input[name=order_token]")["value"],
        "name": "Vic",
        "contact": "v@example.com",
        "pickup_date": "2026-11-26",
        "pickup_time": "11:00",
        "note": "",
    } | {missing: ""}
    response = client.post("/orders", data=fields, headers=BROWSER)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(f"#{missing}-error").get_text(strip=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
