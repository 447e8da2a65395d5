"""Big bodies cost nothing until a route that takes them is found: an unknown URL is a 404 and a
wrong method a 405 without a byte of the body read; a body over its route's limit is a 413 before
it is read; the input guard stops early on a small body of very many values or fields. An order
of normal size and a picture near its limit still get in."""

import io
import json
import os
import socket

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import func, select

from app.catalog.pictures import MAX_BYTES
from app.extensions import db
from app.models import Order, Product
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, JSON, post_order
from tests.live_server import serve

MB = 1024 * 1024
# About 1 MB each: 350,000 empty arrays, and 350,000 empty form fields.
EMPTY_ARRAYS = b"[" + b"[]," * (MB // 3) + b"[]]"
EMPTY_FIELDS = b"a=&" * (MB // 3)
BODIES = {
    "json of empty arrays": (EMPTY_ARRAYS, "application/json"),
    "form of empty fields": (EMPTY_FIELDS, "application/x-www-form-urlencoded"),
}
STAFF = {"username": "ana", "password": "secret-bread"}


class WatchedBody(io.BytesIO):
    """A request body that remembers whether the app read any of it."""

    touched = False

    def read(self, *args):
        self.touched = True
        return super().read(*args)

    def read1(self, *args):
        self.touched = True
        return super().read1(*args)

    def readinto(self, *args):
        self.touched = True
        return super().readinto(*args)

    def readline(self, *args):
        self.touched = True
        return super().readline(*args)


def send(client, method, path, body, content_type, headers):
    """Send `body` with its Content-Length; return the response and whether the app read the body."""
    watched = WatchedBody(body)
    response = client.open(
        path,
        method=method,
        input_stream=watched,
        headers={"Content-Type": content_type, "Content-Length": str(len(body)), **headers},
    )
    return response, watched.touched


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_error_answer(response, status, headers, content_type="application/json"):
    """`{"error"}` for JSON callers (and whoever sent JSON), the error page for browsers."""
    assert response.status_code == status
    if headers is JSON or content_type == "application/json":
        assert response.get_json()["error"]
    else:
        assert soup_of(response).select_one(".error-page .error-message").get_text(strip=True)


@pytest.fixture
def csrf_app(make_app):
    """CSRF checks on, as in production: the check must not read the body of an unrouted request either."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def staff_client(app, client):
    with app.app_context():
        create_staff(**STAFF)
    assert client.post("/staff/login", data=STAFF, headers=BROWSER).status_code == 303
    return client


# --- no route, no reading ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("headers", [JSON, BROWSER])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_big_body_to_an_unknown_url_is_a_404_without_reading_it(csrf_app, products, kind, headers, method):
    body, content_type = BODIES[kind]
    response, read = send(csrf_app.test_client(), method, "/no-such-page", body, content_type, headers)
    assert_error_answer(response, 404, headers, content_type)
    assert not read


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("headers", [JSON, BROWSER])
@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("PUT", "/orders", {"POST", "OPTIONS"}),
        ("POST", "/products", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/staff/products/new", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
def test_a_big_body_with_a_wrong_method_is_a_405_without_reading_it(
    csrf_app, products, kind, headers, method, path, allowed
):
    body, content_type = BODIES[kind]
    response, read = send(csrf_app.test_client(), method, path, body, content_type, headers)
    assert_error_answer(response, 405, headers, content_type)
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    assert not read


# --- over the route's limit: 413 before reading ---------------------------------------------------


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("headers", [JSON, BROWSER])
@pytest.mark.parametrize("path", ["/orders", "/cart/items", "/staff/login"])
def test_a_big_body_to_a_real_route_is_a_413_without_reading_it(app, client, products, kind, headers, path):
    body, content_type = BODIES[kind]
    response, read = send(client, "POST", path, body, content_type, headers)
    assert_error_answer(response, 413, headers, content_type)
    assert not read
    assert count(app, Order) == 0


@pytest.mark.parametrize("kind", BODIES)
def test_only_a_multipart_product_form_gets_the_picture_limit(app, staff_client, products, kind):
    """JSON or a plain form to the product routes carries no picture: it gets the small limit."""
    body, content_type = BODIES[kind]
    response, read = send(staff_client, "POST", "/staff/products/new", body, content_type, JSON)
    assert_error_answer(response, 413, JSON)
    assert not read
    assert count(app, Product) == len(products)


def test_the_body_limit_is_64_kb_by_default_and_a_setting(app, make_app, products):
    """An order padded to 100 KB: over the default limit, within a limit set to 2 MB."""
    order = json.dumps({"items": [{"id": products["Baguette"], "quantity": 1}]}).encode() + b" " * (100 * 1024)
    headers = {"Content-Type": "application/json", **JSON}
    response = app.test_client().post("/orders", data=order, headers=headers)
    assert response.status_code == 413
    assert response.get_json()["error"] == "The request is too large: this address takes at most 64 KB."
    roomier = make_app(MAX_CONTENT_LENGTH=2 * MB).test_client()
    assert roomier.post("/orders", data=order, headers=headers).status_code == 201


def test_the_body_limit_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    from app.config import load_config

    env = {"MAX_CONTENT_LENGTH": "131072", "SECRET_KEY": "x"}
    assert load_config(str(tmp_path), env=env)["MAX_CONTENT_LENGTH"] == 131072


# --- within the limit, the guard stops early -------------------------------------------------------


def test_json_with_too_many_values_is_a_413_and_places_no_order(app, client, products):
    body = json.dumps({"items": [{"id": products["Baguette"], "quantity": 1}], "extra": [[]] * 10_000})
    assert len(body) < 64 * 1024
    response = client.post("/orders", data=body, headers={"Content-Type": "application/json", **JSON})
    assert response.status_code == 413
    assert "too many values" in response.get_json()["error"]
    assert count(app, Order) == 0


def test_a_form_with_too_many_fields_is_a_413(client, products):
    body = f"product_id={products['Baguette']}&quantity=1&".encode() + b"a=&" * 5_000
    assert len(body) < 64 * 1024
    response = client.post(
        "/cart/items", data=body, headers={"Content-Type": "application/x-www-form-urlencoded", **BROWSER}
    )
    assert response.status_code == 413
    assert "too many fields" in soup_of(response).select_one(".error-message").get_text()
    assert client.get("/cart", headers=JSON).get_json()["count"] == 0


# --- what the shop takes still gets in -------------------------------------------------------------


def test_an_order_of_normal_size_is_placed(client, products):
    items = [{"id": product_id, "quantity": 1} for product_id in list(products.values())[:5]]
    response = client.post(
        "/orders",
        data=json.dumps(
            {"items": items, "customer": {"name": "Ada Lovelace", "email": "ada@example.com"}, "note": "n" * 400}
        ),
        headers={"Content-Type": "application/json", **JSON},
    )
    assert response.status_code == 201
    assert post_order(client, [{"id": products["Baguette"], "quantity": 2}]).status_code == 201


def noise_png(size):
    """A PNG of random pixels: it hardly compresses, so its file is about 3 bytes a pixel."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_picture_near_the_picture_limit_is_stored(app, staff_client, products):
    photo = noise_png((1280, 1280))
    assert 4.5 * MB < len(photo) <= MAX_BYTES
    category = staff_client.get("/staff/products/new", headers=BROWSER)
    category_value = soup_of(category).select_one("select[name=category] option[value]:not([value=''])")["value"]
    data = {
        "name": "Spelt Bun",
        "price": "2.40",
        "stock": "12",
        "category": category_value,
        "picture": (io.BytesIO(photo), "photo.png", "image/png"),
    }
    response = staff_client.post("/staff/products/new", data=data, headers=BROWSER)
    assert response.status_code == 303
    assert count(app, Product) == len(products) + 1


# --- on a real server: answered while the body has not even arrived --------------------------------


def first_line_of_answer(base_url, request_head, timeout=15):
    """Send a head promising 1 MB and only a few bytes of it; the status line of the answer (or a timeout)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request_head + b"[[],[],")
        return connection.makefile("rb").readline().decode()


@pytest.mark.slow
def test_a_real_server_answers_before_the_body_arrives(settings, products, tmp_path):
    with serve(settings, tmp_path / "server.log") as base_url:
        for method, path, status in [("POST", "/no-such-page", 404), ("PUT", "/orders", 405), ("POST", "/orders", 413)]:
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                f"Accept: application/json\r\nContent-Length: {MB}\r\nConnection: close\r\n\r\n"
            ).encode()
            assert first_line_of_answer(base_url, head).split()[1] == str(status)
