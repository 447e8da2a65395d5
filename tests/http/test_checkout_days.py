"""The cart's pickup day and the checkout's days: only days that can take the whole cart, and why others are not."""

import json
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from app.catalog.daily import set_day_amount
from app.extensions import db
from app.models import Product
from tests.helpers import BROWSER, HTMX, JSON, bake

# A Wednesday morning in the shop's time zone: open Mon–Fri and Saturday, closed on Sundays; 14 days ahead.
NOW = datetime(2026, 11, 25, 10, 0)
WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"
MON, TUE, WED, THU, FRI, SAT = range(6)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


def words(element):
    """The text of `element` as a reader sees it: whitespace between the words only."""
    return " ".join(element.get_text().split())


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def add(client, product_id, quantity=1, day=None, headers=BROWSER):
    data = {"product_id": product_id, "quantity": quantity, "next": "/"}
    if day:
        data["day"] = day
    return client.post("/cart/items", data=data, headers=headers)


def cart_page(client, headers=BROWSER):
    return soup_of(client.get("/cart", headers=headers))


def checkout_page(client):
    response = client.get("/checkout", headers=BROWSER)
    assert response.status_code == 200
    return soup_of(response)


def offered(soup):
    return [option["value"] for option in soup.select("#pickup_date option")]


def chosen_day(soup):
    return soup.select_one("#pickup_date option[selected]")["value"]


def left_out(soup):
    return [words(li) for li in soup.select("#days-left-out li")]


def line_note(soup, product_id):
    return soup.select_one(f"#line-{product_id} .line-error").get_text(strip=True)


def form_fields(soup):
    """What the checkout form sends as it stands, with the customer's details."""
    form = soup.select_one("#checkout-form")
    fields = {
        f["name"]: f.get("value", "")
        for f in form.select("input[name]:not([disabled])")
        if f.get("type") != "radio" or f.has_attr("checked")
    }
    fields |= {s["name"]: s.select_one("option[selected]")["value"] for s in form.select("select[name]")}
    return fields | {"name": "Ada", "contact": "ada@example.com"}


def set_amount(app, product_id, day, amount):
    with app.app_context():
        set_day_amount(db.session.get(Product, product_id), datetime.fromisoformat(day).date(), amount)
        db.session.commit()


@pytest.fixture
def sourdough(app, products):
    """Sourdough baked 5 a day, but 2 on Thursdays and none on Saturdays."""
    return bake(app, products["Sourdough Loaf"], {MON: 5, TUE: 5, WED: 5, THU: 2, FRI: 5})


# --- the checkout's days ---------------------------------------------------------------------------


def test_checkout_leaves_out_the_days_a_line_is_short_and_says_why(client, products, sourdough):
    add(client, sourdough, 3)
    add(client, products["Lemon Tart"], 1)  # stocked: its stock is the same for every day
    soup = checkout_page(client)
    days = offered(soup)
    assert THURSDAY not in days and SATURDAY not in days and "2026-12-03" not in days
    assert days[:3] == [WEDNESDAY, FRIDAY, "2026-11-30"]
    assert left_out(soup) == [
        "Thu 26 Nov — only 2 Sourdough Loaf left",
        "Sat 28 Nov — Sourdough Loaf sold out",
        "Thu 3 Dec — only 2 Sourdough Loaf left",
        "Sat 5 Dec — Sourdough Loaf sold out",
    ]
    assert "Not offered for what is in your cart" in soup.select_one("#days-left-out").get_text()
    # The day picker points at the explanation, for a screen reader too.
    assert soup.select_one("#pickup_date")["aria-describedby"] == "days-left-out"
    assert chosen_day(soup) == WEDNESDAY and soup.select_one("[name=pickup_time][checked]")["value"] == "10:30"


def test_more_days_left_out_than_fit_are_counted(app, client, products):
    rye = bake(app, products["Rye Bread"], {FRI: 4})  # Fridays only
    add(client, rye, 1, day=FRIDAY)
    soup = checkout_page(client)
    assert offered(soup) == [FRIDAY, "2026-12-04"]
    shown = left_out(soup)
    assert shown[:4] == [
        "Wed 25 Nov — Rye Bread sold out",
        "Thu 26 Nov — Rye Bread sold out",
        "Sat 28 Nov — Rye Bread sold out",
        "Mon 30 Nov — Rye Bread sold out",
    ]
    assert shown[4] == "and 7 more days"


def test_a_cart_without_baked_products_is_offered_every_open_day(client, products):
    add(client, products["Lemon Tart"], 1)
    soup = checkout_page(client)
    assert len(offered(soup)) == 13  # 25 November to 9 December without the two Sundays
    assert soup.select_one("#days-left-out") is None


def test_when_no_day_takes_the_whole_cart_the_checkout_says_which_line_and_cannot_be_sent(app, client, products):
    rye = bake(app, products["Rye Bread"], {FRI: 3})
    baguette = bake(app, products["Baguette"], {SAT: 3})
    add(client, rye, 2, day=FRIDAY)
    add(client, baguette, 2, day=SATURDAY)
    soup = checkout_page(client)
    limits = soup.select_one("#cart-limits")
    assert "No pickup day up to Wed 9 Dec has everything in your cart" in words(limits)
    assert [words(li) for li in limits.select("li")] == [
        "2 Rye Bread: only on Fri 27 Nov, Fri 4 Dec",
        "2 Baguette: only on Sat 28 Nov, Sat 5 Dec",
    ]
    assert "order them separately" in limits.get_text()
    assert limits.select_one("a[href='/cart']")
    assert soup.select_one("#pickup_date") is None
    place = soup.select_one("#checkout-form button.button-primary")
    assert place.has_attr("disabled") and place["aria-describedby"] == "cart-limits"
    assert soup.select_one("#name")  # the rest of the form is still there

    # A line that no day has enough of is the one to lower.
    set_amount(app, rye, FRIDAY, 1)
    set_amount(app, rye, "2026-12-04", 1)
    limits = checkout_page(client).select_one("#cart-limits")
    assert [words(li) for li in limits.select("li")] == ["Rye Bread: at most 1 on any day, and your cart has 2"]
    assert "order them separately" not in limits.get_text()


# --- the cart's day ------------------------------------------------------------------------------


def test_the_catalogue_s_chosen_day_goes_into_the_add_form_only_when_chosen(client, products, sourdough):
    chosen = soup_of(client.get(f"/?day={FRIDAY}", headers=BROWSER))
    assert chosen.select_one(f"#product-{sourdough} form.add-to-cart input[name=day]")["value"] == FRIDAY
    plain = soup_of(client.get("/", headers=BROWSER))
    assert plain.select_one(f"#product-{sourdough} form.add-to-cart input[name=day]") is None
    assert plain.select_one(f"#product-{sourdough} a.product-link")["href"] == f"/products/{sourdough}"


def test_adding_on_a_chosen_day_makes_it_the_cart_s_day(client, products, sourdough):
    assert add(client, sourdough, 3, day=FRIDAY).status_code == 303
    soup = cart_page(client)
    assert words(soup.select_one("#cart-day-now")) == "For pickup on Friday 27 November"
    assert soup.select_one("#cart-day option[selected]")["value"] == FRIDAY
    assert soup.select_one(f"#line-{sourdough} .line-error") is None
    checkout = checkout_page(client)
    assert chosen_day(checkout) == FRIDAY
    data = client.get("/cart", headers=JSON).get_json()
    assert data["pickup_day"] == FRIDAY and data["pickup_day_chosen"] is True


def test_the_shop_opens_on_the_cart_s_day_once_the_customer_chose_one(client, products, sourdough):
    add(client, sourdough, 1, day=FRIDAY)
    soup = soup_of(client.get("/", headers=BROWSER))  # the brand link: no ?day=
    assert soup.select_one("#pickup-day option[selected]")["value"] == FRIDAY
    assert soup.select_one(f"#product-{sourdough} form.add-to-cart input[name=day]")["value"] == FRIDAY
    assert (
        soup_of(client.get(f"/?day={WEDNESDAY}", headers=BROWSER)).select_one("#pickup-day option[selected]")["value"]
        == WEDNESDAY
    )  # a day asked for in the address wins


def test_without_a_chosen_day_the_cart_is_for_the_first_day_one_can_order_for(client, products, sourdough):
    add(client, sourdough, 1)
    soup = cart_page(client)
    assert words(soup.select_one("#cart-day-now")) == (
        "For pickup from Wednesday 25 November, the first day you can order for: choose the day here or at checkout."
    )
    assert client.get("/cart", headers=JSON).get_json()["pickup_day_chosen"] is False
    assert chosen_day(checkout_page(client)) == WEDNESDAY


def test_adding_checks_the_day_it_was_chosen_for(client, products, sourdough):
    refused = add(client, sourdough, 3, day=THURSDAY, headers=HTMX)
    assert refused.status_code == 422
    form = soup_of(refused).select_one("form.add-to-cart")
    assert form.select_one(".field-error").get_text(strip=True) == "Only 2 left for Thursday."
    assert form.select_one("input[name=day]")["value"] == THURSDAY  # a second try is for the same day
    assert add(client, sourdough, 3, day=FRIDAY, headers=HTMX).status_code == 200

    as_json = add(client, sourdough, 3, day=SATURDAY, headers=JSON)
    assert as_json.status_code == 422
    assert as_json.get_json()["error"] == "Sorry, this is sold out for Saturday."


def test_adding_without_a_day_checks_the_cart_s_day(client, products, sourdough):
    add(client, sourdough, 1, day=THURSDAY)
    refused = add(client, sourdough, 2, headers=JSON)  # Thursday has 2, one of them already in the cart
    assert refused.status_code == 422
    assert refused.get_json()["error"] == "Only 2 left for Thursday and 1 are already in your cart."


@pytest.mark.parametrize(
    "day,message",
    [
        ("2026-11-29", "We no longer take orders for pickup on Sunday 29 November. Please choose another day."),
        ("2026-11-24", "We no longer take orders for pickup on Tuesday 24 November. Please choose another day."),
        ("friday", "That pickup day is not a date. Please choose the day again."),
    ],
)
def test_adding_for_a_day_one_cannot_order_for_is_refused_at_the_form(client, products, sourdough, day, message):
    response = add(client, sourdough, 1, day=day, headers=HTMX)
    assert response.status_code == 422
    form = soup_of(response).select_one("form.add-to-cart")
    assert form.select_one(".field-error").get_text(strip=True) == message
    assert form.select_one("input[name=day]") is None  # the next try is for the cart's day
    assert client.get("/cart", headers=JSON).get_json()["items"] == []


def test_an_add_that_moves_the_cart_to_another_day_says_so(client, products, sourdough):
    add(client, products["Lemon Tart"], 1)
    response = add(client, sourdough, 1, day=FRIDAY, headers=HTMX)
    added = words(soup_of(response).select_one(".added"))
    assert added == "✓ Added Sourdough Loaf. Your cart is now for pickup on Friday 27 November. View cart"


def test_a_line_short_on_the_chosen_day_names_the_day_that_has_it(app, client, products, sourdough):
    baguette = bake(app, products["Baguette"], {FRI: 4, SAT: 4})
    add(client, sourdough, 3, day=FRIDAY)
    add(client, baguette, 2, day=FRIDAY)
    client.post("/cart/day", data={"day": THURSDAY}, headers=BROWSER)
    soup = cart_page(client)
    assert words(soup.select_one("#cart-day-now")) == "For pickup on Thursday 26 November"
    # The earliest day that has the whole line, as the checkout's own choice of day is.
    assert line_note(soup, sourdough) == "Only 2 left for Thursday — available in full on Wednesday."
    assert line_note(soup, baguette) == "Sold out for Thursday — available Friday."
    # Checkout offers the days that have it all: the lines are notes, not errors.
    line = soup.select_one(f"#line-{sourdough}")
    assert "has-note" in line["class"] and line.select_one(".field-error") is None
    assert soup.select_one("a.checkout-link")
    items = {item["id"]: item for item in client.get("/cart", headers=JSON).get_json()["items"]}
    assert items[sourdough]["problem"] == "Only 2 left for Thursday — available in full on Wednesday."
    assert items[sourdough]["available"] == 2 and items[sourdough]["available_in_full_on"] == WEDNESDAY
    assert items[sourdough]["problem_blocks_checkout"] is False

    checkout = checkout_page(client)
    assert (
        chosen_day(checkout) == FRIDAY
    )  # Thursday cannot take the cart: the earliest day that can (no Baguette before)
    assert left_out(checkout)[0] == ("Thu 26 Nov (your chosen day) — only 2 Sourdough Loaf left, Baguette sold out")


def test_a_line_no_day_has_enough_of_blocks_checkout(app, client, products, sourdough):
    add(client, sourdough, 5, day=FRIDAY)
    for day in ("2026-11-25", FRIDAY, "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-04", "2026-12-07"):
        set_amount(app, sourdough, day, 3)
    for day in ("2026-12-08", "2026-12-09"):
        set_amount(app, sourdough, day, 4)
    soup = cart_page(client)
    assert line_note(soup, sourdough) == "Only 3 left for Friday — please lower the quantity."
    assert soup.select_one(f"#line-{sourdough} .field-error")
    assert soup.select_one(f"#cart-qty-{sourdough}")["aria-invalid"] == "true"
    assert soup.select_one("a.checkout-link") is None

    set_amount(app, sourdough, FRIDAY, 0)
    soup = cart_page(client)
    assert line_note(soup, sourdough) == "Sold out for Friday; Tuesday 8 December has 4 — please lower the quantity."


def test_changing_the_cart_s_day_with_and_without_javascript(client, products, sourdough):
    add(client, sourdough, 3, day=FRIDAY)
    plain = client.post("/cart/day", data={"day": THURSDAY}, headers=BROWSER)
    assert plain.status_code == 303 and plain.headers["Location"] == "/cart"
    fragment = client.post("/cart/day", data={"day": SATURDAY}, headers=HTMX)
    assert fragment.status_code == 200
    soup = soup_of(fragment)
    assert soup.select_one("html") is None and soup.select_one("section#cart")
    assert words(soup.select_one("#cart-day-now")) == "For pickup on Saturday 28 November"
    assert line_note(soup, sourdough) == "Sold out for Saturday — available Wednesday."  # 25 Nov, the earliest

    refused = client.post("/cart/day", data={"day": "2026-11-29"}, headers=HTMX)
    assert refused.status_code == 422
    soup = soup_of(refused)
    assert soup.select_one("#cart-day-error").get_text(strip=True) == "Choose one of the days in the list."
    assert soup.select_one("#cart-day")["aria-invalid"] == "true"
    as_json = client.post("/cart/day", data={"day": "soon"}, headers=JSON)
    assert as_json.status_code == 422 and as_json.get_json()["details"] == {
        "day": "Choose one of the days in the list."
    }
    assert client.get("/cart", headers=JSON).get_json()["pickup_day"] == SATURDAY


def test_a_chosen_day_that_passed_falls_back_to_the_first_day(client, products, sourdough, monkeypatch):
    add(client, sourdough, 1, day=WEDNESDAY)
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 26, 9, 0))
    soup = cart_page(client)
    assert words(soup.select_one("#cart-day-now")).startswith("For pickup from Thursday 26 November")
    assert (
        "We no longer take orders for Wednesday 25 November, the day you chose."
        in soup.select_one(".cart-day").get_text()
    )


# --- the server stays the judge --------------------------------------------------------------------


def order_for_someone_else(client, app, product_id, quantity, day):
    """Another customer's order for `day` (through the API, on a client of its own)."""
    other = app.test_client()
    response = other.post(
        "/orders",
        data=json.dumps({"items": [{"id": product_id, "quantity": quantity}], "pickup_at": f"{day}T09:00"}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("headers", [BROWSER, HTMX], ids=["plain", "htmx"])
def test_a_day_that_ran_out_meanwhile_is_refused_and_the_remaining_days_offered(app, client, sourdough, headers):
    add(client, sourdough, 3, day=FRIDAY)
    fields = form_fields(checkout_page(client))
    assert fields["pickup_date"] == FRIDAY
    order_for_someone_else(client, app, sourdough, 4, FRIDAY)

    response = client.post("/orders", data=fields, headers=headers)
    assert response.status_code == 409
    soup = soup_of(response)
    if headers is HTMX:
        assert soup.select_one("html") is None
    form = soup.select_one("form#checkout-form")
    assert form.select_one("#pickup_date-error").get_text(strip=True) == (
        "Only 1 Sourdough Loaf left for Friday 27 November. Please choose another day."
    )
    assert form.select_one("#pickup_date")["aria-invalid"] == "true"
    assert words(form.select_one(".form-alert")) == (
        "Your cart has just run short on the day you chose: the days below still have it all."
    )
    assert FRIDAY not in offered(form) and chosen_day(form) == WEDNESDAY
    assert left_out(form)[0] == "Fri 27 Nov (your chosen day) — only 1 Sourdough Loaf left"
    assert form.select_one("#name")["value"] == "Ada"
    # The next try, on the day the page now offers, goes through.
    again = client.post("/orders", data=form_fields(soup), headers=BROWSER)
    assert again.status_code == 303


def test_show_times_without_javascript_moves_off_a_day_that_ran_out(app, client, sourdough):
    add(client, sourdough, 3, day=FRIDAY)
    fields = form_fields(checkout_page(client))
    order_for_someone_else(client, app, sourdough, 4, FRIDAY)
    response = client.post("/checkout", data=fields | {"pickup_date": FRIDAY}, headers=BROWSER)
    assert response.status_code == 200
    soup = soup_of(response)
    assert FRIDAY not in offered(soup) and chosen_day(soup) == WEDNESDAY
    assert soup.select(".slot input[name=pickup_time]")
    assert left_out(soup)[0] == "Fri 27 Nov (your chosen day) — only 1 Sourdough Loaf left"


def test_the_day_picker_s_times_say_when_the_day_ran_out(app, client, sourdough):
    add(client, sourdough, 3, day=FRIDAY)
    checkout_page(client)
    fresh = soup_of(client.get(f"/pickup-slots?pickup_date={FRIDAY}", headers=HTMX))
    assert fresh.select(".slot input[name=pickup_time]")

    order_for_someone_else(client, app, sourdough, 4, FRIDAY)
    fragment = soup_of(client.get(f"/pickup-slots?pickup_date={FRIDAY}", headers=HTMX))
    assert fragment.select_one("html") is None
    assert fragment.select_one("#pickup-slots .slots-none").get_text(strip=True) == (
        "Not enough for your cart on Friday 27 November: only 1 Sourdough Loaf left. Choose another day."
    )
    assert fragment.select(".slot input") == []
    # The JSON list of slots stays as it was: it knows no cart.
    assert client.get(f"/pickup-slots?date={FRIDAY}", headers=JSON).get_json()[0]["available"] is True


def test_the_json_api_keeps_its_shapes(client, products, sourdough):
    listed = client.get("/products", headers=JSON).get_json()
    assert set(listed[0]) == {
        "id", "name", "price", "image", "description", "available", "kind", "lead_days", "only_left",
        "category", "allergens", "may_contain", "dietary", "options",
    }  # fmt: skip
    response = client.post(
        "/orders",
        data=json.dumps({"items": [{"id": sourdough, "quantity": 1}]}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert set(response.get_json()) == {"order_id", "code", "status", "total", "pickup_at", "items"}
