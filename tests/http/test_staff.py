"""The staff area: logging in, the order board and editing products."""

import hashlib
import json
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from app.bakery_calendar.service import now as bakery_now
from app.extensions import db
from app.models import Order, Product, StaffSession, StaffUser
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, post_order, wait_for_status


@pytest.fixture
def staff(app):
    """A staff user "ana" with the password "secret-bread"."""
    with app.app_context():
        create_staff("ana", "secret-bread")
    return {"username": "ana", "password": "secret-bread"}


@pytest.fixture
def staff_client(client, staff):
    """A test client logged in as staff."""
    response = client.post("/staff/login", data=staff, headers=BROWSER)
    assert response.status_code == 303
    return client


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def place(client, items, **customer):
    """Place an order through the API and wait until the kitchen queue has taken it."""
    response = post_order(client, items)
    assert response.status_code == 201, response.get_json()
    order_id = response.get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    return order_id


def board_of(client, order_id):
    """The board of the order's day (the board shows one day; which one is the default depends on the hour)."""
    day = client.get(f"/orders/{order_id}", headers=JSON).get_json()["pickup_at"][:10]
    return client.get(f"/staff/orders?date={day}", headers=BROWSER)


def set_order(app, order_id, **values):
    with app.app_context():
        db.session.execute(update(Order).where(Order.public_id == order_id).values(**values))
        db.session.commit()


def order_status(app, order_id):
    with app.app_context():
        return db.session.scalar(select(Order.status).where(Order.public_id == order_id))


# Logging in


@pytest.mark.parametrize("path", ["/staff/orders", "/staff/products"])
def test_a_browser_without_login_is_sent_to_the_login_page_with_next(client, path):
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/staff/login" and parse_qs(location.query) == {"next": [path]}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/staff/orders"),
        ("get", "/staff/products"),
        ("post", "/staff/orders/abcdefghijkl/status"),
        ("post", "/staff/products/1"),
    ],
)
def test_json_callers_without_login_get_401(client, method, path):
    response = getattr(client, method)(path, headers=JSON)
    assert response.status_code == 401
    assert response.get_json() == {"error": "Log in as staff first"}


def test_htmx_without_login_gets_401_fragment_and_a_redirect_to_login(client):
    response = client.get("/staff/orders", headers={**HTMX, "HX-Current-URL": "http://localhost/staff/orders"})
    assert response.status_code == 401
    location = urlsplit(response.headers["HX-Redirect"])
    assert location.path == "/staff/login" and parse_qs(location.query) == {"next": ["/staff/orders"]}
    assert soup_of(response).select_one(".form-alert a")["href"].startswith("/staff/login")


def test_login_page_is_a_form_with_username_and_password(client):
    soup = soup_of(client.get("/staff/login", headers=BROWSER))
    form = soup.select_one("form#login-form")
    assert form["method"] == "post"
    assert form.select_one("input[name=username]") and form.select_one("input[name=password][type=password]")


def test_login_with_a_bad_password_shows_an_error_at_422(client, staff):
    response = client.post("/staff/login", data={"username": "ana", "password": "wrong"}, headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert "don't match" in soup.select_one("#login-error").get_text()
    assert soup.select_one("input[name=username]")["value"] == "ana"
    assert client.get("/staff/orders", headers=BROWSER).status_code == 303


def test_login_with_an_unknown_user_says_the_same(client, staff):
    response = client.post("/staff/login", data={"username": "bob", "password": "secret-bread"}, headers=BROWSER)
    assert response.status_code == 422
    assert "don't match" in soup_of(response).select_one("#login-error").get_text()


def test_login_goes_to_next_and_keeps_a_server_side_session_token_in_a_fresh_session(client, staff, app):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = client.post("/staff/login", data={**staff, "next": "/staff/products"}, headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/products"
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["_user_id"]  # Flask-Login's key: the session's token, not the user id
    with app.app_context():
        row = db.session.get(StaffSession, hashlib.sha256(token.encode()).hexdigest())
        assert row.staff_id == db.session.scalar(select(StaffUser.id).where(StaffUser.username == "ana"))


def test_login_never_redirects_off_site(client, staff):
    response = client.post("/staff/login", data={**staff, "next": "//evil.example/"}, headers=BROWSER)
    assert response.headers["Location"] == "/staff/orders"


def test_logout_ends_the_staff_session(staff_client):
    assert staff_client.post("/staff/logout", headers=BROWSER).status_code == 303
    assert staff_client.get("/staff/orders", headers=BROWSER).status_code == 303


def test_the_footer_links_to_the_staff_area(client, products):
    soup = soup_of(client.get("/", headers=BROWSER))
    assert soup.select_one("footer a.footer-staff")["href"] == "/staff/orders"
    assert not soup.select_one("header a.footer-staff")


# The order board


def test_board_lists_an_order_placed_through_the_api(staff_client, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 2}])
    soup = soup_of(board_of(staff_client, order_id))
    card = soup.select_one(f"#column-todo #order-{order_id}")
    code = staff_client.get(f"/orders/{order_id}", headers=JSON).get_json()["code"]
    assert card.select_one(".order-card-code").get_text() == code
    line = card.select_one(".order-card-items li")
    assert (
        f"{line.select_one('.item-qty').get_text(strip=True)} {line.select_one('.item-name').get_text()}"
        == "2 × Baguette"
    )
    assert line.select_one(".allergens").get_text(" ", strip=True) == "Contains: Cereals containing gluten"
    assert card.select_one("button[data-status=Ready]")
    # The board no longer reloads itself; a small badge polls for new orders instead.
    assert not soup.select_one("#board").has_attr("hx-trigger")
    assert soup.select_one("#new-orders")["hx-trigger"] == "every 15s"


def test_board_shows_customer_details_and_escapes_the_note(staff_client, app, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    set_order(
        app,
        order_id,
        customer_name="Mia",
        customer_contact="mia@example.com",
        note="<script>alert(1)</script> no seeds",
    )
    response = board_of(staff_client, order_id)
    card = soup_of(response).select_one(f"#order-{order_id}")
    assert card.select_one(".order-customer-name").get_text() == "Mia"
    assert card.select_one(".order-customer-contact").get_text() == "mia@example.com"
    assert card.select_one(".order-card-note").get_text() == "Note: <script>alert(1)</script> no seeds"
    assert not card.select("script")


def test_moving_an_order_processing_ready_completed(staff_client, app, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    url = f"/staff/orders/{order_id}/status"
    response = staff_client.post(url, data={"status": "Ready"}, headers=BROWSER)
    day = staff_client.get(f"/orders/{order_id}", headers=JSON).get_json()["pickup_at"][:10]
    assert response.status_code == 303 and response.headers["Location"] == f"/staff/orders?date={day}#order-{order_id}"
    assert order_status(app, order_id) == "Ready"

    response = staff_client.post(url, data={"status": "Completed"}, headers=HTMX)
    assert response.status_code == 200
    fragment = soup_of(response)
    assert fragment.select_one("#board") and not fragment.select_one("html")
    assert fragment.select_one(f"#column-done #order-{order_id}")
    assert order_status(app, order_id) == "Completed"


def test_json_callers_get_the_moved_order(staff_client, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    response = staff_client.post(
        f"/staff/orders/{order_id}/status",
        data=json.dumps({"status": "Ready"}),
        headers={**JSON, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "Ready" and response.get_json()["order_id"] == order_id


@pytest.mark.parametrize("headers", [BROWSER, HTMX])
def test_a_skipped_step_is_refused_with_a_message(staff_client, app, products, headers):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    response = staff_client.post(f"/staff/orders/{order_id}/status", data={"status": "Completed"}, headers=headers)
    assert response.status_code == 409
    soup = soup_of(response)
    assert soup.select_one(".board-error").get_text() == "An order that is Processing cannot become Completed"
    assert soup.select_one(f"#order-{order_id}")
    assert order_status(app, order_id) == "Processing"


def test_a_json_body_that_is_not_an_object_is_refused(staff_client, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    response = staff_client.post(f"/staff/orders/{order_id}/status", json=["Ready"], headers=JSON)
    # 400, as for POST /orders (docs/api.md, "Errors"): a body that is not an object is malformed.
    assert response.status_code == 400 and "error" in response.get_json()


def test_an_unknown_order_is_a_404(staff_client):
    response = staff_client.post("/staff/orders/abcdefghijkl/status", data={"status": "Ready"}, headers=JSON)
    assert response.status_code == 404


def test_a_skipped_step_is_a_409_for_json(staff_client, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    response = staff_client.post(f"/staff/orders/{order_id}/status", json={"status": "Completed"}, headers=JSON)
    assert response.status_code == 409 and "cannot become Completed" in response.get_json()["error"]


@pytest.mark.parametrize("status", ["Eaten", "Failed", ""])
def test_an_unknown_or_worker_only_status_is_refused(staff_client, app, products, status):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    response = staff_client.post(f"/staff/orders/{order_id}/status", data={"status": status}, headers=BROWSER)
    assert response.status_code == 422
    assert "Choose what the order should become" in soup_of(response).select_one(".board-error").get_text()
    assert order_status(app, order_id) == "Processing"


def test_cancelling_gives_the_stock_back(staff_client, app, products, stock_of):
    before = stock_of(products["Baguette"])
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 3}])
    assert stock_of(products["Baguette"]) == before - 3
    soup = soup_of(board_of(staff_client, order_id))
    cancel = soup.select_one(f"#order-{order_id} form:has(button[data-status=Cancelled])")
    assert "Cancel order" in cancel["hx-confirm"]
    response = staff_client.post(
        cancel["action"], data={f["name"]: f["value"] for f in cancel.select("input")}, headers=BROWSER
    )
    assert response.status_code == 303
    assert order_status(app, order_id) == "Cancelled"
    assert stock_of(products["Baguette"]) == before


def test_to_bake_sums_open_orders_for_pickup_today(staff_client, app, products):
    with app.app_context():
        today = bakery_now().date()
    noon = datetime.combine(today, time(12, 0))
    baguette, croissant = products["Baguette"], products["Butter Croissant"]
    first = place(staff_client, [{"id": baguette, "quantity": 2}, {"id": croissant, "quantity": 1}])
    second = place(staff_client, [{"id": baguette, "quantity": 3}])
    tomorrow = place(staff_client, [{"id": baguette, "quantity": 7}])
    cancelled = place(staff_client, [{"id": croissant, "quantity": 5}])
    for order_id in (first, second, cancelled):
        set_order(app, order_id, pickup_at=noon)
    set_order(app, tomorrow, pickup_at=noon + timedelta(days=1))
    staff_client.post(f"/staff/orders/{second}/status", data={"status": "Ready"}, headers=BROWSER)
    staff_client.post(f"/staff/orders/{cancelled}/status", data={"status": "Cancelled"}, headers=BROWSER)

    soup = soup_of(staff_client.get(f"/staff/orders?date={today}", headers=BROWSER))
    summary = {
        li.select_one(".to-bake-name").get_text(): int(li.select_one(".to-bake-qty").get_text())
        for li in soup.select(".to-bake-list li")
    }
    assert summary == {"Baguette": 5, "Butter Croissant": 1}
    assert soup.select_one(f"#order-{first} .order-card-pickup time").get_text() == "Today 12:00"
    assert not soup.select_one(f"#order-{tomorrow}")
    soup = soup_of(staff_client.get(f"/staff/orders?date={today + timedelta(days=1)}", headers=BROWSER))
    assert soup.select_one(f"#order-{tomorrow} .order-card-pickup time").get_text() == "Tomorrow 12:00"
    assert [li.get_text(" ", strip=True) for li in soup.select(".to-bake-list li")] == ["7 Baguette"]


# Products


def test_products_page_lists_every_product_on_sale_or_not(staff_client, add_product):
    on_sale = add_product(name="Rye Loaf", price="4.20", stock=3)
    retired = add_product(name="Old Bun", active=False)
    soup = soup_of(staff_client.get("/staff/products", headers=BROWSER))
    assert soup.select_one(f"#product-{on_sale} input[name=price]")["value"] == "4.20"
    assert soup.select_one(f"#product-{on_sale} input[name=stock]")["value"] == "3"
    assert soup.select_one(f"#product-{on_sale} input[type=checkbox]").has_attr("checked")
    assert not soup.select_one(f"#product-{retired} input[type=checkbox]").has_attr("checked")


def test_a_product_edit_shows_in_the_catalogue_json_at_once(staff_client, add_product):
    product_id = add_product(name="Rye Loaf", price="4.20", stock=3)
    assert _catalogue(staff_client)[product_id]["price"] == 4.2  # now cached
    response = staff_client.post(
        f"/staff/products/{product_id}",
        headers=HTMX,
        data={"price": "4.50", "stock": "0", "active": ["0", "1"], "version": "1"},
    )
    assert response.status_code == 200
    row = soup_of(response).select_one(f"tr#product-{product_id}")
    assert row.select_one("input[name=price]")["value"] == "4.50" and row.select_one(".saved")
    listed = _catalogue(staff_client)[product_id]
    assert listed["price"] == 4.5 and listed["available"] == 0

    staff_client.post(
        f"/staff/products/{product_id}",
        data={"price": "4.50", "stock": "9", "active": "0", "version": "2"},
        headers=BROWSER,
    )
    assert product_id not in _catalogue(staff_client)


def _catalogue(client):
    response = client.get("/products", headers=JSON)
    assert response.status_code == 200
    return {p["id"]: p for p in response.get_json()}


@pytest.mark.parametrize(
    "field, value",
    [
        ("price", "-1"),
        ("price", "3.505"),
        ("price", "abc"),
        ("price", ""),
        ("stock", "-2"),
        ("stock", "1.5"),
        ("stock", "many"),
    ],
)
def test_an_invalid_price_or_stock_is_refused_at_the_field_without_change(staff_client, app, add_product, field, value):
    product_id = add_product(name="Rye Loaf", price="4.20", stock=3)
    data = {"price": "4.20", "stock": "3", "active": ["0", "1"], field: value}
    response = staff_client.post(f"/staff/products/{product_id}", data=data, headers=HTMX)
    assert response.status_code == 422
    row = soup_of(response).select_one(f"tr#product-{product_id}")
    assert row.select_one(f"#{field}-error-{product_id}").get_text()
    assert row.select_one(f"input[name={field}]")["value"] == value
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (str(product.price), product.stock) == ("4.20", 3)


def test_an_invalid_edit_from_a_browser_re_renders_the_page_at_422(staff_client, add_product):
    product_id = add_product(name="Rye Loaf", price="4.20", stock=3)
    response = staff_client.post(f"/staff/products/{product_id}", data={"price": "x", "stock": "3"}, headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert soup.select_one("h1").get_text() == "Products"
    assert soup.select_one(f"#product-{product_id}.has-problem #price-error-{product_id}")


# The create-staff command


def test_create_staff_command_adds_a_user_who_can_log_in(runner, client):
    result = runner.invoke(args=["create-staff", "Ana", "--password", "secret-bread"])
    assert result.exit_code == 0, result.output
    assert "Staff user ana (owner) created" in result.output
    response = client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}, headers=BROWSER)
    assert response.status_code == 303


def test_create_staff_command_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(args=["create-staff", "ben"], input="crusty-rye-loaf\ncrusty-rye-loaf\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "ben"))


def test_create_staff_command_refuses_a_duplicate(runner, staff):
    result = runner.invoke(args=["create-staff", "ana", "--password", "another-one-please"])
    assert result.exit_code == 1
    assert "already a staff user called ana" in result.output


# CSRF, as in production


@pytest.fixture
def csrf_client(make_app, staff):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _form_data(form):
    return {field["name"]: field.get("value", "") for field in form.select("input[name]")}


def test_login_without_the_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_staff("ana", "secret-bread")
    client = app.test_client()
    response = client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}, headers=BROWSER)
    assert response.status_code == 400
    form = soup_of(client.get("/staff/login", headers=BROWSER)).select_one("#login-form")
    data = {**_form_data(form), "username": "ana", "password": "secret-bread"}
    assert client.post("/staff/login", data=data, headers=BROWSER).status_code == 303

    order_id = place(client, [{"id": _a_product(app), "quantity": 1}])
    response = client.post(f"/staff/orders/{order_id}/status", data={"status": "Ready"}, headers=BROWSER)
    assert response.status_code == 400
    board = soup_of(client.get("/staff/orders", headers=BROWSER))
    ready = board.select_one(f"#order-{order_id} form:has(button[data-status=Ready])")
    assert client.post(ready["action"], data=_form_data(ready), headers=BROWSER).status_code == 303
    assert order_status(app, order_id) == "Ready"


def _a_product(app):
    with app.app_context():
        product = Product(name="Test Bun", price="1.50", stock=10, image="/static/products/baguette.svg")
        db.session.add(product)
        db.session.commit()
        return product.id
