"""Idempotency-Key without an API key: a key belongs to the client address that sent it, and a
replay must repeat the whole request; anybody else's use of the same key is a fresh key.

The clock is fixed on Wednesday 25 November 2026 at 10:00, so that a pickup time can be chosen.
"""

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from tests.helpers import JSON

NOW = datetime(2026, 11, 25, 10, 0)
KIOSK, NEIGHBOUR, STRANGER = "203.0.113.7", "198.51.100.23", "192.0.2.50"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


@pytest.fixture
def ada_order(products):
    """The whole of one customer's order: items, who collects it, when, and a note."""
    return {
        "items": [{"id": products["Baguette"], "quantity": 1}],
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
        "pickup_at": "2026-11-26T08:30",
        "note": "Ring twice, please",
    }


def send(client, body, key, address=KIOSK, headers=None):
    """POST /orders as an anonymous JSON client at `address`."""
    return client.post(
        "/orders",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "Idempotency-Key": key, **(headers or {})},
        environ_base={"REMOTE_ADDR": address},
    )


def stored_keys(app):
    with app.app_context():
        return db.session.scalars(select(Order.idempotency_key).order_by(Order.id)).all()


def test_a_retry_from_the_same_address_with_the_same_request_gets_the_first_order(client, ada_order):
    first = send(client, ada_order, "kiosk-0001")
    again = send(client, ada_order, "kiosk-0001")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


def test_the_same_key_from_another_address_is_a_new_order_as_if_unused(app, client, ada_order, products):
    ada = send(client, ada_order, "kiosk-0001")
    copied = send(client, {"items": ada_order["items"]}, "kiosk-0001", address=NEIGHBOUR)
    other_items = send(client, {"items": [{"id": products["Butter Croissant"], "quantity": 2}]}, "kiosk-0002")
    other_items_elsewhere = send(
        client, {"items": [{"id": products["Butter Croissant"], "quantity": 2}]}, "kiosk-0001", address=STRANGER
    )
    assert ada.status_code == copied.status_code == other_items.status_code == 201
    # Only a genuinely fresh key answers like this: 201, no replay header, an order of its own.
    assert other_items_elsewhere.status_code == 201
    for response in (copied, other_items_elsewhere):
        assert "Idempotent-Replayed" not in response.headers
        assert sorted(response.headers.keys()) == sorted(other_items.headers.keys())
        assert set(response.get_json()) == set(other_items.get_json())
    ids = {r.get_json()["order_id"] for r in (ada, copied, other_items, other_items_elsewhere)}
    assert len(ids) == 4
    # The neighbour's order page is the neighbour's: none of Ada's details.
    page = client.get(copied.headers["Location"], headers=JSON).get_json()
    assert "Ada" not in json.dumps(page) and "ada@example.com" not in json.dumps(page)


def test_the_neighbour_sending_the_whole_request_again_still_makes_its_own_order(client, ada_order):
    ada = send(client, ada_order, "kiosk-0001")
    neighbour = send(client, ada_order, "kiosk-0001", address=NEIGHBOUR)
    assert neighbour.status_code == 201 and "Idempotent-Replayed" not in neighbour.headers
    assert neighbour.get_json()["order_id"] != ada.get_json()["order_id"]
    # …and the neighbour's own retry finds the neighbour's order.
    again = send(client, ada_order, "kiosk-0001", address=NEIGHBOUR)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["order_id"] == neighbour.get_json()["order_id"]


def _without(body, name):
    return {key: value for key, value in body.items() if key != name}


@pytest.mark.parametrize(
    "change",
    [
        lambda body: {**body, "customer": {"name": "Ada Lovelace", "email": "someone@example.com"}},
        lambda body: _without(body, "customer"),
        lambda body: {**body, "note": "Leave it at the door"},
        lambda body: _without(body, "note"),
        lambda body: {**body, "pickup_at": "2026-11-26T09:00"},
        lambda body: _without(body, "pickup_at"),
        lambda body: {**body, "items": [{**body["items"][0], "quantity": 2}]},
    ],
    ids=["other-email", "no-customer", "other-note", "no-note", "other-pickup", "no-pickup", "other-items"],
)
def test_the_same_key_from_the_same_address_for_another_request_is_422(app, client, ada_order, change):
    first = send(client, ada_order, "kiosk-0001")
    refused = send(client, change(ada_order), "kiosk-0001")
    assert first.status_code == 201
    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.get_json()["error"]
    assert len(stored_keys(app)) == 1


def test_the_key_is_stored_scoped_to_its_sender_without_the_address(app, client, ada_order):
    send(client, ada_order, "kiosk-0001")
    send(client, ada_order, "kiosk-0001", address=NEIGHBOUR)
    keys = stored_keys(app)
    assert len(set(keys)) == 2
    for key in keys:
        assert key.startswith("anon:") and key.endswith(":kiosk-0001")
        assert KIOSK not in key and NEIGHBOUR not in key


def test_a_full_length_key_fits_with_its_scope(client, ada_order):
    first = send(client, ada_order, "k" * 255)
    again = send(client, ada_order, "k" * 255)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["order_id"] == first.get_json()["order_id"]


def test_a_forged_forwarded_for_does_not_change_the_sender(client, ada_order):
    first = send(client, ada_order, "kiosk-0001", headers={"X-Forwarded-For": "192.0.2.1"})
    again = send(client, ada_order, "kiosk-0001", headers={"X-Forwarded-For": "192.0.2.99"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["order_id"] == first.get_json()["order_id"]


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_sender(make_app, products):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    body = {"items": [{"id": products["Baguette"], "quantity": 1}]}
    proxy = "10.0.0.2"
    kiosk = send(client, body, "kiosk-0001", address=proxy, headers={"X-Forwarded-For": KIOSK})
    neighbour = send(client, body, "kiosk-0001", address=proxy, headers={"X-Forwarded-For": NEIGHBOUR})
    retry = send(client, body, "kiosk-0001", address=proxy, headers={"X-Forwarded-For": KIOSK})
    assert kiosk.status_code == neighbour.status_code == retry.status_code == 201
    assert "Idempotent-Replayed" not in neighbour.headers
    assert neighbour.get_json()["order_id"] != kiosk.get_json()["order_id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["order_id"] == kiosk.get_json()["order_id"]


@pytest.mark.parametrize("key", ["api:1:order-1", "checkout:abcdefghijklmnop", "anon:x:order-1"])
def test_a_key_shaped_like_the_shops_own_is_just_a_key(app, client, ada_order, key):
    """Every anonymous key is stored under its sender's scope, so no prefix can borrow another's."""
    first = send(client, ada_order, key)
    again = send(client, ada_order, key)
    assert first.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert stored_keys(app) == [stored_keys(app)[0]] and stored_keys(app)[0] != key


def test_the_same_pickup_time_written_another_way_is_the_same_request(client, ada_order):
    first = send(client, ada_order, "kiosk-0001")
    again = send(client, {**ada_order, "pickup_at": "2026-11-26T07:30:00Z"}, "kiosk-0001")  # 08:30 in Berlin
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["order_id"] == first.get_json()["order_id"]
