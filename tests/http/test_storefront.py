"""The storefront pages and their htmx fragments: catalogue, cart, checkout, order page, errors."""

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, Product
from app.orders.service import change_status
from tests.helpers import BROWSER, HTMX, JSON, post_order, wait_for_status

# A Wednesday morning in the shop's time zone: the default hours are Mon–Fri 07:00–18:30, Sat 08:00–14:00.
NOW = datetime(2026, 11, 25, 10, 0)


def html(response):
    return BeautifulSoup(response.data, "html.parser")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


def add(client, product_id, quantity=1, headers=BROWSER, next_url="/"):
    return client.post(
        "/cart/items", data={"product_id": product_id, "quantity": quantity, "next": next_url}, headers=headers
    )


def badge_count(soup):
    return soup.select_one("#cart-badge .cart-count").get_text(strip=True)


def count_orders(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def set_stock(app, product_id, stock):
    with app.app_context():
        db.session.get(Product, product_id).stock = stock
        db.session.commit()


# --- catalogue ---------------------------------------------------------------------------


def test_catalogue_card_has_picture_name_description_price_and_add_form(client, products):
    soup = html(client.get("/", headers=BROWSER))
    card = soup.select_one(f"#product-{products['Butter Croissant']}")
    assert card.select_one("img")["alt"] == "Butter Croissant"
    assert card.select_one(".product-name").get_text(strip=True) == "Butter Croissant"
    assert "French butter" in card.select_one(".product-description").get_text()
    assert card.select_one(".product-price").get_text(strip=True) == "€2.80"
    form = card.select_one("form.add-to-cart")
    assert form["method"] == "post" and form["action"] == "/cart/items" and form["hx-post"] == "/cart/items"
    quantity = form.select_one("input[name=quantity]")
    assert form.select_one(f"label[for={quantity['id']}]")
    assert form.select_one("input[name=product_id]")["value"] == str(products["Butter Croissant"])


def test_low_stock_says_how_many_are_left(client, products):
    soup = html(client.get("/products", headers=BROWSER))
    card = soup.select_one(f"#product-{products['Lemon Tart']}")
    assert card.select_one(".low-stock").get_text(strip=True) == "Only 3 left"
    assert card.select_one("input[name=quantity]")["max"] == "3"


def test_sold_out_product_is_shown_but_cannot_be_ordered(client, add_product):
    product_id = add_product(name="Stollen", stock=0)
    soup = html(client.get("/", headers=BROWSER))
    card = soup.select_one(f"#product-{product_id}")
    assert card.select_one(".sold-out").get_text(strip=True) == "Sold out"
    assert card.select_one("form") is None


def test_product_page_has_the_add_form(client, products):
    soup = html(client.get(f"/products/{products['Baguette']}", headers=BROWSER))
    form = soup.select_one(".product-detail form.add-to-cart")
    # No day chosen: the form comes back to the page as it is, and the cart keeps its own day.
    assert form.select_one("input[name=next]")["value"] == f"/products/{products['Baguette']}"
    assert form.select_one("input[name=day]") is None
    assert form.select_one("button[type=submit]").get_text(strip=True) == "Add to cart"
    chosen = html(client.get(f"/products/{products['Baguette']}?day=2026-11-27", headers=BROWSER))
    form = chosen.select_one(".product-detail form.add-to-cart")
    assert form.select_one("input[name=next]")["value"] == f"/products/{products['Baguette']}?day=2026-11-27"
    assert form.select_one("input[name=day]")["value"] == "2026-11-27"


def test_layout_has_header_badge_footer_hours_and_csrf_header(client, products):
    soup = html(client.get("/", headers=BROWSER))
    assert soup.select_one("header .brand").get_text(strip=True) == "Crumb & Co. Bakery"
    assert badge_count(soup) == "0"
    hours = {
        dt.get_text(): dd.get_text() for dt, dd in zip(soup.select(".hours dt"), soup.select(".hours dd"), strict=True)
    }
    assert hours == {"Mon–Fri": "07:00–18:30", "Sat": "08:00–14:00", "Sun": "closed"}
    assert "Mill Lane" in soup.select_one("footer address").get_text()
    assert "X-CSRFToken" in soup.body["hx-headers"]
    assert soup.select_one("script[src$='htmx.min.js']")


# --- cart --------------------------------------------------------------------------------


def test_adding_without_javascript_redirects_back_to_the_card_with_a_message(client, products):
    croissant = products["Butter Croissant"]
    response = add(client, croissant, 2, next_url=f"/#product-{croissant}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/#product-{croissant}"
    soup = html(client.get("/", headers=BROWSER))
    assert badge_count(soup) == "2"
    assert "Added Butter Croissant" in soup.select_one(f"#product-{croissant} .added").get_text()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_adding_never_redirects_to_another_site(client, products, next_url):
    response = add(client, products["Baguette"], next_url=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_adding_with_htmx_returns_the_form_and_an_out_of_band_badge(client, products):
    add(client, products["Baguette"], 1)
    response = add(client, products["Butter Croissant"], 2, headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    fragment = html(response)
    assert fragment.select_one("html") is None
    assert "Added Butter Croissant" in fragment.select_one("form.add-to-cart .added").get_text()
    badge = fragment.select_one("#cart-badge")
    assert badge["hx-swap-oob"] == "true"
    assert badge_count(fragment) == "3"


def test_adding_more_than_in_stock_shows_the_message_at_the_form(client, products):
    tart = products["Lemon Tart"]
    response = add(client, tart, 4, headers=HTMX)
    assert response.status_code == 422
    fragment = html(response)
    quantity = fragment.select_one(f"#qty-{tart}")
    assert quantity["aria-invalid"] == "true"
    assert fragment.select_one(f"#qty-{tart}-error").get_text(strip=True) == "Only 3 left."
    assert badge_count(fragment) == "0"


def test_adding_counts_what_is_already_in_the_cart(client, products):
    tart = products["Lemon Tart"]
    add(client, tart, 2)
    soup = html(add(client, tart, 2))
    assert "Only 3 left and 2 are already in your cart" in soup.select_one(f"#qty-{tart}-error").get_text()


@pytest.mark.parametrize(
    "quantity,message",
    [
        ("two", "Enter a whole number"),
        ("0", "positive whole number"),
        ("-3", "positive whole number"),
        ("51", "at most 50"),
        ("1.5", "Enter a whole number"),
    ],
)
def test_adding_a_bad_quantity_is_refused_like_the_api(client, products, quantity, message):
    croissant = products["Butter Croissant"]
    response = add(client, croissant, quantity)
    assert response.status_code == 422
    soup = html(response)  # the product page again, with the message at its form
    assert message in soup.select_one(f"#qty-{croissant}-error").get_text()
    assert badge_count(soup) == "0"


def test_adding_an_unknown_product_is_a_404_page(client, products):
    response = add(client, 99999)
    assert response.status_code == 404
    assert html(response).select_one(".error-page h1")


def test_cart_page_lists_lines_with_totals(client, products):
    add(client, products["Butter Croissant"], 2)
    add(client, products["Baguette"], 1)
    soup = html(client.get("/cart", headers=BROWSER))
    lines = soup.select("#cart .cart-line")
    assert [line.select_one(".line-name").get_text(strip=True) for line in lines] == ["Butter Croissant", "Baguette"]
    assert [line.select_one(".line-total").get_text(strip=True) for line in lines] == ["€5.60", "€2.90"]
    assert soup.select_one(".cart-total strong").get_text(strip=True) == "€8.50"
    assert soup.select_one("a.checkout-link")["href"] == "/checkout"
    assert soup.select_one("#cart-badge[hx-swap-oob]") is None  # the page has one badge, in the header


def test_cart_as_json(client, products):
    add(client, products["Butter Croissant"], 2)
    body = client.get("/cart", headers=JSON).get_json()
    assert body["count"] == 2 and body["total"] == 5.60
    assert body["items"][0]["name"] == "Butter Croissant"


def test_empty_cart_points_back_to_the_shop(client):
    soup = html(client.get("/cart", headers=BROWSER))
    assert soup.select_one("#cart .empty a")["href"] == "/"
    assert soup.select_one("a.checkout-link") is None


def test_changing_a_quantity_with_htmx_swaps_the_cart_and_the_badge(client, products):
    croissant = products["Butter Croissant"]
    add(client, croissant, 1)
    response = client.post(f"/cart/items/{croissant}", data={"quantity": "3"}, headers=HTMX)
    assert response.status_code == 200
    fragment = html(response)
    assert fragment.select_one("html") is None
    assert fragment.select_one(f"#line-{croissant} .line-total").get_text(strip=True) == "€8.40"
    assert fragment.select_one("#cart")["hx-target"] == "this"
    assert badge_count(fragment) == "3"


def test_changing_a_quantity_without_javascript_redirects_to_the_cart(client, products):
    croissant = products["Butter Croissant"]
    add(client, croissant, 1)
    response = client.post(f"/cart/items/{croissant}", data={"quantity": "4"}, headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert badge_count(html(client.get("/cart", headers=BROWSER))) == "4"


def test_a_bad_quantity_shows_its_message_next_to_its_line(client, products):
    croissant, baguette = products["Butter Croissant"], products["Baguette"]
    add(client, croissant, 1)
    add(client, baguette, 1)
    response = client.post(f"/cart/items/{baguette}", data={"quantity": "99"}, headers=BROWSER)
    assert response.status_code == 422
    soup = html(response)
    error = soup.select_one(f"#line-{baguette} .line-error")
    assert "at most 50" in error.get_text() and "still has 1" in error.get_text()
    assert soup.select_one(f"#line-{baguette} input[name=quantity]")["value"] == "99"
    assert soup.select_one(f"#line-{croissant} .line-error") is None
    assert badge_count(soup) == "2"


def test_removing_a_line(client, products):
    croissant, baguette = products["Butter Croissant"], products["Baguette"]
    add(client, croissant, 2)
    add(client, baguette, 1)
    fragment = html(client.post(f"/cart/items/{baguette}/delete", headers=HTMX))
    assert [line["data-product-id"] for line in fragment.select(".cart-line")] == [str(croissant)]
    assert badge_count(fragment) == "2"
    response = client.post(f"/cart/items/{croissant}/delete", headers=BROWSER)
    assert response.status_code == 303
    assert html(client.get("/cart", headers=BROWSER)).select_one("#cart .empty")


def test_a_line_beyond_the_stock_left_is_marked_and_blocks_checkout(app, client, products):
    tart = products["Lemon Tart"]
    add(client, tart, 3)
    set_stock(app, tart, 1)
    soup = html(client.get("/cart", headers=BROWSER))
    assert "Only 1 left" in soup.select_one(f"#line-{tart} .line-error").get_text()
    assert soup.select_one("a.checkout-link") is None
    assert soup.select_one(".cart-actions .is-disabled")


# --- checkout ----------------------------------------------------------------------------


def checkout_form(client):
    """The checkout page's form fields as a dict, as a browser would send them."""
    soup = html(client.get("/checkout", headers=BROWSER))
    form = soup.select_one("#checkout-form")
    fields = {
        field["name"]: field.get("value", "")
        for field in form.select("input[name]:not([disabled])")
        if field.get("type") != "radio" or field.has_attr("checked")
    }
    selects = {select["name"]: select.select_one("option[selected]")["value"] for select in form.select("select[name]")}
    return fields | selects | {"note": ""}


def test_checkout_with_an_empty_cart_goes_to_the_cart(client):
    response = client.get("/checkout", headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"] == "/cart"


def test_checkout_form_has_labelled_fields_and_the_earliest_pickup_filled_in(client, products):
    add(client, products["Butter Croissant"], 2)
    soup = html(client.get("/checkout", headers=BROWSER))
    form = soup.select_one("#checkout-form")
    assert form["action"] == "/orders" and form["method"] == "post" and form["hx-post"] == "/orders"
    for name in ("name", "contact", "pickup_date", "pickup_time", "note"):
        field = form.select_one(f"[name={name}]")
        assert form.select_one(f"label[for={field['id']}]"), name
    assert form.select_one("[name=pickup_date] option[selected]")["value"] == "2026-11-25"
    assert form.select_one("[name=pickup_time][checked]")["value"] == "10:30"  # 30 minutes' notice
    assert len(form.select_one("[name=order_token]")["value"]) >= 16
    assert soup.select_one(".order-summary .summary-total strong").get_text(strip=True) == "€5.60"


def test_checkout_errors_are_shown_at_their_fields(client, products):
    add(client, products["Butter Croissant"], 1)
    data = checkout_form(client) | {"name": "", "contact": "not a contact", "note": "<b>warm</b>"}
    response = client.post("/orders", data=data, headers=BROWSER)
    assert response.status_code == 422
    soup = html(response)
    assert soup.select_one("#name")["aria-invalid"] == "true"
    assert "name" in soup.select_one("#name-error").get_text()
    assert "email address or a phone" in soup.select_one("#contact-error").get_text()
    assert soup.select_one("#contact")["value"] == "not a contact"
    assert soup.select_one("#note").get_text() == "<b>warm</b>"
    assert soup.select_one("#pickup_time-error") is None
    assert count_orders(client.application) == 0


def test_checkout_errors_for_htmx_are_the_form_fragment(client, products):
    add(client, products["Butter Croissant"], 1)
    response = client.post("/orders", data=checkout_form(client) | {"name": ""}, headers=HTMX)
    assert response.status_code == 422
    fragment = html(response)
    assert fragment.select_one("html") is None
    assert fragment.select_one("form#checkout-form #name-error")


@pytest.mark.parametrize(
    "day,time,field,message",
    [
        ("2026-11-24", "10:00", "pickup_date", "That day has passed"),
        ("2026-11-25", "09:30", "pickup_time", "That time has passed"),
        ("2026-11-25", "09:45", "pickup_time", "every 30 minutes"),
        ("2026-11-29", "10:00", "pickup_date", "closed on Sundays"),
        ("2026-11-28", "15:00", "pickup_time", "open 08:00–14:00"),
        ("2026-11-25", "18:30", "pickup_time", "open 07:00–18:30"),
        ("2026-12-30", "10:00", "pickup_date", "up to 14 days ahead"),
        ("tomorrow", "10:00", "pickup_date", "Choose the day"),
        ("2026-11-26", "noon", "pickup_time", "Choose the time"),
    ],
)
def test_pickup_must_be_ahead_and_in_opening_hours(client, products, day, time, field, message):
    add(client, products["Butter Croissant"], 1)
    data = checkout_form(client) | {
        "name": "Ada",
        "contact": "ada@example.com",
        "pickup_date": day,
        "pickup_time": time,
    }
    response = client.post("/orders", data=data, headers=BROWSER)
    assert response.status_code == 422
    assert message in html(response).select_one(f"#{field}-error").get_text()


def test_checkout_places_the_order_and_shows_it(app, client, products, stock_of):
    croissant = products["Butter Croissant"]
    add(client, croissant, 2)
    data = checkout_form(client) | {
        "name": "Ada <script>",
        "contact": "+49 30 555 0100",
        "pickup_date": "2026-11-26",
        "pickup_time": "08:30",
        "note": "<i>Sliced</i>",
    }
    response = client.post("/orders", data=data, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/orders/")
    assert stock_of(croissant) == 38
    soup = html(client.get(response.headers["Location"], headers=BROWSER))
    assert soup.select_one("h1").get_text(strip=True) == "Thank you, Ada <script>!"
    assert soup.select("script:not([src])") == []
    assert soup.select_one(".order-pickup").get_text(strip=True) == "Thursday 26 November at 08:30"
    assert soup.select_one(".order-note").get_text(strip=True) == "<i>Sliced</i>"
    assert soup.select_one(".order-items tbody .item-name").get_text(strip=True) == "Butter Croissant"
    assert badge_count(soup) == "0"
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert (order.customer_name, order.customer_contact) == ("Ada <script>", "+49 30 555 0100")
        assert order.pickup_at == datetime(2026, 11, 26, 8, 30)


def test_checkout_with_htmx_sends_the_browser_to_the_order_page(client, products):
    add(client, products["Butter Croissant"], 1)
    data = checkout_form(client) | {"name": "Ada", "contact": "ada@example.com"}
    response = client.post("/orders", data=data, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/orders/")


def test_a_double_clicked_checkout_makes_one_order(app, client, products, stock_of):
    croissant = products["Butter Croissant"]
    add(client, croissant, 2)
    data = checkout_form(client) | {"name": "Ada", "contact": "ada@example.com"}
    first = client.post("/orders", data=data, headers=BROWSER)
    second = client.post("/orders", data=data, headers=BROWSER)  # the cart is already empty by now
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count_orders(app) == 1
    assert stock_of(croissant) == 38


def test_stock_gone_before_checkout_is_explained_and_nothing_is_written(app, client, products, stock_of):
    tart = products["Lemon Tart"]
    add(client, tart, 2)
    data = checkout_form(client) | {"name": "Ada", "contact": "ada@example.com"}
    set_stock(app, tart, 1)
    response = client.post("/orders", data=data, headers=BROWSER)
    assert response.status_code == 422
    alert = html(response).select_one("#checkout-form .form-alert")
    assert "check your cart" in alert.get_text() and alert.select_one("a[href='/cart']")
    assert count_orders(app) == 0 and stock_of(tart) == 1


def test_json_orders_still_answer_json(client, products):
    response = post_order(client, [{"id": products["Baguette"], "quantity": 1}])
    assert response.status_code == 201
    assert set(response.get_json()) == {"order_id", "code", "status", "total", "pickup_at", "items"}


# --- order page --------------------------------------------------------------------------


@pytest.fixture
def order_id(client, products):
    return post_order(client, [{"id": products["Baguette"], "quantity": 2}]).get_json()["order_id"]


def test_order_page_polls_the_status_until_it_is_final(app, client, order_id):
    status = html(client.get(f"/orders/{order_id}", headers=BROWSER)).select_one("#order-status")
    assert status["hx-get"] == f"/order-status/{order_id}"
    assert status["hx-trigger"] == "every 2s"
    assert status.select_one("noscript a")["href"] == f"/orders/{order_id}"

    wait_for_status(client, order_id, "Processing")
    fragment = html(client.get(f"/order-status/{order_id}", headers=HTMX))
    assert fragment.select_one("#order-status strong").get_text(strip=True) == "Processing"
    assert fragment.select_one("#order-status")["hx-trigger"] == "every 2s"

    with app.app_context():
        change_status(order_id, "Cancelled")
    fragment = html(client.get(f"/order-status/{order_id}", headers=HTMX))
    final = fragment.select_one("#order-status")
    assert final.select_one("strong").get_text(strip=True) == "Cancelled"
    assert not final.has_attr("hx-trigger") and not final.has_attr("hx-get")
    assert final.select_one("noscript") is None


# --- error pages -------------------------------------------------------------------------


def test_404_page_is_in_the_shop_style(client):
    response = client.get("/no-such-page", headers=BROWSER)
    assert response.status_code == 404
    soup = html(response)
    assert soup.select_one(".error-page h1").get_text(strip=True) == "We couldn't find that"
    assert soup.select_one("header #cart-badge") and soup.select_one("footer .hours")


def test_500_page_is_in_the_shop_style(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    response = app.test_client().get("/boom", headers=BROWSER)
    assert response.status_code == 500
    soup = html(response)
    assert soup.select_one(".error-page h1").get_text(strip=True) == "Something went wrong on our side"
    assert "kaput" not in soup.get_text()
