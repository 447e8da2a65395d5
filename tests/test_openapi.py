"""The OpenAPI document is valid and describes what the API really answers."""

import pytest
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate

from app.openapi import load_spec
from tests.helpers import JSON, post_order


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
    from app.allergens import ALLERGENS

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
