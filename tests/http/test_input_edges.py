"""Input at the edges of what the database can hold, and redirect targets: a clear 4xx, never a 500."""

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MAX_ID, Order, Product
from app.staff.accounts import create_staff
from app.web.openapi import load_spec
from tests.helpers import BROWSER, HTMX, JSON, post_order
from tests.http.test_openapi import assert_matches

HUGE_IDS = [MAX_ID + 1, 2**63, 1180591620717411303424]


@pytest.fixture
def staff_client(app, client):
    with app.app_context():
        create_staff("ana", "secret-bread")
    response = client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}, headers=BROWSER)
    assert response.status_code == 303
    return client


@pytest.mark.parametrize("product_id", HUGE_IDS)
def test_an_order_naming_a_huge_product_id_is_a_422_and_writes_nothing(app, client, products, product_id):
    response = post_order(client, [{"id": product_id, "quantity": 1}])
    assert response.status_code == 422
    body = response.get_json()
    assert "items[0].id" in body["details"]
    with app.app_context():
        assert db.session.query(Product).count() == len(products)
        assert db.session.execute(db.text("SELECT count(*) FROM orders")).scalar() == 0


@pytest.mark.parametrize("product_id", HUGE_IDS)
@pytest.mark.parametrize("headers", [JSON, BROWSER, HTMX])
def test_a_product_page_with_a_huge_id_is_a_404(client, products, product_id, headers):
    response = client.get(f"/products/{product_id}", headers=headers)
    assert response.status_code == 404
    if headers is JSON:
        assert response.get_json()["error"]


@pytest.mark.parametrize("product_id", [str(i) for i in HUGE_IDS] + ["0", "-1"])
def test_adding_a_huge_product_id_to_the_cart_is_a_404(client, products, product_id):
    response = client.post("/cart/items", data={"product_id": product_id, "quantity": "1"}, headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"] == "No product with that id"
    assert client.get("/cart", headers=JSON).get_json()["count"] == 0


@pytest.mark.parametrize("path", ["/cart/items/{}", "/cart/items/{}/delete"])
def test_changing_a_cart_line_with_a_huge_id_is_a_404(client, products, path):
    response = client.post(path.format(2**64), data={"quantity": "1"}, headers=JSON)
    assert response.status_code == 404


def test_staff_editing_a_product_with_a_huge_id_is_a_404(staff_client, products):
    response = staff_client.post(f"/staff/products/{2**64}", data={"price": "1.00"}, headers=JSON)
    assert response.status_code == 404


@pytest.mark.parametrize("stock", ["²", "①", "١٢", "1e3", "-1", "1234567"])
def test_staff_stock_must_be_plain_digits(staff_client, products, stock):
    product_id = products["Butter Croissant"]
    response = staff_client.post(f"/staff/products/{product_id}", data={"stock": stock}, headers=JSON)
    assert response.status_code == 422
    assert "stock" in response.get_json()["details"]


def test_the_cli_refuses_a_huge_product_id_with_a_message(app, products):
    result = app.test_cli_runner().invoke(args=["product-update", str(2**64), "--price", "1.00"])
    assert result.exit_code == 1
    assert "No product with that id" in result.output


@pytest.mark.parametrize(
    "next_url",
    [
        "/\t/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " /orders",
        "/caf\u00e9",
        "/staff/orders\n",
    ],
)
def test_login_never_redirects_off_the_site(staff_client, next_url):
    response = staff_client.get("/staff/login", query_string={"next": next_url}, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/orders"


def test_login_follows_a_local_next_with_its_query(staff_client):
    response = staff_client.get("/staff/login", query_string={"next": "/staff/products?saved=1"}, headers=BROWSER)
    assert response.headers["Location"] == "/staff/products?saved=1"


@pytest.mark.parametrize("next_url", ["/\t/evil.example", "//evil.example", "/\\evil"])
def test_htmx_login_navigates_only_within_the_site(app, client, next_url):
    with app.app_context():
        create_staff("bo", "secret-bread")
    response = client.post(
        "/staff/login", data={"username": "bo", "password": "secret-bread", "next": next_url}, headers=HTMX
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/staff/orders"


def test_the_cart_form_never_redirects_off_the_site(client, products):
    response = client.post(
        "/cart/items",
        headers=BROWSER,
        data={"product_id": products["Butter Croissant"], "quantity": "1", "next": "/\t/evil.example"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_json_order_answer_keeps_its_shape_on_a_replay(client, products):
    headers = {"Idempotency-Key": "edge-replay-1"}
    first = post_order(client, [{"id": products["Butter Croissant"], "quantity": 1}], headers)
    again = post_order(client, [{"id": products["Butter Croissant"], "quantity": 1}], headers)
    assert first.status_code == again.status_code == 201
    assert (
        set(first.get_json()) == set(again.get_json()) == {"order_id", "code", "status", "total", "pickup_at", "items"}
    )
    assert again.get_json()["items"] == first.get_json()["items"]
    assert again.get_json()["order_id"] == first.get_json()["order_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] == f"/orders/{first.get_json()['order_id']}"
    assert again.get_json()["total"] == first.get_json()["total"] == 2.8


def test_an_order_with_unknown_top_level_fields_is_422_naming_them(app, client, products):
    body = {"items": [{"id": products["Baguette"], "quantity": 1}], "name": "Ada", "email": "ada@x"}
    response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    answer = response.get_json()
    assert set(answer["details"]) == {"name", "email"}
    assert all("items, customer, pickup_at and note" in problem for problem in answer["details"].values())
    assert '"name"' in answer["error"] and '"email"' in answer["error"] and '"customer"' in answer["error"]
    assert_matches(answer, "/orders", "post", 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_an_order_line_with_unknown_fields_is_422_naming_them(app, client, products):
    items = [{"id": products["Baguette"], "quantity": 1}, {"id": products["Baguette"], "qty": 2, "quantity": 1}]
    response = client.post("/orders", data=json.dumps({"items": items}), headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["details"] == {"items[1].qty": "unknown field: use id, quantity and options"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_cancel_with_fields_in_its_body_is_422_and_cancels_nothing(client, products):
    placed = client.post(
        "/orders",
        data=json.dumps({"items": [{"id": products["Baguette"], "quantity": 1}]}),
        headers={"Content-Type": "application/json"},
    ).get_json()
    refused = client.post(f"/orders/{placed['order_id']}/cancel", json={"reason": "changed my mind"})
    assert refused.status_code == 422
    assert set(refused.get_json()["details"]) == {"reason"}
    # Not cancelled: still Pending, or Processing once the worker (in-process here) has taken it.
    assert client.get(f"/orders/{placed['order_id']}", headers=JSON).get_json()["status"] in ("Pending", "Processing")
    assert client.post(f"/orders/{placed['order_id']}/cancel", json={}).get_json()["status"] == "Cancelled"


def test_the_document_refuses_unknown_fields_in_every_json_request_body():
    spec = load_spec()

    def objects(schema):
        schema = resolve(spec, schema)
        if "object" in ([schema.get("type")] if isinstance(schema.get("type"), str) else schema.get("type", [])):
            yield schema
        for sub in schema.get("properties", {}).values():
            yield from objects(sub)
        if isinstance(schema.get("items"), dict):
            yield from objects(schema["items"])

    bodies = [
        op["requestBody"]["content"][kind]["schema"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "requestBody" in op
        for kind in op["requestBody"]["content"]
        if kind == "application/json"
    ]
    assert bodies
    for body in bodies:
        for schema in objects(body):
            # A map keyed by ids (an order line's options) says what its keys look like instead;
            # the server refuses a key it does not know by name, as it does a field.
            assert schema.get("additionalProperties") is False or "propertyNames" in schema, schema


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize(
    "path,body",
    [
        ("/staff/categories", {"name": "Seasonal", "colour": "red"}),
        ("/staff/api-keys", {"name": "Kiosk", "expires": "2027-01-01"}),
        ("/staff/accounts", {"username": "cleo", "password": "crusty-rye-loaf", "role": "staff", "email": "c@x.io"}),
        ("/staff/calendar/capacity", {"capacity": "6", "slot": "08:00"}),
        ("/staff/products/new", {"name": "Scone", "price": "2.50", "stock": "5", "colour": "golden"}),
    ],
)
def test_a_staff_json_body_with_an_unknown_field_is_422_naming_it(staff_client, path, body):
    before = staff_client.get(path.replace("/new", "").replace("/capacity", ""), headers=JSON).get_json()
    response = staff_client.post(path, json=body, headers=JSON)
    assert response.status_code == 422
    unknown = {"colour", "expires", "email", "slot"} & set(body)
    assert set(response.get_json()["details"]) == unknown
    assert all(name in response.get_json()["error"] for name in unknown)
    assert staff_client.get(path.replace("/new", "").replace("/capacity", ""), headers=JSON).get_json() == before


@pytest.mark.parametrize("body", ["[null, null]", '"Seasonal"', "5"])
def test_a_staff_json_body_that_is_not_an_object_is_400(staff_client, body):
    response = staff_client.post("/staff/categories", data=body, headers={**JSON, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]
    assert staff_client.get("/staff/categories", headers=JSON).get_json() == []
