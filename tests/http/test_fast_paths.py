"""What the cheap paths of a cached answer keep: headers, 304s, negotiation, limits, CSRF and the session.

Cached catalogue answers skip work (the limiter's hooks where no limit applies, per-header
look-ups, Accept parsing, the session's serializer set-up): these tests pin what a caller
sees on those answers, on the second request as well as the first.
"""

import uuid

import pytest
from bs4 import BeautifulSoup
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup

from app.security.headers import SECURITY_HEADERS
from app.web.negotiation import accept_prefers_json
from app.web.shared_html import COUNT_LABEL_SLOT, COUNT_SLOT, TOKEN_SLOT, Visitor, personalise
from tests.helpers import BROWSER, HTMX, JSON, post_order

CURL = {"Accept": "*/*"}


def assert_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_all(name) == [value], name


def test_a_cached_product_list_keeps_every_header_and_its_etag(client, products):
    first = client.get("/products", headers=JSON)
    second = client.get("/products", headers=JSON)  # from the cache
    for response in (first, second):
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert_security_headers(response)
        assert response.headers["Vary"].startswith("Accept, HX-Request")
        assert response.headers["Cache-Control"] == "no-cache"
        assert not [name for name, _ in response.headers if name.lower().startswith("x-ratelimit")]
        assert "Set-Cookie" not in response.headers
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.data == second.data


def test_a_client_holding_the_etag_gets_a_304_with_the_same_headers(client, products):
    etag = client.get("/products", headers=JSON).headers["ETag"]
    response = client.get("/products", headers={**JSON, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Vary"].startswith("Accept, HX-Request")
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("headers", "answer"),
    [
        (CURL, "json"),
        ({}, "json"),
        (JSON, "json"),
        (BROWSER, "page"),
        ({"Accept": "text/html"}, "page"),
        (HTMX, "fragment"),
        ({"Accept": "application/json", "HX-Request": "true"}, "fragment"),
        ({"Accept": "text/html;q=0.5, application/json"}, "json"),
        ({"Accept": "application/json;q=0.5, text/html"}, "page"),
        ({"Accept": "text/html, application/json;q=0"}, "page"),
        ({"Accept": "application/json, text/html"}, "json"),  # a tie goes to JSON
        ({"Accept": "image/png"}, "page"),  # accepts neither: the page, as before
    ],
)
def test_each_caller_gets_its_answer_every_time(client, products, headers, answer):
    for _ in range(3):  # the answer to an Accept header is remembered: it must stay the same
        response = client.get("/", headers=headers)
        assert response.status_code == 200
        assert_security_headers(response)
        assert response.headers["Vary"].startswith("Accept, HX-Request")
        if answer == "json":
            assert response.mimetype == "application/json"
            assert response.get_json()[0]["name"]
        else:
            assert response.mimetype == "text/html"
            has_page = b"<html" in response.data
            assert has_page == (answer == "page")
            assert b'class="add-to-cart' in response.data or b"add-to-cart" in response.data


def test_accept_ranking_is_werkzeugs():
    assert accept_prefers_json("*/*")
    assert not accept_prefers_json(BROWSER["Accept"])
    assert not accept_prefers_json("application/json;q=0")


def test_a_page_for_a_new_visitor_has_a_token_the_csrf_check_accepts(make_app, products):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.get("/", headers=BROWSER)
    assert_security_headers(response)
    assert response.headers["Vary"] == "Accept, HX-Request, Cookie"
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    # Flask's own session serializer reads the cookie, and Flask-WTF's check takes the form's token.
    flask_serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    session = flask_serializer.loads(cookie.value)
    form = BeautifulSoup(response.data, "html.parser").select_one("form.add-to-cart")
    token = form.select_one("input[name=csrf_token]")["value"]
    with app.test_request_context():
        from flask import session as request_session

        request_session.update(session)
        validate_csrf(token)  # raises if refused
    data = {field["name"]: field["value"] for field in form.select("input[name]")}
    assert client.post("/cart/items", data=data, headers=BROWSER).status_code == 303
    assert client.post("/cart/items", data={**data, "csrf_token": token[:-2]}, headers=BROWSER).status_code == 400


def test_a_visitor_keeps_the_same_token_and_cart_across_pages(make_app, products):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    tokens = set()
    for _ in range(3):
        soup = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser")
        form = soup.select_one(f"#product-{products['Baguette']} form.add-to-cart")
        data = {field["name"]: field["value"] for field in form.select("input[name]")}
        tokens.add(data["csrf_token"])
        assert client.post("/cart/items", data=data, headers=BROWSER).status_code == 303
    soup = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser")
    assert soup.select_one("#cart-badge .cart-count").get_text(strip=True) == "3"
    assert len(tokens) >= 1


def test_limited_views_still_send_their_rate_limit_headers(make_app, products):
    app = make_app(ORDER_RATE_LIMIT="10/minute", RATELIMIT_KEY_PREFIX=f"test-fast-{uuid.uuid4().hex}")
    client = app.test_client()
    response = post_order(client, [{"id": products["Baguette"], "quantity": 1}], headers=JSON)
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Limit"] == "10"
    assert response.headers["X-RateLimit-Remaining"] == "9"
    assert_security_headers(response)
    # …while the catalogue on the same app has none.
    listing = client.get("/products", headers=JSON)
    assert not [name for name, _ in listing.headers if name.lower().startswith("x-ratelimit")]


def test_a_nul_in_the_query_is_still_refused(client, products):
    response = client.get("/products?free_from=milk%00", headers=JSON)
    assert response.status_code == 400
    assert_security_headers(response)


@pytest.mark.parametrize("kind", [str, Markup])
def test_personalise_fills_every_slot_as_the_replacements_did(kind):
    html = kind(f"<p>{TOKEN_SLOT}</p><b>{COUNT_SLOT} {COUNT_LABEL_SLOT}</b>&amp;<i>{TOKEN_SLOT}</i>")
    visitor = Visitor("tok.en-_1", 1)
    expected = html.replace(TOKEN_SLOT, "tok.en-_1").replace(COUNT_SLOT, "1").replace(COUNT_LABEL_SLOT, "item")
    for _ in range(2):  # the second time from the remembered split
        assert personalise(html, visitor) == expected
    assert personalise(kind("<p>no slots</p>"), visitor) == "<p>no slots</p>"
