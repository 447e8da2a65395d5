"""The OpenAPI document is valid and describes what the API really answers."""

import re

import pytest
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from app.web.openapi import load_spec
from tests.helpers import JSON, bake, post_order, wait_for_status


def schema_for(path, method, status):
    """The JSON schema the spec promises for one response, with its $refs resolvable."""
    spec = load_spec()
    response = spec["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def assert_matches(body, path, method, status):
    Draft202012Validator(schema_for(path, method, status)).validate(body)


def test_spec_is_valid_openapi(client):
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    assert set(spec["paths"]) >= {"/products", "/orders", "/order-status/{order_id}", "/health"}


def test_real_responses_match_the_spec(client, products):
    assert_matches(client.get("/products", headers=JSON).get_json(), "/products", "get", 200)
    product_id = products["Baguette"]
    assert_matches(client.get(f"/products/{product_id}", headers=JSON).get_json(), "/products/{product_id}", "get", 200)

    accepted = post_order(client, [{"id": product_id, "quantity": 1}])
    assert_matches(accepted.get_json(), "/orders", "post", 201)
    order_id = accepted.get_json()["order_id"]
    assert_matches(
        client.get(f"/order-status/{order_id}", headers=JSON).get_json(), "/order-status/{order_id}", "get", 200
    )
    assert_matches(client.get(f"/orders/{order_id}", headers=JSON).get_json(), "/orders/{order_id}", "get", 200)
    assert_matches(client.get("/health").get_json(), "/health", "get", 200)


@pytest.mark.parametrize(
    "items,status",
    [
        ([{"id": 1, "quantity": 0}], 422),
        ([{"id": 999999, "quantity": 1}], 422),
    ],
)
def test_error_responses_match_the_spec(client, products, items, status):
    response = post_order(client, items)
    assert response.status_code == status
    assert_matches(response.get_json(), "/orders", "post", status)


def test_a_schema_mismatch_would_be_caught():
    with pytest.raises(ValidationError):
        assert_matches([{"id": 1, "name": "Bun"}], "/products", "get", 200)


def test_the_allergen_codes_in_the_spec_are_the_apps(client):
    from app.catalog.allergens import ALLERGENS

    spec = client.get("/openapi.json").get_json()
    assert spec["components"]["schemas"]["AllergenCode"]["enum"] == list(ALLERGENS)


def test_free_from_answers_match_the_spec(client, products):
    filtered = client.get("/products?free_from=milk,nuts", headers=JSON)
    assert_matches(filtered.get_json(), "/products", "get", 200)
    refused = client.get("/products?free_from=chocolate", headers=JSON)
    assert refused.status_code == 422
    assert_matches(refused.get_json(), "/products", "get", 422)


def test_a_bad_api_key_and_a_rate_limited_order_match_the_spec(make_app, products):
    import uuid

    spec = load_spec()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert {"bearerAuth": []} in spec["paths"]["/orders"]["post"]["security"]
    # 2: the bad key's 401 counts against the address too (guessing keys is limited like ordering).
    app = make_app(ORDER_RATE_LIMIT="2/minute", RATELIMIT_KEY_PREFIX=f"test-openapi-{uuid.uuid4().hex}")
    client = app.test_client()
    refused = post_order(client, [{"id": 1, "quantity": 1}], {"Authorization": "Bearer bk_nope"})
    assert refused.status_code == 401
    assert_matches(refused.get_json(), "/orders", "post", 401)
    item = [{"id": products["Baguette"], "quantity": 1}]
    assert post_order(client, item).status_code == 201
    limited = post_order(client, item)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 0
    assert_matches(limited.get_json(), "/orders", "post", 429)


def test_a_quantity_of_14_point_0_is_14_as_the_document_says(app, client, products):
    """JSON Schema's `integer` admits 14.0 (the same JSON number as 14): so does the API; 14.5 it refuses."""
    quantity = load_spec()["components"]["schemas"]["OrderRequest"]["properties"]["items"]["items"]["properties"][
        "quantity"
    ]
    assert quantity["type"] == "integer"
    body = '{"items": [{"id": %d.0, "quantity": 14.0}]}' % products["Baguette"]
    placed = client.post("/orders", data=body, headers={"Content-Type": "application/json"})
    assert placed.status_code == 201
    with app.app_context():
        order = db.session.scalar(select(Order).filter_by(public_id=placed.get_json()["order_id"]))
        assert [(item.product_id, item.quantity) for item in order.items] == [(products["Baguette"], 14)]
    half = '{"items": [{"id": %d, "quantity": 14.5}]}' % products["Baguette"]
    refused = client.post("/orders", data=half, headers={"Content-Type": "application/json"})
    assert refused.status_code == 422
    assert refused.get_json()["details"] == {"items[0].quantity": "must be a positive whole number"}
    assert_matches(refused.get_json(), "/orders", "post", 422)


def test_a_replayed_order_carries_the_documented_header(client, products):
    headers = {"Idempotency-Key": "fuzz-replay-1"}
    first = post_order(client, [{"id": products["Baguette"], "quantity": 1}], headers)
    again = post_order(client, [{"id": products["Baguette"], "quantity": 1}], headers)
    assert first.status_code == again.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert again.get_json()["order_id"] == first.get_json()["order_id"]
    documented = load_spec()["paths"]["/orders"]["post"]["responses"]["201"]["headers"]["Idempotent-Replayed"]
    assert again.headers["Idempotent-Replayed"] == documented["schema"]["const"]


def test_the_catalogue_etag_gives_the_documented_304(client, products):
    responses = load_spec()["paths"]["/products"]["get"]["responses"]
    first = client.get("/products", headers=JSON)
    assert re.fullmatch(responses["200"]["headers"]["ETag"]["schema"]["pattern"], first.headers["ETag"])
    again = client.get("/products", headers={**JSON, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and "304" in responses
    assert again.headers["ETag"] == first.headers["ETag"]


def test_order_ids_match_the_documented_pattern(client, products):
    pattern = load_spec()["components"]["parameters"]["OrderId"]["schema"]["pattern"]
    order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
    assert re.fullmatch(pattern, order_id)


def test_the_cart_and_the_staff_json_match_the_spec(staff_client, products):
    client = staff_client
    client.post("/cart/items", data={"product_id": products["Baguette"], "quantity": "2"})
    assert_matches(client.get("/cart", headers=JSON).get_json(), "/cart", "get", 200)
    assert_matches(client.get("/checkout", headers=JSON).get_json(), "/checkout", "get", 200)
    post_order(client, [{"id": products["Baguette"], "quantity": 1}])
    for path in (
        "/staff/orders",
        "/staff/orders/new",
        "/staff/orders/search",
        "/staff/products",
        "/staff/bake-list",
        "/staff/pick-list",
        "/staff/reports",
        "/staff/calendar",
        "/staff/categories",
        "/staff/api-keys",
        "/staff/accounts",
        "/staff/account",
    ):
        response = client.get(path, headers=JSON)
        assert response.status_code == 200, path
        assert_matches(response.get_json(), path, "get", 200)


def test_a_dates_own_amount_set_refused_and_removed_matches_the_spec(app, staff_client, products):
    from datetime import date, timedelta

    days, remove = "/staff/products/{product_id}/days", "/staff/products/{product_id}/days/{day}/delete"
    croissant = bake(app, products["Butter Croissant"], 24)
    soon = (date.today() + timedelta(days=3)).isoformat()
    url = f"/staff/products/{croissant}/days"
    added = staff_client.post(url, json={"day": soon, "amount": 200}, headers=JSON)
    assert added.status_code == 200 and added.get_json()["day_amounts"][0]["amount"] == 200
    assert_matches(added.get_json(), days, "post", 200)
    for body, status in (({"day": "2020-01-01", "amount": 1}, 422), ({"day": soon, "amount": -1}, 422)):
        refused = staff_client.post(url, json=body, headers=JSON)
        assert refused.status_code == status
        assert_matches(refused.get_json(), days, "post", status)
    stocked = staff_client.post(f"/staff/products/{products['Lemon Tart']}/days", json={"day": soon, "amount": 1})
    assert stocked.status_code == 409
    assert_matches(stocked.get_json(), days, "post", 409)
    removed = staff_client.post(f"{url}/{soon}/delete", headers=JSON)
    assert removed.status_code == 200 and removed.get_json()["day_amounts"] == []
    assert_matches(removed.get_json(), remove, "post", 200)
    missing = staff_client.post(f"{url}/{soon}/delete", headers=JSON)
    assert missing.status_code == 404
    assert_matches(missing.get_json(), remove, "post", 404)


def test_staff_json_without_a_login_is_the_documented_401(client):
    refused = client.get("/staff/orders", headers=JSON)
    assert refused.status_code == 401
    assert_matches(refused.get_json(), "/staff/orders", "get", 401)


# Pages, assets and browser form posts that have no JSON answer of their own: the document
# describes the JSON API, so these stay out of it. Every other route is in the document, with
# exactly the methods it answers. A new route goes in one of the two, on purpose.
OUTSIDE_THE_DOCUMENT = {
    "/",  # the shop's page (its JSON is GET /products)
    "/openapi.json",  # the document itself
    "/static/{filename}",
    "/uploads/{name}",
    "/cart/items",  # the cart's buttons: form posts with the CSRF token
    "/cart/items/{product_id}",
    "/cart/items/{product_id}/delete",
    "/cart/day",
    "/staff/",
    "/staff/login",
    "/staff/logout",
    "/staff/calendar/{section}",
    "/staff/calendar/closures/{closure_id}/delete",
    "/staff/calendar/overrides/{day}/delete",
    "/staff/calendar/special/{day}/delete",
    "/staff/products/{product_id}/edit",
    "/staff/products/new",
    "/staff/reports/lines.csv",  # CSV downloads
    "/staff/reports/orders.csv",
}
HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
SAMPLE_VALUES = {"filename": "css/bakery.css", "name": "x.png", "day": "2026-12-01", "section": "hours"}


def routes(app):
    """{path as the document writes it: a URL that reaches it}, for every rule of the app."""
    found = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        url = re.sub(
            r"<(?:([^:>]+):)?([^>]+)>",
            lambda m: SAMPLE_VALUES.get(m.group(2), "1" if m.group(1) else "abcdefgh12345678"),
            rule.rule,
        )
        found[path] = url
    return found


def allowed(client, url):
    """The methods the app says the URL takes, as it answers OPTIONS."""
    response = client.options(url)
    assert response.status_code == 200, url
    return {method.strip() for method in response.headers["Allow"].split(",")}


def test_every_route_answers_exactly_the_methods_the_document_describes(app, client):
    """HEAD (wherever GET is) and OPTIONS are implicit, as the document's description says."""
    spec = load_spec()
    assert "HEAD" in spec["info"]["description"] and "OPTIONS" in spec["info"]["description"]
    documented = {path: {m.upper() for m in ops} & HTTP_METHODS for path, ops in spec["paths"].items()}
    app_routes = routes(app)
    drift = {}
    for path, url in sorted(app_routes.items()):
        methods = allowed(client, url)
        implicit = {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        if path in OUTSIDE_THE_DOCUMENT:
            assert path not in documented, f"{path} is documented: take it off OUTSIDE_THE_DOCUMENT"
        elif methods - implicit != documented.get(path, set()):
            drift[path] = {"app": sorted(methods - implicit), "document": sorted(documented.get(path, set()))}
    assert drift == {}
    assert set(documented) <= set(app_routes), "documented paths the app does not have"
    assert set(app_routes) >= OUTSIDE_THE_DOCUMENT, "stale entries in OUTSIDE_THE_DOCUMENT"


WRONG_METHOD_REQUESTS = {
    "no body": {},
    "form without a CSRF token": {"data": {"name": "x"}},
    "JSON": {"json": {"name": "x"}},
    "htmx form": {"data": {"name": "x"}, "headers": {"HX-Request": "true"}},
    "NUL in the query": {"query_string": "q=%00"},
    "body over the limit": {"data": "x" * (1024 * 1024 + 1), "content_type": "application/x-www-form-urlencoded"},
}


@pytest.mark.parametrize("variant", sorted(WRONG_METHOD_REQUESTS))
def test_a_method_a_route_does_not_take_is_405_with_allow_on_every_route(make_app, variant):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    wrong = {}
    for path, url in sorted(routes(app).items()):
        methods = allowed(client, url)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = client.open(url, method=method, **WRONG_METHOD_REQUESTS[variant])
            allow = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
            if response.status_code != 405 or allow != methods:
                wrong[f"{method} {path}"] = response.status_code
    assert wrong == {}


def test_the_newly_documented_methods_answer_as_documented(staff_client, products):
    client = staff_client
    client.post("/cart/items", data={"product_id": products["Baguette"], "quantity": "1"})
    shown = client.post("/checkout", data={"pickup_date": "2026-12-03"}, headers=JSON)
    assert shown.status_code == 200
    assert_matches(shown.get_json(), "/checkout", "post", 200)
    order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
    confirm = client.get(f"/orders/{order_id}/cancel", headers=JSON)
    assert confirm.status_code == 200
    assert_matches(confirm.get_json(), "/orders/{order_id}/cancel", "get", 200)
    created = {
        "/staff/categories": client.post("/staff/categories", json={"name": "Seasonal"}),
        "/staff/api-keys": client.post("/staff/api-keys", json={"name": "Kiosk"}),
        "/staff/accounts": client.post(
            "/staff/accounts", json={"username": "cleo", "password": "crusty-rye-loaf-42", "role": "staff"}
        ),
    }
    for path, response in created.items():
        assert response.status_code == 201, path
        assert_matches(response.get_json(), path, "post", 201)
    wrong = client.post("/staff/account", json={"current_password": "nope", "new_password": "oven-glove-sunrise"})
    assert wrong.status_code == 422
    assert_matches(wrong.get_json(), "/staff/account", "post", 422)
    changed = client.post(
        "/staff/account", json={"current_password": "secret-bread", "new_password": "oven-glove-sunrise-9"}
    )
    assert changed.status_code == 200
    assert_matches(changed.get_json(), "/staff/account", "post", 200)


def test_the_staff_writes_on_one_thing_answer_as_documented(staff_client, products):
    client = staff_client
    category = client.post("/staff/categories", json={"name": "Seasonal"}).get_json()["id"]
    key = client.post("/staff/api-keys", json={"name": "Kiosk"}).get_json()["id"]
    cleo = client.post("/staff/accounts", json={"username": "cleo", "password": "crusty-rye-loaf-42"}).get_json()["id"]
    answers = [
        (f"/staff/categories/{category}", "/staff/categories/{category_id}", {"name": "Festive"}),
        (f"/staff/categories/{category}/move", "/staff/categories/{category_id}/move", {"direction": "up"}),
        (f"/staff/api-keys/{key}/revoke", "/staff/api-keys/{key_id}/revoke", None),
        (f"/staff/accounts/{cleo}/role", "/staff/accounts/{staff_id}/role", {"role": "owner"}),
        (f"/staff/accounts/{cleo}/active", "/staff/accounts/{staff_id}/active", {"active": "0"}),
        (
            f"/staff/accounts/{cleo}/password",
            "/staff/accounts/{staff_id}/password",
            {"password": "oven-glove-sunrise-9"},
        ),
        (f"/staff/products/{products['Baguette']}/retire", "/staff/products/{product_id}/retire", None),
    ]
    for url, path, body in answers:
        response = client.post(url, json=body, headers=JSON) if body else client.post(url, headers=JSON)
        assert response.status_code == 200, url
        assert_matches(response.get_json(), path, "post", 200)
    refused = client.post(f"/staff/categories/{category}/move", json={"direction": "sideways"})
    assert refused.status_code == 422
    assert_matches(refused.get_json(), "/staff/categories/{category_id}/move", "post", 422)


def test_the_order_board_and_product_row_writes_answer_as_documented(staff_client, products):
    client = staff_client
    order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    moved = client.post(f"/staff/orders/{order_id}/status", json={"status": "Ready", "from": "Processing"})
    assert moved.status_code == 200
    assert_matches(moved.get_json(), "/staff/orders/{order_id}/status", "post", 200)
    stale = client.post(f"/staff/orders/{order_id}/status", json={"status": "Completed", "from": "Processing"})
    assert stale.status_code == 409
    assert_matches(stale.get_json(), "/staff/orders/{order_id}/status", "post", 409)
    [baguette] = [row for row in client.get("/staff/products", headers=JSON).get_json() if row["name"] == "Baguette"]
    changed = client.post(
        f"/staff/products/{products['Baguette']}",
        json={"price": 3.1, "stock": 7, "active": True, "version": baguette["version"]},
    )
    assert changed.status_code == 200
    assert_matches(changed.get_json(), "/staff/products/{product_id}", "post", 200)
    assert (changed.get_json()["price"], changed.get_json()["stock"]) == (3.1, 7)
    refused = client.post(f"/staff/products/{products['Baguette']}", json={"stock": -1, "version": baguette["version"]})
    assert refused.status_code == 422
    assert_matches(refused.get_json(), "/staff/products/{product_id}", "post", 422)
    stale = client.post(f"/staff/products/{products['Baguette']}", json={"price": 3.2, "version": baguette["version"]})
    assert stale.status_code == 409
    assert_matches(stale.get_json(), "/staff/products/{product_id}", "post", 409)
    adjusted = client.post(f"/staff/products/{products['Baguette']}/stock", json={"change": "+5", "reason": "baked"})
    assert adjusted.status_code == 200 and adjusted.get_json()["stock"] == 12
    assert_matches(adjusted.get_json(), "/staff/products/{product_id}/stock", "post", 200)
