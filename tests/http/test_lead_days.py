"""A product's lead time in days: ordered on day D − N or earlier for pickup on D, wherever a pickup day is chosen.

The clock is fixed on Wednesday 25 November 2026 at 10:00 (default hours: Mon–Fri 07:00–18:30,
Sat 08:00–14:00, closed on Sundays; 14 days ahead). A Sourdough Loaf with two days' notice can
be picked up on Friday 27 November at the earliest.
"""

import json
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Order, Product
from tests.helpers import BROWSER, HTMX, JSON, bake, set_product
from tests.http.test_openapi import assert_matches

NOW = datetime(2026, 11, 25, 10, 0)
WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, MONDAY = "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-30"
TOO_SOON = "Sourdough Loaf needs 2 days' notice: the earliest pickup is Friday 27 November."


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


@pytest.fixture
def sourdough(app, products):
    """The Sourdough Loaf, baked 5 every opening day, with two days' notice."""
    bake(app, products["Sourdough Loaf"], dict.fromkeys(range(6), 5))
    return set_product(app, products["Sourdough Loaf"], lead_days=2)


def order(client, items, pickup_at=None):
    body = {"items": items} | ({"pickup_at": pickup_at} if pickup_at is not None else {})
    return client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})


def orders_in(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def words(element):
    return " ".join(element.get_text().split())


def add(client, product_id, quantity=1, day=None, headers=BROWSER):
    data = {"product_id": product_id, "quantity": quantity, "next": "/"} | ({"day": day} if day else {})
    return client.post("/cart/items", data=data, headers=headers)


# --- orders over the API -----------------------------------------------------------------------------


def test_a_pickup_too_soon_for_the_days_of_notice_is_422_naming_the_first_day(app, client, sourdough):
    refused = order(client, [{"id": sourdough, "quantity": 1}], f"{THURSDAY}T12:00")
    assert refused.status_code == 422
    body = refused.get_json()
    assert_matches(body, "/orders", "post", 422)
    assert body["error"] == TOO_SOON
    assert body["details"] == {"pickup_at": TOO_SOON, "next_available": f"{FRIDAY}T07:00:00+01:00"}
    assert orders_in(app) == 0
    assert order(client, [{"id": sourdough, "quantity": 1}], f"{FRIDAY}T07:00").status_code == 201


def test_without_a_pickup_time_the_bakery_chooses_the_first_slot_the_notice_allows(client, products, sourdough):
    placed = order(client, [{"id": sourdough, "quantity": 1}, {"id": products["Baguette"], "quantity": 1}])
    assert placed.status_code == 201
    assert placed.get_json()["pickup_at"] == f"{FRIDAY}T07:00:00+01:00"
    # Without the sourdough the same cart goes today.
    assert order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["pickup_at"] == (
        f"{WEDNESDAY}T10:30:00+01:00"
    )


def test_the_longest_lead_of_the_cart_wins_hours_or_days(app, client, products, sourdough):
    set_product(app, products["Rye Bread"], lead_hours=24)  # 24 opening hours: Friday 11:00
    both = [{"id": sourdough, "quantity": 1}, {"id": products["Rye Bread"], "quantity": 1}]
    assert order(client, both).get_json()["pickup_at"] == f"{FRIDAY}T11:00:00+01:00"
    set_product(app, sourdough, lead_days=3)  # Saturday, when the shop opens at 08:00
    assert order(client, both).get_json()["pickup_at"] == f"{SATURDAY}T08:00:00+01:00"


def test_days_of_notice_that_end_on_a_closed_day_name_the_next_open_one(app, client, sourdough):
    set_product(app, sourdough, lead_days=4)  # Sunday: closed
    refused = order(client, [{"id": sourdough, "quantity": 1}], f"{SATURDAY}T09:00")
    assert refused.get_json()["error"] == (
        "Sourdough Loaf needs 4 days' notice: the earliest pickup is Monday 30 November."
    )
    assert refused.get_json()["details"]["next_available"] == f"{MONDAY}T07:00:00+01:00"
    set_product(app, sourdough, lead_days=1)
    refused = order(client, [{"id": sourdough, "quantity": 1}], f"{WEDNESDAY}T12:00")
    assert refused.get_json()["error"] == (
        "Sourdough Loaf needs 1 day's notice: the earliest pickup is Thursday 26 November."
    )


@pytest.mark.parametrize(
    ("now", "first"),
    [(datetime(2026, 11, 25, 23, 59), f"{THURSDAY}T07:00:00+01:00"), (datetime(2026, 11, 26, 0, 1), FRIDAY)],
)
def test_the_days_are_the_bakery_s_dates_not_24_hours(app, client, sourdough, monkeypatch, now, first):
    """Ordered late on Wednesday, one day's notice is Thursday; a minute past midnight it is Friday."""
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: now)
    set_product(app, sourdough, lead_days=1)
    assert order(client, [{"id": sourdough, "quantity": 1}]).get_json()["pickup_at"].startswith(first)


def test_none_or_zero_days_change_nothing(app, client, sourdough):
    for days in (None, 0):
        set_product(app, sourdough, lead_days=days)
        placed = order(client, [{"id": sourdough, "quantity": 1}], f"{WEDNESDAY}T12:00")
        assert placed.status_code == 201, placed.get_json()


# --- pickup slots ----------------------------------------------------------------------------------


def test_the_checkout_s_slots_for_a_day_too_soon_are_none_to_choose(client, sourdough):
    add(client, sourdough, 1, day=FRIDAY)
    thursday = soup_of(client.get(f"/pickup-slots?pickup_date={THURSDAY}", headers=HTMX))
    assert thursday.select(".slot input[name=pickup_time]:not([disabled])") == []
    friday = soup_of(client.get(f"/pickup-slots?pickup_date={FRIDAY}", headers=HTMX))
    assert friday.select_one(".slot input[name=pickup_time]:not([disabled])")["value"] == "07:00"
    # The JSON list of slots knows no cart: Thursday's are the shop's.
    assert client.get(f"/pickup-slots?date={THURSDAY}", headers=JSON).get_json()[0]["available"] is True


# --- the catalogue -------------------------------------------------------------------------------


def card(client, product_id, day):
    return soup_of(client.get(f"/?day={day}", headers=BROWSER)).select_one(f"#product-{product_id}")


def test_a_card_on_a_day_too_soon_says_when_to_order_instead_of_offering_it(client, sourdough):
    thursday = card(client, sourdough, THURSDAY)
    assert thursday.select_one(".stock.too-soon").get_text(strip=True) == "Order 2 days ahead — available Friday"
    assert thursday.select_one("form.add-to-cart") is None
    assert words(thursday.select_one(".unavailable")) == "Choose Friday as your pickup day to order it."
    friday = card(client, sourdough, FRIDAY)
    assert friday.select_one(".too-soon") is None
    assert friday.select_one("form.add-to-cart input[name=day]")["value"] == FRIDAY


def test_a_stocked_product_with_days_of_notice_is_worded_the_same(app, client, products):
    tart = set_product(app, products["Lemon Tart"], lead_days=1)
    note = card(client, tart, WEDNESDAY).select_one(".stock.too-soon").get_text(strip=True)
    assert note == "Order 1 day ahead — available Thursday"
    assert card(client, tart, THURSDAY).select_one(".low-stock").get_text(strip=True) == "Only 3 left"


def test_the_json_catalogue_says_none_available_on_a_day_too_soon(client, sourdough):
    def listed(day):
        products = client.get(f"/products?day={day}", headers=JSON).get_json()
        return next(p for p in products if p["id"] == sourdough)

    thursday, friday = listed(THURSDAY), listed(FRIDAY)
    assert (thursday["available"], thursday["lead_days"]) == (0, 2)
    assert (friday["available"], friday["lead_days"]) == (5, 2)
    others = client.get(f"/products?day={THURSDAY}", headers=JSON).get_json()
    assert all(p["lead_days"] == 0 for p in others if p["id"] != sourdough)


def test_the_product_page_says_how_much_notice_it_needs(client, products, sourdough):
    page = soup_of(client.get(f"/products/{sourdough}?day={THURSDAY}", headers=BROWSER))
    assert words(page.select_one(".product-notice")) == (
        "Needs 2 days' notice: order it at least 2 days before your pickup day."
    )
    assert page.select_one(".too-soon").get_text(strip=True) == "Order 2 days ahead — available Friday"
    plain = soup_of(client.get(f"/products/{products['Baguette']}", headers=BROWSER))
    assert plain.select_one(".product-notice") is None


# --- the cart and the checkout ---------------------------------------------------------------------


def test_adding_for_a_day_too_soon_is_refused_and_says_which_day(client, sourdough):
    refused = add(client, sourdough, 1, day=THURSDAY, headers=HTMX)
    assert refused.status_code == 422
    assert words(soup_of(refused).select_one(".add-to-cart")) == (
        "Sourdough Loaf needs 2 days' notice: choose Friday 27 November or later as your pickup day."
    )
    data = client.post("/cart/items", data={"product_id": sourdough, "day": THURSDAY}, headers=JSON)
    assert data.status_code == 422 and "2 days' notice" in data.get_json()["error"]
    assert client.get("/cart", headers=JSON).get_json()["count"] == 0


def test_a_cart_day_moved_too_soon_notes_the_line_and_checkout_offers_only_later_days(client, products, sourdough):
    add(client, sourdough, 1, day=FRIDAY)
    add(client, products["Baguette"], 1, day=THURSDAY)  # the cart is now for Thursday
    cart = soup_of(client.get("/cart", headers=BROWSER))
    note = cart.select_one(f"#line-{sourdough} .line-error")
    assert note.get_text(strip=True) == "Order 2 days ahead — available Friday."
    assert "line-note" in note["class"]  # not blocking: the checkout offers Friday on
    checkout = soup_of(client.get("/checkout", headers=BROWSER))
    days = [option["value"] for option in checkout.select("#pickup_date option")]
    assert days[:2] == [FRIDAY, SATURDAY] and THURSDAY not in days
    assert [words(li) for li in checkout.select("#days-left-out li")] == [
        "Thu 26 Nov (your chosen day) — Sourdough Loaf needs 2 days' notice",
        "Wed 25 Nov — Sourdough Loaf needs 2 days' notice",
    ]


def test_a_cart_nobody_chose_a_day_for_is_for_the_first_day_its_notice_allows(app, client, sourdough):
    set_product(app, sourdough, lead_days=0)
    add(client, sourdough, 1)  # from the catalogue's first day, today
    set_product(app, sourdough, lead_days=2)
    data = client.get("/cart", headers=JSON).get_json()
    assert (data["pickup_day"], data["pickup_day_chosen"]) == (FRIDAY, False)
    assert data["items"][0]["problem"] is None


def test_a_checkout_sent_for_a_day_too_soon_is_refused_at_the_day(app, client, sourdough):
    add(client, sourdough, 1, day=FRIDAY)
    form = soup_of(client.get("/checkout", headers=BROWSER)).select_one("#checkout-form")
    sent = {
        "order_token": form.select_one("[name=order_token]")["value"],
        "name": "Ada",
        "contact": "ada@example.com",
        "pickup_date": THURSDAY,  # an old page's, or a hand-made post
        "pickup_time": "12:00",
    }
    refused = client.post("/orders", data=sent, headers=BROWSER)
    assert refused.status_code == 422
    assert soup_of(refused).select_one("#pickup_date-error").get_text(strip=True) == TOO_SOON
    assert orders_in(app) == 0


# --- staff ---------------------------------------------------------------------------------------


def edit_fields(client, product_id):
    form = soup_of(client.get(f"/staff/products/{product_id}/edit", headers=BROWSER)).select_one("#product-form")
    fields = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        if field.name == "select":
            chosen = field.select_one("option[selected]")
            fields.setdefault(field["name"], []).append(chosen["value"] if chosen else "")
        elif field.get("type") in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        elif field.get("type") != "file":
            fields.setdefault(field["name"], []).append(
                field.text if field.name == "textarea" else field.get("value", "")
            )
    return form["action"], fields


def test_staff_set_the_days_of_notice_and_the_audit_log_keeps_it(app, staff_client, sourdough):
    action, fields = edit_fields(staff_client, sourdough)
    assert fields["lead_days"] == ["2"]
    page = soup_of(staff_client.get(f"/staff/products/{sourdough}/edit", headers=BROWSER))
    assert page.select_one("label[for=lead_days]").get_text(" ", strip=True).startswith("Days of notice")
    assert "a sourdough whose dough takes two days: 2" in page.select_one("#lead_days-hint").get_text()
    saved = staff_client.post(action, data=fields | {"lead_days": ["3"]}, headers=BROWSER)
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.get(Product, sourdough).lead_days == 3
        details = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "product.update")).all()
    assert details == ["lead days 2 → 3"]
    listed = soup_of(staff_client.get("/staff/products", headers=BROWSER))
    assert listed.select_one(f"#product-{sourdough} .product-notice").get_text(strip=True) == "Needs 3 days' notice"
    assert listed.select_one(f"#product-{products_id(app, 'Baguette')} .product-notice") is None
    staff_json = staff_client.get("/staff/products", headers=JSON).get_json()
    assert next(p for p in staff_json if p["id"] == sourdough)["lead_days"] == 3

    _, fields = edit_fields(staff_client, sourdough)
    cleared = staff_client.post(action, data=fields | {"lead_days": [""]}, headers=BROWSER)
    assert cleared.status_code == 303
    with app.app_context():
        assert db.session.get(Product, sourdough).lead_days is None


def products_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.name == name))


@pytest.mark.parametrize("typed", ["31", "-1", "2.5", "two"])
def test_days_of_notice_out_of_range_are_refused_at_the_field(app, staff_client, sourdough, typed):
    action, fields = edit_fields(staff_client, sourdough)
    refused = staff_client.post(action, data=fields | {"lead_days": [typed]}, headers=BROWSER)
    assert refused.status_code == 422
    page = soup_of(refused)
    assert page.select_one("#lead_days-error").get_text(strip=True) == (
        "A whole number from 0 to 30. Days of notice before the pickup day; empty for none."
    )
    assert page.select_one("#lead_days")["aria-invalid"] == "true"
    assert page.select_one("#lead_days")["value"] == typed
    with app.app_context():
        assert db.session.get(Product, sourdough).lead_days == 2


def test_a_json_edit_with_days_of_notice_out_of_range_is_422_with_details(app, staff_client, sourdough):
    current = next(p for p in staff_client.get("/staff/products", headers=JSON).get_json() if p["id"] == sourdough)
    body = {
        "name": current["name"],
        "category": current["category"],
        "price": "6.50",
        "lead_days": 31,
        "version": current["version"],
    }
    refused = staff_client.post(f"/staff/products/{sourdough}/edit", json=body, headers=JSON)
    assert refused.status_code == 422
    assert refused.get_json()["details"] == {
        "lead_days": "A whole number from 0 to 30. Days of notice before the pickup day; empty for none."
    }
    assert staff_client.post(
        f"/staff/products/{sourdough}/edit", json=body | {"lead_days": True}, headers=JSON
    ).get_json()["details"] == {
        "lead_days": "A whole number from 0 to 30. Days of notice before the pickup day; empty for none."
    }
    saved = staff_client.post(f"/staff/products/{sourdough}/edit", json=body | {"lead_days": 1}, headers=JSON)
    assert saved.status_code == 200 and saved.get_json()["lead_days"] == 1


def test_a_stale_edit_names_the_days_of_notice_someone_else_changed(app, staff_client, sourdough):
    action, mine = edit_fields(staff_client, sourdough)
    assert staff_client.post(action, data=mine | {"lead_days": ["1"]}, headers=BROWSER).status_code == 303
    stale = staff_client.post(action, data=mine | {"price": ["6.90"]}, headers=BROWSER)
    assert stale.status_code == 409
    changes = {
        tr.select_one("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup_of(stale).select("#edit-conflict tbody tr")
    }
    assert changes["Days of notice"][:2] == ["2", "1"]
    assert soup_of(stale).select_one("#lead_days")["value"] == "1"
