"""Input that cannot crash: NUL bytes, deep JSON, chunked bodies over the limit, odd integers,
unsupported methods and a checkout token from another session: each a clear 4xx, never a 500."""

import io
import json

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import MAX_ID, Order, Product
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, post_order

NUL = "The request contains a NUL character"
UNICODE_DIGITS = ["²", "①", "٣", "３", "1_0", "٣٣"]
HUGE = [str(2**63), str(2**64), "9" * 40]


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def checkout_data(client, product_id, **fields):
    """Add one product to the cart, open the checkout and fill it in as a browser would."""
    client.post("/cart/items", data={"product_id": product_id, "quantity": 1}, headers=BROWSER)
    form = soup_of(client.get("/checkout", headers=BROWSER)).select_one("#checkout-form")
    data = {
        field["name"]: field.get("value", "")
        for field in form.select("input[name]:not([disabled])")
        if field.get("type") != "radio" or field.has_attr("checked")
    }
    data |= {select["name"]: select.select_one("option[selected]")["value"] for select in form.select("select[name]")}
    return data | {"name": "Ada", "contact": "ada@example.com", "note": ""} | fields


def chunked(client, path, body, headers, content_type="application/json"):
    """POST `body` as a server hands the app a chunked request: no Content-Length, the stream de-chunked."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked", **headers},
        environ_overrides={"wsgi.input_terminated": True},
    )


# --- NUL characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, query",
    [
        ("/products", {"free_from": "milk\x00"}),
        ("/products", {"free\x00from": "milk"}),
        ("/pickup-slots", {"date": "2026-12-01\x00"}),
        ("/staff/login", {"next": "/staff/orders\x00"}),
        ("/staff/orders/search", {"q": "a\x00b"}),
        ("/staff/bake-list", {"date": "2026-11-26\x00"}),
        ("/staff/reports", {"from": "2026-11-01\x00"}),
    ],
)
@pytest.mark.parametrize("headers", [JSON, BROWSER])
def test_a_nul_in_the_query_string_is_a_400(staff_client, products, path, query, headers):
    response = staff_client.get(path, query_string=query, headers=headers)
    assert response.status_code == 400
    if headers is JSON:
        assert response.get_json()["error"].startswith(NUL)
    else:
        assert NUL in soup_of(response).select_one(".error-page .error-message").get_text()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/orders/abcdefgh%00ijk"),
        ("GET", "/products/1%00"),
        ("GET", "/uploads/products/%00.webp"),
        ("POST", "/staff/calendar/special/2030-01-02%00/delete"),
        ("POST", "/staff/calendar/overrides/2030-01-02%00/delete"),
    ],
)
def test_a_nul_in_the_path_names_no_page(staff_client, products, method, path):
    response = staff_client.open(path, method=method, headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"]


@pytest.mark.parametrize("field", ["name", "contact", "note", "order_token", "pickup_time"])
@pytest.mark.parametrize("headers", [BROWSER, HTMX])
def test_a_nul_in_a_checkout_field_is_a_400_and_places_no_order(app, client, products, field, headers):
    data = checkout_data(client, products["Baguette"])
    data[field] = (data[field] or "abcdefghijklmnopq") + "\x00"
    response = client.post("/orders", data=data, headers=headers)
    assert response.status_code == 400
    assert NUL in soup_of(response).select_one(".error-message").get_text()
    assert count(app, Order) == 0
    assert client.get("/cart", headers=JSON).get_json()["count"] == 1  # the cart is kept for the next try


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"id": 1, "quantity": 1}], "customer": {"name": "Ada\x00"}},
        {"items": [{"id": 1, "quantity": 1}], "customer": {"name": "Ada", "email": "a\x00@example.com"}},
        {"items": [{"id": 1, "quantity": 1}], "note": "ring\x00"},
        {"items": [{"id": 1, "quantity": 1}], "pickup_at": "2030-01-02T10:00\x00"},
        {"items": [{"id": 1, "quantity": 1, "note\x00": "x"}]},
        {"items\x00": []},
    ],
)
def test_a_nul_in_a_json_string_or_key_is_a_400_and_places_no_order(app, client, products, body):
    response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(NUL)
    assert count(app, Order) == 0


def test_half_a_surrogate_pair_in_json_is_a_400(app, client, products):
    body = '{"items": [{"id": 1, "quantity": 1}], "customer": {"name": "Ada \\ud800"}}'
    response = client.post("/orders", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "not valid Unicode" in response.get_json()["error"]
    assert count(app, Order) == 0


@pytest.mark.parametrize("headers", [BROWSER, JSON])
def test_a_nul_in_a_staff_form_field_is_a_400_and_changes_nothing(app, staff_client, products, headers):
    baguette = products["Baguette"]
    for path, data in [
        ("/staff/products/new", {"name": "Bun\x00", "price": "1.00", "stock": "3"}),
        (f"/staff/products/{baguette}", {"stock": "3\x00"}),
        (f"/staff/products/{baguette}/edit", {"description": "Soft\x00"}),
        ("/staff/categories", {"name": "Bad\x00name"}),
        ("/staff/calendar/capacity", {"capacity": "8\x00"}),
    ]:
        response = staff_client.post(path, data=data, headers=headers)
        assert response.status_code == 400, path
    assert count(app, Product) == len(products)
    assert staff_client.get(f"/products/{baguette}", headers=JSON).get_json()["available"]


def test_a_nul_in_an_uploaded_file_name_is_a_400(app, staff_client, products):
    data = {"name": "Spelt Bun", "price": "2.40", "stock": "3", "picture": (io.BytesIO(b"x"), "bun\x00.png")}
    response = staff_client.post("/staff/products/new", data=data, headers=BROWSER)
    assert response.status_code == 400
    assert count(app, Product) == len(products)


# --- staff login ----------------------------------------------------------------------------


@pytest.fixture
def ana(app):
    with app.app_context():
        create_staff("ana", "secret-bread")


@pytest.mark.parametrize("username", ["ana\x00", "\x00"])
@pytest.mark.parametrize("headers", [BROWSER, HTMX, JSON])
def test_a_login_with_a_nul_in_the_username_is_a_readable_400(client, ana, username, headers):
    response = client.post("/staff/login", data={"username": username, "password": "secret-bread"}, headers=headers)
    assert response.status_code == 400
    if headers is JSON:
        assert response.get_json()["error"].startswith(NUL)
    else:
        assert NUL in soup_of(response).select_one(".error-message").get_text()
    assert client.get("/staff/orders", headers=JSON).status_code == 401


@pytest.mark.parametrize("username", ["a" * 10_000, "ana" + " " * 10_000, "ana\t", "ana\u2028", "ä" * 81])
def test_a_login_with_an_absurd_username_is_the_form_again_with_the_message(client, ana, username):
    response = client.post("/staff/login", data={"username": username, "password": "secret-bread"}, headers=BROWSER)
    assert response.status_code == 422 or (response.status_code == 303 and username.strip() == "ana")
    if response.status_code == 422:
        soup = soup_of(response)
        assert "don't match" in soup.select_one("#login-error").get_text()
        assert len(soup.select_one("input[name=username]")["value"]) <= 80
    json_answer = client.post("/staff/login", json={"username": username, "password": "x"}, headers=JSON)
    assert json_answer.status_code in (415, 422)


def test_a_login_with_a_10000_character_username_answers_json(client, ana):
    response = client.post("/staff/login", data={"username": "a" * 10_000, "password": "secret-bread"}, headers=JSON)
    assert response.status_code == 422
    assert "don't match" in response.get_json()["error"]


# --- deep JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 100, 1_000, 30_000])  # 30,000 levels: 60 KB, within the body limit
@pytest.mark.parametrize("path", ["/orders", "/staff/products/new", "/staff/accounts"])
def test_json_nested_too_deeply_is_a_400(app, staff_client, products, depth, path):
    body = '{"items": ' + "[" * depth + "]" * depth + "}"
    response = staff_client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["error"]
    assert count(app, Order) == 0


def test_json_nested_within_the_limit_is_read_as_usual(client, products):
    body = {"items": [{"id": products["Baguette"], "quantity": 1}], "customer": {"name": "Ada"}}
    nested = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]  # 29 lists: 31 levels with the object and key
    assert post_order(client, body["items"]).status_code == 201
    response = client.post(
        "/orders", data=json.dumps({**body, "extra": {"x": nested}}), headers={"Content-Type": "application/json"}
    )
    # Read and parsed: the view sees the body, and names the member no order takes.
    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["extra"]


# --- bodies over the limit, chunked or not ----------------------------------------------------

LIMIT = 64 * 1024  # MAX_CONTENT_LENGTH's default
MB = 1024 * 1024


def test_a_chunked_json_body_over_the_limit_is_a_413(app, client, products):
    response = chunked(client, "/orders", b" " * LIMIT + b"{}", JSON)
    assert response.status_code == 413
    assert response.get_json()["error"]
    assert count(app, Order) == 0


def test_a_chunked_json_body_within_the_limit_is_an_order(client, products):
    body = json.dumps({"items": [{"id": products["Baguette"], "quantity": 1}]}).encode()
    response = chunked(client, "/orders", body + b" " * (LIMIT - len(body)), JSON)
    assert response.status_code == 201
    assert response.get_json()["status"] == "Pending"


def test_a_chunked_form_over_the_limit_is_a_413(client, products):
    body = f"product_id={products['Baguette']}&quantity=1&next=".encode() + b"x" * LIMIT
    response = chunked(client, "/cart/items", body, BROWSER, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert client.get("/cart", headers=JSON).get_json()["count"] == 0


def test_a_chunked_form_within_the_limit_is_read(client, products):
    body = f"product_id={products['Baguette']}&quantity=2".encode()
    response = chunked(client, "/cart/items", body, JSON, "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.get_json()["count"] == 2


def test_a_body_over_the_limit_with_content_length_is_a_413(client, products):
    response = client.post("/orders", data=b"{" + b" " * LIMIT + b"}", headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_the_product_form_keeps_its_larger_limit_chunked_too(app, staff_client, products):
    """Pictures may be up to 5 MB: a 2 MB chunked product form reaches the form's checks."""
    boundary = "bakery-boundary"
    parts = [("name", "Spelt Bun"), ("price", "2.40"), ("stock", "3"), ("description", "d" * 10)]
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts)
    picture = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="picture"; filename="bun.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    )
    payload = body.encode() + picture.encode() + b"\x00" * (2 * MB) + f"\r\n--{boundary}--\r\n".encode()
    response = chunked(
        staff_client, "/staff/products/new", payload, BROWSER, f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 422  # not a 413: the picture is refused at its field
    assert soup_of(response).select_one("#picture-error")
    too_big = payload + b"x" * (8 * MB)
    response = chunked(
        staff_client, "/staff/products/new", too_big, BROWSER, f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert count(app, Product) == len(products)


# --- integers: huge, negative, unicode digits -------------------------------------------------


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
@pytest.mark.parametrize("path", ["/products/{}", "/staff/products/{}/edit", "/orders/{}"])
def test_unicode_digits_in_a_path_id_are_a_404(staff_client, products, digits, path):
    response = staff_client.get(path.format(digits), headers=JSON)
    assert response.status_code == 404


@pytest.mark.parametrize("digits", ["٣", "３", "٣٣"])
@pytest.mark.parametrize("path", ["/cart/items/{}", "/cart/items/{}/delete", "/staff/products/{}"])
def test_unicode_digits_in_a_posted_path_id_are_a_404(staff_client, products, digits, path):
    staff_client.post("/cart/items", data={"product_id": 3, "quantity": 1}, headers=JSON)
    response = staff_client.post(path.format(digits), data={"quantity": "2", "stock": "4"}, headers=JSON)
    assert response.status_code == 404
    assert staff_client.get("/cart", headers=JSON).get_json()["count"] == 1


@pytest.mark.parametrize("value", UNICODE_DIGITS + HUGE + ["-1", "1.0", "1e3", " ", "+2"])
def test_cart_product_id_and_quantity_take_plain_digits_only(client, products, value):
    response = client.post("/cart/items", data={"product_id": value, "quantity": "1"}, headers=JSON)
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]
    response = client.post("/cart/items", data={"product_id": products["Baguette"], "quantity": value}, headers=JSON)
    assert response.status_code == 422
    assert "quantity" in response.get_json()["details"]
    assert client.get("/cart", headers=JSON).get_json()["count"] == 0


@pytest.mark.parametrize("value", UNICODE_DIGITS + HUGE + ["-1", "0"])
def test_changing_a_cart_quantity_takes_plain_digits_only(client, products, value):
    baguette = products["Baguette"]
    client.post("/cart/items", data={"product_id": baguette, "quantity": "2"}, headers=JSON)
    response = client.post(f"/cart/items/{baguette}", data={"quantity": value}, headers=JSON)
    assert response.status_code == 422
    assert client.get("/cart", headers=JSON).get_json()["count"] == 2


@pytest.mark.parametrize("value", [2**63, 2**64, -(2**63) - 1, 10**30])
@pytest.mark.parametrize("field", ["id", "quantity"])
def test_order_items_with_integers_beyond_64_bits_are_a_422(app, client, products, value, field):
    item = {"id": products["Baguette"], "quantity": 1} | {field: value}
    response = post_order(client, [item])
    assert response.status_code == 422
    assert f"items[0].{field}" in response.get_json()["details"]
    assert count(app, Order) == 0


@pytest.mark.parametrize("value", ["٣", "３", "3", 3.5, 1e300, "1e2"])
def test_order_quantities_must_be_json_integers(client, products, value):
    response = post_order(client, [{"id": products["Baguette"], "quantity": value}])
    assert response.status_code == 422


@pytest.mark.parametrize("value", UNICODE_DIGITS + HUGE + ["-1"])
@pytest.mark.parametrize("field", ["stock", "amount_0", "amount_6", "lead_hours", "lead_days"])
def test_staff_product_form_numbers_take_plain_digits_only(app, staff_client, products, field, value):
    data = {"name": "Spelt Bun", "price": "2.40", "stock": "3", "kind": "baked", field: value}
    response = staff_client.post("/staff/products/new", data=data, headers=JSON)
    assert response.status_code == 422
    assert field in response.get_json()["details"]
    assert count(app, Product) == len(products)


@pytest.mark.parametrize("price", ["٣.٥٠", "３.50", "²", "9" * 30, "1e3", "3.50\n1"])
def test_staff_prices_take_plain_digits_only(app, staff_client, products, price):
    baguette = products["Baguette"]
    response = staff_client.post(f"/staff/products/{baguette}", data={"price": price}, headers=JSON)
    assert response.status_code == 422
    assert "price" in response.get_json()["details"]
    response = staff_client.post(
        "/staff/products/new", data={"name": "Bun", "price": price, "stock": "1"}, headers=JSON
    )
    assert response.status_code == 422
    assert "price" in response.get_json()["details"]


@pytest.mark.parametrize("value", UNICODE_DIGITS + HUGE + ["-1"])
def test_staff_slot_capacities_take_plain_digits_only(staff_client, value):
    response = staff_client.post("/staff/calendar/capacity", data={"capacity": value}, headers=JSON)
    assert response.status_code == 422
    assert "capacity" in response.get_json()["details"]
    response = staff_client.post(
        "/staff/calendar/overrides", data={"day": "2030-01-02", "capacity": value}, headers=JSON
    )
    assert response.status_code == 422


@pytest.mark.parametrize("page", UNICODE_DIGITS + HUGE + ["-1", "0"])
def test_the_order_search_page_number_takes_plain_digits_only(staff_client, page):
    response = staff_client.get("/staff/orders/search", query_string={"page": page}, headers=JSON)
    assert response.status_code == 422
    assert "page" in response.get_json()["details"]


@pytest.mark.parametrize("staff_id", [MAX_ID + 1, 2**63, 2**64])
def test_staff_account_ids_beyond_the_id_range_are_a_404(staff_client, staff_id):
    response = staff_client.post(f"/staff/accounts/{staff_id}/active", json={"active": "0"})
    assert response.status_code == 404


# --- methods a route does not take --------------------------------------------------------------


@pytest.fixture
def csrf_client(make_app):
    """A client of an app that checks CSRF tokens, as production does."""
    app = make_app(WTF_CSRF_ENABLED=True)
    return app.test_client()


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path, allowed",
    [
        ("/products", {"GET", "HEAD", "OPTIONS"}),
        ("/cart", {"GET", "HEAD", "OPTIONS"}),
        ("/orders", {"POST", "OPTIONS"}),
        ("/staff/login", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/cart/items/1", {"POST", "OPTIONS"}),
    ],
)
@pytest.mark.parametrize("headers", [JSON, BROWSER])
def test_an_unsupported_method_is_a_405_with_allow_even_with_csrf_on(csrf_client, method, path, allowed, headers):
    response = csrf_client.open(path, method=method, data={"x": "1"}, headers=headers)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    if headers is JSON:
        assert response.get_json()["error"]
    else:
        assert soup_of(response).select_one(".error-page .error-message")


def test_get_on_a_post_only_route_is_a_405_with_allow(client):
    response = client.get("/orders", headers=JSON)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"POST", "OPTIONS"}


def test_a_form_post_to_an_unknown_url_is_a_404_even_with_csrf_on(csrf_client):
    assert csrf_client.post("/no-such-page", data={"x": "1"}, headers=BROWSER).status_code == 404


def test_a_form_post_to_a_real_route_still_needs_the_token(csrf_client, products):
    response = csrf_client.post("/cart/items", data={"product_id": "1", "quantity": "1"}, headers=BROWSER)
    assert response.status_code == 400
    assert "reload the page" in soup_of(response).select_one(".error-message").get_text()


# --- the checkout token belongs to the session that got the form ---------------------------------


def test_a_checkout_token_from_another_session_does_not_lead_to_that_order(app, products):
    ada, mallory = app.test_client(), app.test_client()
    data = checkout_data(ada, products["Baguette"], name="Ada Lovelace", note="ring twice")
    placed = ada.post("/orders", data=data, headers=BROWSER)
    assert placed.status_code == 303
    order_page = placed.headers["Location"]

    # Ada's token, posted from another browser (with an empty cart, or a cart of its own).
    stolen = data | {"name": "Mallory", "contact": "m@example.com", "note": ""}
    for headers in (BROWSER, HTMX):
        replayed = mallory.post("/orders", data=stolen, headers=headers)
        assert replayed.status_code == 422
        assert order_page not in (replayed.headers.get("Location"), replayed.headers.get("HX-Redirect"))
        assert "Ada Lovelace" not in replayed.get_data(as_text=True) and "ring twice" not in replayed.get_data(
            as_text=True
        )
        assert "empty" in soup_of(replayed).select_one("#checkout-form .form-alert").get_text()
    mallory.post("/cart/items", data={"product_id": products["Butter Croissant"], "quantity": 1}, headers=BROWSER)
    own = mallory.post("/orders", data=stolen, headers=BROWSER)
    assert own.status_code == 303 and own.headers["Location"] != order_page
    assert count(app, Order) == 2

    # Ada's own double click still finds her order.
    again = ada.post("/orders", data=data, headers=BROWSER)
    assert again.status_code == 303 and again.headers["Location"] == order_page
    assert count(app, Order) == 2
