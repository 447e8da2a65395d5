"""POST /orders: stock reserved atomically, idempotent retries, and no 500 on any input."""

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, OrderItem
from app.orders import service
from tests.helpers import JSON, post_order


def count_orders(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order)), db.session.scalar(
            select(func.count()).select_from(OrderItem)
        )


def test_order_is_accepted_with_id_status_and_location(client, app, products, stock_of):
    croissant, baguette = products["Butter Croissant"], products["Baguette"]
    response = post_order(client, [{"id": croissant, "quantity": 2}, {"id": baguette, "quantity": 1}])
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "Pending"
    assert body["total"] == 2 * 2.80 + 2.90
    assert len(body["order_id"]) >= 16
    assert response.headers["Location"] == f"/orders/{body['order_id']}"
    assert stock_of(croissant) == 40 - 2
    assert stock_of(baguette) == 25 - 1
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == body["order_id"]))
        assert [(i.product_name, i.quantity, str(i.unit_price)) for i in order.items] == [
            ("Butter Croissant", 2, "2.80"),
            ("Baguette", 1, "2.90"),
        ]


def test_order_ids_are_unguessable(client, products):
    ids = {post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"] for _ in range(5)}
    assert len(ids) == 5
    assert not any(order_id.isdigit() for order_id in ids)


def test_order_ids_never_start_like_a_command_line_option():
    from app.models import new_public_id

    ids = [new_public_id() for _ in range(2000)]  # about 60 would start with - or _ by chance
    assert all(order_id[0].isalnum() and len(order_id) == 22 for order_id in ids)


def test_duplicate_lines_are_merged(client, products, stock_of):
    bun = products["Cinnamon Roll"]
    response = post_order(client, [{"id": bun, "quantity": 2}, {"id": bun, "quantity": 3}])
    assert response.status_code == 201
    order = client.get(response.headers["Location"], headers=JSON).get_json()
    assert [(i["id"], i["quantity"]) for i in order["items"]] == [(bun, 5)]
    assert stock_of(bun) == 20 - 5


def test_not_enough_stock_is_409_and_writes_nothing(client, app, products, stock_of):
    tart, croissant = products["Lemon Tart"], products["Butter Croissant"]
    response = post_order(client, [{"id": croissant, "quantity": 1}, {"id": tart, "quantity": 4}])
    assert response.status_code == 409
    body = response.get_json()
    assert "Lemon Tart" in body["error"]
    assert body["details"] == {"product_id": tart, "requested": 4, "in_stock": 3}
    assert stock_of(croissant) == 40
    assert stock_of(tart) == 3
    assert count_orders(app) == (0, 0)


def test_a_failure_after_the_stock_update_rolls_everything_back(client, app, products, stock_of, monkeypatch):
    reserve = service._reserve_stock

    def reserve_then_fail(*args, **kwargs):
        reserve(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_reserve_stock", reserve_then_fail)
    croissant = products["Butter Croissant"]
    response = post_order(client, [{"id": croissant, "quantity": 3}])
    assert response.status_code == 500
    assert response.get_json() == {"error": response.get_json()["error"]}
    assert stock_of(croissant) == 40
    assert count_orders(app) == (0, 0)


def test_idempotency_key_returns_the_first_order(client, app, products, stock_of):
    croissant = products["Butter Croissant"]
    items = [{"id": croissant, "quantity": 2}]
    first = post_order(client, items, {"Idempotency-Key": "checkout-123"})
    again = post_order(client, items, {"Idempotency-Key": "checkout-123"})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["order_id"] == first.get_json()["order_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert stock_of(croissant) == 38
    assert count_orders(app)[0] == 1


def test_idempotency_key_with_different_items_is_422(client, app, products):
    croissant = products["Butter Croissant"]
    post_order(client, [{"id": croissant, "quantity": 2}], {"Idempotency-Key": "k1"})
    response = post_order(client, [{"id": croissant, "quantity": 3}], {"Idempotency-Key": "k1"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["error"]
    assert count_orders(app)[0] == 1


BAD_ITEMS = {
    "quantity zero": ([{"id": "P", "quantity": 0}], 422),
    "quantity negative": ([{"id": "P", "quantity": -1}], 422),
    "quantity fractional": ([{"id": "P", "quantity": 1.5}], 422),
    "quantity string": ([{"id": "P", "quantity": "2"}], 422),
    "quantity true": ([{"id": "P", "quantity": True}], 422),
    "quantity null": ([{"id": "P", "quantity": None}], 422),
    "quantity missing": ([{"id": "P"}], 422),
    "quantity absurd": ([{"id": "P", "quantity": 10**12}], 422),
    "quantity over the line limit": ([{"id": "P", "quantity": 51}], 422),
    "merged lines over the limit": ([{"id": "P", "quantity": 30}, {"id": "P", "quantity": 30}], 422),
    "id string": ([{"id": "1", "quantity": 1}], 422),
    "id missing": ([{"quantity": 1}], 422),
    "id negative": ([{"id": -4, "quantity": 1}], 422),
    "unknown product": ([{"id": 987654, "quantity": 1}], 422),
    "item not an object": (["P"], 422),
    "empty items": ([], 422),
    "too many lines": ([{"id": "P", "quantity": 1}] * 31, 422),
}


@pytest.mark.parametrize("items,status", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_bad_items_are_refused_and_nothing_is_written(client, app, products, stock_of, items, status):
    croissant = products["Butter Croissant"]
    items = [{**item, "id": croissant} if isinstance(item, dict) and item.get("id") == "P" else item for item in items]
    response = post_order(client, items)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert stock_of(croissant) == 40
    assert count_orders(app) == (0, 0)


BAD_BODIES = {
    "malformed json": ('{"items": [', "application/json", 400),
    "json array": ('[{"id": 1, "quantity": 1}]', "application/json", 400),
    "json string": ('"items"', "application/json", 400),
    "items not a list": ('{"items": {"id": 1}}', "application/json", 422),
    "no items key": ('{"products": []}', "application/json", 422),
    "form encoded": ("items=1", "application/x-www-form-urlencoded", 415),
    "plain text": ('{"items": []}', "text/plain", 415),
    "not utf-8": (b'{"items": "\xff\xfe"}', "application/json", 400),
}


@pytest.mark.parametrize("body,content_type,status", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bodies_get_a_clear_json_error(client, app, products, body, content_type, status):
    response = client.post("/orders", data=body, headers={"Content-Type": content_type, **JSON})
    assert response.status_code == status
    assert isinstance(response.get_json()["error"], str)
    assert count_orders(app) == (0, 0)


def test_body_over_one_megabyte_is_413(client, app, products):
    items = [{"id": products["Baguette"], "quantity": 1}] * 60_000
    body = json.dumps({"items": items})
    assert len(body) > 1024 * 1024
    response = client.post("/orders", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"]
    assert count_orders(app) == (0, 0)


def test_inactive_product_cannot_be_ordered(client, app, add_product):
    retired = add_product(name="Retired Scone", active=False)
    response = post_order(client, [{"id": retired, "quantity": 1}])
    assert response.status_code == 422
    assert response.get_json()["details"] == {"unavailable_product_ids": [retired]}
    assert count_orders(app) == (0, 0)


def test_overlong_idempotency_key_is_400(client, products):
    response = post_order(client, [{"id": products["Baguette"], "quantity": 1}], {"Idempotency-Key": "k" * 256})
    assert response.status_code == 400


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/orders", headers=JSON)
    assert response.status_code == 405
    assert response.get_json()["error"]
