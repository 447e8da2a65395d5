"""Staff edits carry the version they were made from: no lost updates, stock moves as deltas."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.catalog.categories import add_category
from app.extensions import db
from app.models import AuditEntry, CalendarSettings, Product, WeeklyHours
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, post_order, sent_by, services_only

STAFF = {"username": "ana", "password": "secret-bread"}
OTHER = {"username": "ben", "password": "crusty-rye-loaf"}


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """A Wednesday at 10:00, so that orders find free pickup slots whatever the hour the tests run."""
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def staff_client(app, client):
    with app.app_context():
        create_staff(**STAFF)
        create_staff(**OTHER, role="owner")
    assert client.post("/staff/login", data=STAFF, headers=BROWSER).status_code == 303
    return client


@pytest.fixture
def other_client(app, staff_client):
    """A second member of staff, in their own browser."""
    client = app.test_client()
    assert client.post("/staff/login", data=OTHER, headers=BROWSER).status_code == 303
    return client


@pytest.fixture
def loaf(app, add_product):
    """A product with a category, as the product form needs: 10 in stock at 3.50."""
    with app.app_context():
        bread = add_category("Bread").id
    return add_product(name="Rye Loaf", price="3.50", stock=10, category_id=bread)


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def row_form(client, product_id):
    """The product row's Save form on /staff/products as the browser would post it, and its action."""
    page = soup_of(client.get("/staff/products", headers=BROWSER))
    form = page.select_one(f"#product-form-{product_id}")
    fields = page.select(f"[form=product-form-{product_id}]") + form.select("input[name]")
    return form["action"], sent_by(fields)


def edit_form(client, product_id):
    page = soup_of(client.get(f"/staff/products/{product_id}/edit", headers=BROWSER))
    form = page.select_one("#product-form")
    return form["action"], sent_by(form.select("input[name], select[name], textarea[name]"))


def product(app, product_id):
    with app.app_context():
        found = db.session.get(Product, product_id)
        return {"price": str(found.price), "stock": found.stock, "name": found.name, "active": found.active}


def order(client, product_id, quantity):
    response = post_order(client, [{"id": product_id, "quantity": quantity}])
    assert response.status_code == 201, response.get_json()


# The lost update of the finding: a price-only save must not bring sold stock back.


def test_a_price_only_row_save_keeps_the_stock_customers_bought_since(app, client, staff_client, add_product):
    loaf = add_product(name="Rye Loaf", price="3.50", stock=10)
    action, form = row_form(staff_client, loaf)
    order(app.test_client(), loaf, 3)  # while the page is open
    response = staff_client.post(action, data=form | {"price": ["3.80"]}, headers=BROWSER)
    assert response.status_code == 303
    assert product(app, loaf) | {"name": None} == {"price": "3.80", "stock": 7, "name": None, "active": True}


def test_a_price_only_save_of_the_product_form_keeps_the_stock(app, staff_client, loaf):
    action, form = edit_form(staff_client, loaf)
    order(app.test_client(), loaf, 4)
    response = staff_client.post(
        action, data=form | {"price": ["3.90"]}, headers=BROWSER, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    assert (product(app, loaf)["price"], product(app, loaf)["stock"]) == ("3.90", 6)


def test_a_stock_typed_on_a_page_that_orders_overtook_is_refused_with_the_current_stock(app, staff_client, add_product):
    loaf = add_product(name="Rye Loaf", price="3.50", stock=10)
    action, form = row_form(staff_client, loaf)
    order(app.test_client(), loaf, 3)
    response = staff_client.post(action, data=form | {"stock": ["20"]}, headers=HTMX)
    assert response.status_code == 409
    row = soup_of(response).select_one(f"tr#product-{loaf}")
    alert = row.select_one(".form-alert").get_text(" ", strip=True)
    assert "Stock" in alert and "10 → 7" in alert
    assert row.select_one("input[name=stock]")["value"] == "7"  # the current value, ready to re-apply
    as_json = {"stock": 20, "original": {"stock": 10}, "version": 1}
    refused = staff_client.post(f"/staff/products/{loaf}", json=as_json, headers=JSON)
    assert refused.status_code == 409 and "stock changed" in refused.get_json()["error"]
    assert refused.get_json()["current"]["stock"] == 7
    assert product(app, loaf)["stock"] == 7


# Two members of staff at once


def test_the_second_of_two_row_saves_gets_409_and_reverts_nothing(app, staff_client, other_client, add_product):
    loaf = add_product(name="Rye Loaf", price="3.50", stock=10)
    action, mine = row_form(staff_client, loaf)
    _, theirs = row_form(other_client, loaf)
    assert other_client.post(action, data=theirs | {"price": ["4.00"]}, headers=BROWSER).status_code == 303
    response = staff_client.post(action, data=mine | {"active": ["0"]}, headers=BROWSER)
    assert response.status_code == 409
    row = soup_of(response).select_one(f"tr#product-{loaf}")
    alert = row.select_one(".form-alert").get_text(" ", strip=True)
    assert "Price" in alert and "3.50 → 4.00" in alert and "not saved" in alert.lower()
    assert row.select_one("input[name=price]")["value"] == "4.00"
    assert product(app, loaf) | {"name": None} == {"price": "4.00", "stock": 10, "name": None, "active": True}
    # Saved again from the page the 409 gave back, it goes through.
    fields = row.select(f"[form=product-form-{loaf}]") + row.select(f"#product-form-{loaf} input[name]")
    again = staff_client.post(action, data=sent_by(fields) | {"active": ["0"]}, headers=BROWSER)
    assert again.status_code == 303 and product(app, loaf)["active"] is False


def test_a_stale_json_save_gets_409_with_the_current_values(app, staff_client, other_client, add_product):
    loaf = add_product(name="Rye Loaf", price="3.50", stock=10)
    read = staff_client.get("/staff/products", headers=JSON).get_json()
    version = next(p for p in read if p["id"] == loaf)["version"]
    assert other_client.post(f"/staff/products/{loaf}", json={"price": "4.00", "version": version}).status_code == 200
    response = staff_client.post(f"/staff/products/{loaf}", json={"price": "3.00", "version": version}, headers=JSON)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] and body["current"]["price"] == 4.0 and body["current"]["version"] == version + 1
    missing = staff_client.post(f"/staff/products/{loaf}", json={"price": "3.00"}, headers=JSON)
    assert missing.status_code == 409 and missing.get_json()["current"]["stock"] == 10
    assert product(app, loaf)["price"] == "4.00"


def test_the_second_of_two_product_form_saves_gets_the_form_back_at_409(app, staff_client, other_client, loaf):
    action, mine = edit_form(staff_client, loaf)
    _, theirs = edit_form(other_client, loaf)
    saved = other_client.post(
        action, data=theirs | {"name": ["Dark Rye"]}, headers=BROWSER, content_type="multipart/form-data"
    )
    assert saved.status_code == 303
    order(app.test_client(), loaf, 2)
    response = staff_client.post(
        action, data=mine | {"price": ["3.90"]}, headers=BROWSER, content_type="multipart/form-data"
    )
    assert response.status_code == 409
    page = soup_of(response)
    changes = {
        tr.select_one("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in page.select("#edit-conflict tbody tr")
    }
    assert changes["Name"][:2] == ["Rye Loaf", "Dark Rye"]
    assert changes["Stock"][:2] == ["10", "8"]
    assert changes["Price"] == ["3.50", "3.50", "3.90"]  # opened, now, typed (not saved)
    assert page.select_one("#name")["value"] == "Dark Rye" and page.select_one("#price")["value"] == "3.50"
    assert product(app, loaf) | {"active": None} == {"price": "3.50", "stock": 8, "name": "Dark Rye", "active": None}


def test_a_row_opened_before_a_product_was_retired_cannot_put_it_back_on_sale(app, staff_client, add_product):
    loaf = add_product(name="Rye Loaf", price="3.50", stock=10)
    action, form = row_form(staff_client, loaf)
    assert staff_client.post(f"/staff/products/{loaf}/retire", headers=BROWSER).status_code == 303
    response = staff_client.post(action, data=form | {"price": ["3.60"]}, headers=BROWSER)
    assert response.status_code == 409
    assert product(app, loaf)["active"] is False and product(app, loaf)["price"] == "3.50"


# Stock adjustments at the counter


def test_a_stock_adjustment_adds_and_takes_away_and_is_in_the_audit_log(app, staff_client, add_product):
    loaf = add_product(name="Rye Loaf", stock=10)
    page = soup_of(staff_client.get("/staff/products", headers=BROWSER))
    adjust = page.select_one(f"#product-{loaf} form.stock-adjust")
    assert adjust.select_one("input[name=change]") and adjust.select_one("input[name=reason]")
    response = staff_client.post(adjust["action"], data={"change": "+12", "reason": "baked"}, headers=HTMX)
    assert response.status_code == 200
    assert soup_of(response).select_one(f"tr#product-{loaf} input[name=stock]")["value"] == "22"
    assert (
        staff_client.post(adjust["action"], data={"change": "−3", "reason": "broken"}, headers=BROWSER).status_code
        == 303
    )
    assert product(app, loaf)["stock"] == 19
    with app.app_context():
        details = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "product.stock")).all()
    assert details == ["stock +12 (baked): 10 → 22", "stock −3 (broken): 22 → 19"]


@pytest.mark.parametrize("change", ["-20", "abc", "0", "", "1.5", "+100001"])
def test_a_stock_adjustment_below_zero_or_not_a_number_is_refused_at_the_field(app, staff_client, add_product, change):
    loaf = add_product(name="Rye Loaf", stock=10)
    response = staff_client.post(f"/staff/products/{loaf}/stock", data={"change": change}, headers=HTMX)
    assert response.status_code == 422
    assert soup_of(response).select_one(f"#change-error-{loaf}").get_text(strip=True)
    as_json = staff_client.post(f"/staff/products/{loaf}/stock", json={"change": change}, headers=JSON)
    assert as_json.status_code == 422 and as_json.get_json()["error"]
    assert product(app, loaf)["stock"] == 10


def test_a_stock_adjustment_does_not_make_an_open_price_edit_stale(app, staff_client, other_client, add_product):
    loaf = add_product(name="Rye Loaf", price="3.50", stock=10)
    action, mine = row_form(staff_client, loaf)
    assert other_client.post(f"/staff/products/{loaf}/stock", json={"change": 5}).status_code == 200
    assert staff_client.post(action, data=mine | {"price": ["3.70"]}, headers=BROWSER).status_code == 303
    assert (product(app, loaf)["price"], product(app, loaf)["stock"]) == ("3.70", 15)


@services_only
def test_adjustments_orders_and_price_saves_at_once_keep_the_exact_stock(make_app, add_product):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 30, "max_overflow": 0, "pool_timeout": 30})
    with app.app_context():
        create_staff(**STAFF)
    loaf = add_product(name="Rye Loaf", price="3.50", stock=500)
    staff = []
    for _ in range(11):
        client = app.test_client()
        assert client.post("/staff/login", data=STAFF, headers=BROWSER).status_code == 303
        staff.append(client)
    pricing = staff.pop()
    action, form = row_form(pricing, loaf)

    def adjust(client):
        return client.post(f"/staff/products/{loaf}/stock", json={"change": 7, "reason": "baked"}).status_code

    def buy(_):
        return post_order(app.test_client(), [{"id": loaf, "quantity": 2}]).status_code

    with ThreadPoolExecutor(max_workers=21) as pool:
        adjusted = pool.map(adjust, staff)
        bought = pool.map(buy, range(10))
        price_saved = pool.submit(
            lambda: pricing.post(action, data=form | {"price": ["3.60"]}, headers=BROWSER).status_code
        )
        adjusted, bought, price_saved = list(adjusted), list(bought), price_saved.result()
    assert adjusted == [200] * 10 and price_saved == 303
    assert set(bought) <= {201, 409} and 201 in bought
    assert product(app, loaf)["stock"] == 500 + 70 - 2 * bought.count(201)
    assert product(app, loaf)["price"] == "3.60"


# The calendar


def calendar_form(client, section):
    page = soup_of(client.get("/staff/calendar", headers=BROWSER))
    form = page.select_one(f"form[action$='/calendar/{section}']")
    return form["action"], sent_by(form.select("input[name]"))


def test_a_stale_capacity_save_gets_409_and_keeps_the_other_owners_value(app, staff_client, other_client):
    action, mine = calendar_form(staff_client, "capacity")
    _, theirs = calendar_form(other_client, "capacity")
    assert other_client.post(action, data=theirs | {"capacity": ["12"]}, headers=BROWSER).status_code == 303
    response = staff_client.post(action, data=mine | {"capacity": ["3"]}, headers=BROWSER)
    assert response.status_code == 409
    page = soup_of(response)
    alert = page.select_one("#capacity .form-alert").get_text(" ", strip=True)
    assert "8 → 12" in alert and "3" in alert
    assert page.select_one("#capacity-default")["value"] == "12"
    with app.app_context():
        assert db.session.get(CalendarSettings, 1).slot_capacity == 12


def test_a_stale_hours_save_gets_409_and_json_gets_the_current_calendar(app, staff_client, other_client):
    action, mine = calendar_form(staff_client, "hours")
    _, theirs = calendar_form(other_client, "hours")
    assert other_client.post(action, data=theirs | {"opens-0": ["08:00"]}, headers=HTMX).status_code == 200
    response = staff_client.post(action, data=mine | {"closes-1": ["17:00"]}, headers=HTMX)
    assert response.status_code == 409
    alert = soup_of(response).select_one("#hours .form-alert").get_text(" ", strip=True)
    assert "Monday" in alert and "08:00" in alert
    with app.app_context():
        assert str(db.session.get(WeeklyHours, 0).opens) == "08:00:00"
        assert str(db.session.get(WeeklyHours, 1).closes) == "18:30:00"
    typed = {name: values[-1] for name, values in mine.items() if name != "csrf_token"}
    stale = staff_client.post(action, data=json.dumps(typed), headers=JSON | {"Content-Type": "application/json"})
    body = stale.get_json()
    assert stale.status_code == 409 and body["error"] and body["current"]["weekly_hours"][0]["opens"] == "08:00"


# In Chromium: what a baker sees when their save came too late


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.once
def test_a_stale_save_in_the_browser_shows_what_changed_and_the_current_values(app, chromium, live_server):
    from playwright.sync_api import expect

    from tests.browser_tools import AXE, axe_violations, log_in_as_staff, snap

    with app.app_context():
        create_staff("ana", "secret-bread")
        baguette = db.session.scalar(select(Product).where(Product.name == "Baguette"))
        baguette_id, stock = baguette.id, baguette.stock
    mine, theirs = (chromium.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2))
    page, other = mine.new_page(), theirs.new_page()
    for each in (page, other):
        log_in_as_staff(each, live_server)
        each.goto(live_server + "/staff/products")
    row, other_row = (each.locator(f"#product-{baguette_id}") for each in (page, other))
    other_row.get_by_label("Price of Baguette in euros").fill("3.10")
    other_row.get_by_role("button", name="Save").click()
    expect(other_row.locator(".saved")).to_be_visible()
    other_row.get_by_label("Adjust by").fill("-2")
    other_row.get_by_label("Reason").fill("dropped")
    other_row.get_by_role("button", name="Adjust").click()
    expect(other_row.get_by_label("Stock of Baguette")).to_have_value(str(stock - 2))

    row.get_by_label("Baguette on sale").uncheck()
    row.get_by_role("button", name="Save").click()  # htmx swaps the row in, at 409
    alert = row.locator(".form-alert")
    expect(alert).to_contain_text("Price 2.90 → 3.10")
    expect(alert).to_contain_text(f"Stock {stock} → {stock - 2}")
    expect(alert).to_contain_text("Your change, not saved: On sale no")
    expect(row.get_by_label("Price of Baguette in euros")).to_have_value("3.10")
    page.locator(f"#product-{baguette_id}").scroll_into_view_if_needed()
    snap(page, "staff-edits-1-stale-row")
    violations = axe_violations(page) if AXE.exists() else []

    page.goto(live_server + f"/staff/products/{baguette_id}/edit")
    other.goto(live_server + f"/staff/products/{baguette_id}/edit")
    other.get_by_label("Name").fill("Baguette Tradition")
    other.get_by_role("button", name="Save changes").click()
    other.wait_for_url(re.compile(r"/staff/products(\?|#|$)"))
    page.get_by_label("Price (€)").fill("3.40")
    page.get_by_role("button", name="Save changes").click()
    conflict = page.locator("#edit-conflict")
    expect(conflict).to_contain_text("Someone else saved this product")
    expect(conflict.locator("tr", has_text="Name")).to_contain_text("Baguette Tradition")
    expect(conflict.locator("tr", has_text="Price")).to_contain_text("3.40")
    expect(page.get_by_label("Name")).to_have_value("Baguette Tradition")
    snap(page, "staff-edits-2-stale-form")
    violations += axe_violations(page) if AXE.exists() else []
    assert violations == []
    mine.close()
    theirs.close()
