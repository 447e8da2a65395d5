"""Abuse limits: orders per client, failed logins per username+client and per client, proxies, fail-open.

The other suites switch the limits off (conftest.py); here they are on, each test with its
own key prefix so counts never leak between tests on the shared Redis.
"""

import logging
import uuid
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, Product
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, post_order

CLIENT_A = {"REMOTE_ADDR": "203.0.113.10"}
CLIENT_B = {"REMOTE_ADDR": "198.51.100.20"}
NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday morning, as in test_storefront.py


@pytest.fixture
def limited_app(make_app):
    """An app with the shipped default limits and a key prefix of its own."""

    def factory(**overrides):
        settings = {
            "ORDER_RATE_LIMIT": "10/minute;60/hour",
            "API_KEY_RATE_LIMIT": "120/minute;2000/hour",
            "LOGIN_RATE_LIMIT": "10/15 minutes",
            "LOGIN_CLIENT_RATE_LIMIT": "30/15 minutes",
            "ORDER_PAGE_RATE_LIMIT": "300/minute",
            "RATELIMIT_KEY_PREFIX": f"test-limits-{uuid.uuid4().hex}",
            **overrides,
        }
        return make_app(**settings)

    return factory


def order_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def total_stock(app):
    with app.app_context():
        return db.session.scalar(select(func.sum(Product.stock)))


@pytest.mark.slow
def test_a_burst_of_300_one_item_orders_gets_the_limit_then_429(limited_app, products):
    app = limited_app()
    client = app.test_client()
    stock_before = total_stock(app)
    croissant = products["Butter Croissant"]
    statuses = [
        post_order(client, [{"id": croissant, "quantity": 1}], headers={"X-Forwarded-For": f"10.0.0.{n % 250}"})
        for n in range(300)
    ]
    codes = [r.status_code for r in statuses]
    assert codes[:10] == [201] * 10  # the first ten of the minute get through
    assert codes[10:] == [429] * 290  # a forged X-Forwarded-For changes nothing on a direct port
    refused = statuses[-1]
    assert refused.get_json()["error"].startswith("Too many orders from here")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert order_count(app) == 10
    assert total_stock(app) == stock_before - 10


def test_another_client_is_not_held_up_by_a_limited_one(limited_app, products):
    app = limited_app(ORDER_RATE_LIMIT="2/minute")
    client = app.test_client()
    item = [{"id": products["Baguette"], "quantity": 1}]
    for _ in range(2):
        assert client.post("/orders", json={"items": item}, environ_base=CLIENT_A).status_code == 201
    assert client.post("/orders", json={"items": item}, environ_base=CLIENT_A).status_code == 429
    assert client.post("/orders", json={"items": item}, environ_base=CLIENT_B).status_code == 201


def test_an_empty_setting_switches_the_order_limit_off(limited_app, products):
    app = limited_app(ORDER_RATE_LIMIT="")
    client = app.test_client()
    codes = {post_order(client, [{"id": products["Baguette"], "quantity": 1}]).status_code for _ in range(15)}
    assert codes == {201}


def test_the_checkout_form_gets_a_readable_429_page(limited_app, products, monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)
    app = limited_app(ORDER_RATE_LIMIT="1/minute")
    client = app.test_client()
    assert post_order(client, [{"id": products["Baguette"], "quantity": 1}]).status_code == 201
    client.post("/cart/items", data={"product_id": products["Baguette"], "quantity": 1}, headers=BROWSER)
    response = client.post("/orders", data={"name": "Ada", "contact": "ada@example.com"}, headers=BROWSER)
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    page = BeautifulSoup(response.data, "html.parser")
    assert "Too many orders from here" in page.select_one("#checkout-form").get_text()
    assert page.select_one("[name=name]")["value"] == "Ada"  # what was typed is kept
    htmx = client.post("/orders", data={"name": "Ada"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 429  # htmx swaps 429 (base.html): the form fragment, with the message
    fragment = BeautifulSoup(htmx.data, "html.parser")
    assert fragment.select_one("html") is None and "Too many orders from here" in fragment.get_text()
    assert order_count(app) == 1


def test_with_no_trusted_proxy_a_forged_forwarded_for_is_ignored(limited_app, products):
    app = limited_app(ORDER_RATE_LIMIT="2/minute", TRUSTED_PROXIES=0)
    client = app.test_client()
    item = [{"id": products["Baguette"], "quantity": 1}]
    codes = [post_order(client, item, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(1, 4)]
    assert codes == [201, 201, 429]


def test_behind_one_trusted_proxy_each_forwarded_client_has_its_own_limit(limited_app, products):
    app = limited_app(ORDER_RATE_LIMIT="2/minute", TRUSTED_PROXIES=1)
    client = app.test_client()
    item = [{"id": products["Baguette"], "quantity": 1}]
    forwarded = [post_order(client, item, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in (1, 2, 3)]
    assert forwarded == [201, 201, 201]
    same = [post_order(client, item, headers={"X-Forwarded-For": "192.0.2.9"}).status_code for _ in range(3)]
    assert same == [201, 201, 429]


def test_a_limiter_whose_storage_is_down_lets_orders_through_and_logs(limited_app, products, caplog, monkeypatch):
    # The migrations' logging config (run by the schema fixture) disables loggers made before it.
    monkeypatch.setattr(logging.getLogger("flask-limiter"), "disabled", False)
    # Port 9 (discard) is closed here: connection refused at once, as when Redis is down.
    app = limited_app(ORDER_RATE_LIMIT="1/minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [post_order(client, [{"id": products["Baguette"], "quantity": 1}]).status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    assert order_count(app) == 3
    assert any("rate limit" in record.getMessage().lower() for record in caplog.records)


# --- order pages ---------------------------------------------------------------------------


def place_one_order(client, products):
    return post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]


@pytest.mark.slow
def test_a_flood_of_status_polls_from_one_address_gets_the_limit_then_429(limited_app, products):
    app = limited_app()
    client = app.test_client()
    order_id = place_one_order(client, products)
    poll = f"/order-status/{order_id}"
    codes = [client.get(poll, headers=JSON, environ_base=CLIENT_A).status_code for _ in range(310)]
    assert codes == [200] * 300 + [429] * 10
    refused = client.get(f"/order-status/{order_id}", headers=JSON, environ_base=CLIENT_A)
    assert refused.status_code == 429
    assert refused.get_json()["error"].startswith("Too many requests for order pages")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Another customer polls on as before.
    assert client.get(f"/order-status/{order_id}", headers=JSON, environ_base=CLIENT_B).status_code == 200


def test_the_order_pages_share_one_allowance_per_address(limited_app, products):
    app = limited_app(ORDER_PAGE_RATE_LIMIT="3/minute")
    client = app.test_client()
    order_id = place_one_order(client, products)
    paths = [f"/order-status/{order_id}", f"/orders/{order_id}", f"/orders/{order_id}/cancel"]
    assert [client.get(p, headers=BROWSER, environ_base=CLIENT_A).status_code for p in paths] == [200] * 3
    for path in paths:
        page = client.get(path, headers=BROWSER, environ_base=CLIENT_A)
        assert page.status_code == 429 and "Retry-After" in page.headers
    assert client.get(paths[1], headers=BROWSER, environ_base=CLIENT_B).status_code == 200


def test_a_limited_htmx_status_poll_keeps_the_status_shown(limited_app, products):
    app = limited_app(ORDER_PAGE_RATE_LIMIT="1/minute")
    client = app.test_client()
    order_id = place_one_order(client, products)
    assert client.get(f"/order-status/{order_id}", headers=HTMX, environ_base=CLIENT_A).status_code == 200
    poll = client.get(f"/order-status/{order_id}", headers=HTMX, environ_base=CLIENT_A)
    assert poll.status_code == 429  # htmx swaps a 429 (base.html): this one says to swap nothing
    assert poll.headers["HX-Reswap"] == "none"
    assert "Retry-After" in poll.headers


def test_an_empty_setting_switches_the_order_page_limit_off(limited_app, products):
    app = limited_app(ORDER_PAGE_RATE_LIMIT="")
    client = app.test_client()
    order_id = place_one_order(client, products)
    codes = {client.get(f"/order-status/{order_id}", headers=JSON).status_code for _ in range(20)}
    assert codes == {200}


# --- staff login ---------------------------------------------------------------------------


@pytest.fixture
def ana(limited_app):
    app = limited_app()
    with app.app_context():
        create_staff("ana", "secret-bread")
    return app


def login(client, environ, username="ana", password="guess"):
    return client.post(
        "/staff/login", data={"username": username, "password": password}, headers=BROWSER, environ_base=environ
    )


@pytest.mark.slow
def test_a_flood_from_one_address_cannot_lock_staff_out_from_another(ana):
    attacker, counter = ana.test_client(), ana.test_client()
    codes = [login(attacker, CLIENT_A).status_code for _ in range(40)]
    assert codes == [422] * 10 + [429] * 30
    refused = login(attacker, CLIENT_A, password="secret-bread")
    assert refused.status_code == 429  # the right password too, from the flooding address
    assert "Retry-After" in refused.headers
    message = BeautifulSoup(refused.data, "html.parser").select_one("#login-error").get_text()
    assert "Too many failed logins" in message
    # The bakery's own counter, another address: ana logs in.
    response = login(counter, CLIENT_B, password="secret-bread")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/orders"
    assert counter.get("/staff/orders", headers=BROWSER).status_code == 200


@pytest.mark.slow
def test_one_address_cannot_try_forty_usernames(ana):
    client = ana.test_client()
    codes = [login(client, CLIENT_A, username=f"user{n}").status_code for n in range(40)]
    assert codes == [422] * 30 + [429] * 10
    assert login(client, CLIENT_B, username="user39").status_code == 422


def test_successful_logins_do_not_use_up_the_allowance(ana):
    client = ana.test_client()
    for _ in range(12):
        assert login(client, CLIENT_A, password="secret-bread").status_code == 303
        client.post("/staff/logout", headers=BROWSER, environ_base=CLIENT_A)


def test_a_limited_login_answers_json_callers_in_json(ana):
    client = ana.test_client()
    wrong = {"username": "ana", "password": "x"}
    for _ in range(10):
        client.post("/staff/login", data=wrong, headers=JSON, environ_base=CLIENT_A)
    response = client.post("/staff/login", data=wrong, headers=JSON, environ_base=CLIENT_A)
    assert response.status_code == 429
    assert response.get_json()["error"].startswith("Too many failed logins")
    assert int(response.headers["Retry-After"]) > 0
