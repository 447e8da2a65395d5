"""CSRF protection as it runs in production: forms and htmx need the token, JSON API calls don't."""

import json

import pytest
from bs4 import BeautifulSoup

from tests.helpers import BROWSER, HTMX, JSON, post_order


@pytest.fixture
def app(make_app):
    """This module's app checks CSRF tokens, as production does (conftest turns it off)."""
    return make_app(WTF_CSRF_ENABLED=True)


def page(client, path="/"):
    return BeautifulSoup(client.get(path, headers=BROWSER).data, "html.parser")


def test_a_form_post_without_the_token_is_refused_with_a_readable_page(client, products):
    response = client.post("/cart/items", data={"product_id": products["Baguette"], "quantity": 1}, headers=BROWSER)
    assert response.status_code == 400
    soup = BeautifulSoup(response.data, "html.parser")
    assert "reload the page and try again" in soup.select_one(".error-page .error-message").get_text()
    assert soup.select_one("#cart-badge .cart-count").get_text(strip=True) == "0"


def test_a_forged_token_is_refused_too(client, products):
    page(client)
    data = {"product_id": products["Baguette"], "quantity": 1, "csrf_token": "forged"}
    assert client.post("/cart/items", data=data, headers=BROWSER).status_code == 400


def test_the_token_in_the_form_lets_the_post_through(client, products):
    form = page(client).select_one(f"#product-{products['Baguette']} form.add-to-cart")
    data = {field["name"]: field["value"] for field in form.select("input[name]")}
    response = client.post("/cart/items", data=data, headers=BROWSER)
    assert response.status_code == 303


def test_htmx_sends_the_token_from_hx_headers_on_body(client, products):
    headers = json.loads(page(client).body["hx-headers"])
    response = client.post(
        "/cart/items", data={"product_id": products["Baguette"], "quantity": 1}, headers={**HTMX, **headers}
    )
    assert response.status_code == 200
    refused = client.post("/cart/items", data={"product_id": products["Baguette"], "quantity": 1}, headers=HTMX)
    assert refused.status_code == 400


def test_checkout_without_the_token_places_no_order(client, products):
    data = {"name": "Ada", "contact": "ada@example.com", "pickup_date": "2030-01-02", "pickup_time": "10:00"}
    response = client.post("/orders", data=data, headers=BROWSER)
    assert response.status_code == 400


def test_json_api_needs_no_token(client, products):
    response = post_order(client, [{"id": products["Baguette"], "quantity": 1}])
    assert response.status_code == 201
    assert client.get(f"/order-status/{response.get_json()['order_id']}", headers=JSON).status_code == 200


def test_a_cross_site_form_cannot_pass_as_json(client, products):
    # An HTML form can send text/plain that looks like JSON, but never Content-Type: application/json.
    body = json.dumps({"items": [{"id": products["Baguette"], "quantity": 1}]})
    response = client.post("/orders", data=body, headers={"Content-Type": "text/plain", **BROWSER})
    assert response.status_code == 400


def test_the_session_cookie_holding_the_cart_is_httponly_and_samesite_lax(client, products):
    response = client.get("/", headers=BROWSER)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
