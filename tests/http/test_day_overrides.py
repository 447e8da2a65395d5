"""Dates that differ from the week: staff give a baked product another amount on one date (Christmas Eve:
200; closed for inventory: 0) on its edit page, with and without htmx, and in JSON."""

import json
from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, ProductDayAmount
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, bake, sent_by

STAFF = {"username": "ana", "password": "secret-bread"}
# A Wednesday morning; Thursday 3 December is within the 14 days customers can order for.
NOW = datetime(2026, 11, 25, 10, 0)
THURSDAY = "2026-12-03"
PAST = "That date is past: choose today or a later one."


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


@pytest.fixture
def staff(staff_client):
    """The staff member (and owner) "ana", logged in (conftest.py)."""
    return staff_client


@pytest.fixture
def croissant(app, add_product):
    """Baked daily: 120 on Thursdays, 80 on the other weekdays but Sunday (none)."""
    return bake(app, add_product(name="Croissant"), {0: 80, 1: 80, 2: 80, 3: 120, 4: 80, 5: 80})


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def edit_page(client, product_id):
    return soup_of(client.get(f"/staff/products/{product_id}/edit", headers=BROWSER))


def add_form(client, product_id):
    """The section's add form as a browser posts it: (action, fields) with the CSRF token."""
    form = edit_page(client, product_id).select_one("#day-amounts form.day-amount-form")
    return form["action"], sent_by(form.select("input[name]"))


def listed(soup):
    """The section's dates as staff read them: [(date, usually, that date)]."""
    return [
        (
            row.select_one("time")["datetime"],
            row.select_one(".day-usual").get_text(strip=True),
            row.select_one(".day-amount").get_text(strip=True),
        )
        for row in soup.select("#day-amounts tbody tr")
    ]


def stored(app, product_id):
    with app.app_context():
        rows = db.session.execute(
            select(ProductDayAmount.day, ProductDayAmount.amount)
            .where(ProductDayAmount.product_id == product_id)
            .order_by(ProductDayAmount.day)
        )
        return {day.isoformat(): amount for day, amount in rows.all()}


def audit_entries(app):
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.staff_username, AuditEntry.detail)
            .where(AuditEntry.action.like("product.day_amount.%"))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows.all()]


def available(client, product_id, day=THURSDAY):
    products = client.get(f"/products?day={day}", headers=JSON).get_json()
    assert isinstance(products, list), products
    return next(p["available"] for p in products if p["id"] == product_id)


def test_a_date_added_in_the_browser_is_listed_audited_and_ordered_from(app, staff, croissant):
    assert available(staff, croissant) == 120
    section = edit_page(staff, croissant).select_one("#day-amounts")
    assert section.select_one("h2").get_text(strip=True) == "Dates that differ from the week"
    assert section.select_one(".empty") and listed(section) == []

    action, form = add_form(staff, croissant)
    assert action == f"/staff/products/{croissant}/days"
    saved = staff.post(action, data=form | {"day": [THURSDAY], "amount": ["200"]}, headers=BROWSER)
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/staff/products/{croissant}/edit#day-amounts"

    page = soup_of(staff.get(saved.headers["Location"], headers=BROWSER))
    assert page.select_one("#day-amounts .saved").get_text(strip=True) == (
        "✓ Thursday 3 December: 200 baked instead of the usual 120."
    )
    assert listed(page) == [(THURSDAY, "120", "200")]
    assert page.select_one("#day-amounts tbody th").get_text(strip=True) == "Thursday 3 December"
    assert edit_page(staff, croissant).select_one("#day-amounts .saved") is None  # flashed once
    assert stored(app, croissant) == {THURSDAY: 200}
    assert available(staff, croissant) == 200
    assert available(staff, croissant, "2026-11-26") == 120  # another Thursday keeps the week's amount
    assert audit_entries(app) == [("product.day_amount.set", "ana", "2026-12-03 baked 200 instead of Thursday's 120")]
    history = page.select_one("#product-history .audit-entry").get_text(" ", strip=True)
    assert "2026-12-03 baked 200 instead of Thursday's 120" in history


def test_an_existing_date_is_replaced_and_a_removed_one_falls_back_to_its_weekday(app, staff, croissant):
    action, form = add_form(staff, croissant)
    staff.post(action, data=form | {"day": [THURSDAY], "amount": ["200"]}, headers=BROWSER)
    replaced = staff.post(action, data=form | {"day": [THURSDAY], "amount": ["150"]}, headers=BROWSER)
    assert replaced.status_code == 303
    assert stored(app, croissant) == {THURSDAY: 150} and available(staff, croissant) == 150

    remove = edit_page(staff, croissant).select_one(f"#day-{THURSDAY} form")
    assert remove["action"] == f"/staff/products/{croissant}/days/{THURSDAY}/delete"
    assert remove.select_one("button").get_text(" ", strip=True) == "Remove : Thursday 3 December"
    removed = staff.post(remove["action"], data=sent_by(remove.select("input[name]")), headers=BROWSER)
    assert removed.status_code == 303
    page = soup_of(staff.get(removed.headers["Location"], headers=BROWSER))
    assert page.select_one("#day-amounts .saved").get_text(strip=True) == (
        "✓ Thursday 3 December: back to the usual 120."
    )
    assert listed(page) == [] and stored(app, croissant) == {}
    assert available(staff, croissant) == 120
    assert [entry[2] for entry in audit_entries(app)] == [
        "2026-12-03 baked 200 instead of Thursday's 120",
        "2026-12-03 baked 200 → 150",
        "2026-12-03 baked 150 → Thursday's 120",
    ]
    assert [entry[0] for entry in audit_entries(app)][-1] == "product.day_amount.remove"


def test_closed_for_inventory_zero_leaves_nothing_to_order(app, staff, croissant):
    assert staff.post(f"/staff/products/{croissant}/days", json={"day": THURSDAY, "amount": 0}).status_code == 200
    assert available(staff, croissant) == 0
    assert listed(edit_page(staff, croissant)) == [(THURSDAY, "120", "0")]


def test_htmx_gets_the_section_and_the_history_swapped_in_place(app, staff, croissant):
    action, form = add_form(staff, croissant)
    response = staff.post(action, data=form | {"day": ["2026-12-24"], "amount": ["200"]}, headers=HTMX)
    assert response.status_code == 200
    fragment = soup_of(response)
    section = fragment.select_one("section#day-amounts")
    assert section is not None and fragment.select_one("#product-form") is None
    saved = section.select_one(".saved").get_text(strip=True)
    assert saved == "✓ Thursday 24 December: 200 baked instead of the usual 120."
    assert listed(fragment) == [("2026-12-24", "120", "200")]
    for form_tag in section.select("form"):
        assert form_tag["hx-post"] == form_tag["action"] and form_tag["hx-target"] == "#day-amounts"
    history = fragment.select_one("#product-history")
    assert history["hx-swap-oob"] == "true" and "2026-12-24 baked 200" in history.get_text()

    removed = staff.post(f"/staff/products/{croissant}/days/2026-12-24/delete", data={}, headers=HTMX)
    assert removed.status_code == 200
    assert listed(soup_of(removed)) == [] and soup_of(removed).select_one("#day-amounts .empty")


def test_json_adds_replaces_and_removes_and_the_edit_page_lists_them(app, staff, croissant):
    url = f"/staff/products/{croissant}/days"
    added = staff.post(url, json={"day": "2026-12-24", "amount": 200}, headers=JSON)
    assert added.status_code == 200
    body = added.get_json()
    assert body["id"] == croissant and body["kind"] == "baked"
    assert body["day_amounts"] == [{"day": "2026-12-24", "amount": 200, "weekday_amount": 120, "open": True}]
    staff.post(url, json={"day": THURSDAY, "amount": "90"}, headers=JSON)
    page = staff.get(f"/staff/products/{croissant}/edit", headers=JSON).get_json()
    assert [(a["day"], a["amount"]) for a in page["day_amounts"]] == [(THURSDAY, 90), ("2026-12-24", 200)]

    removed = staff.post(f"{url}/2026-12-24/delete", headers=JSON)
    assert removed.status_code == 200
    assert [a["day"] for a in removed.get_json()["day_amounts"]] == [THURSDAY]
    again = staff.post(f"{url}/2026-12-24/delete", headers=JSON)
    assert again.status_code == 404 and "no amount of its own" in again.get_json()["error"]


def test_past_dates_are_neither_listed_nor_changed(app, staff, croissant):
    with app.app_context():
        db.session.add(ProductDayAmount(product_id=croissant, day=date(2026, 11, 20), amount=5))
        db.session.commit()
    assert listed(edit_page(staff, croissant)) == []
    assert staff.get(f"/staff/products/{croissant}/edit", headers=JSON).get_json()["day_amounts"] == []

    refused = staff.post(f"/staff/products/{croissant}/days", json={"day": "2026-11-24", "amount": 10})
    assert refused.status_code == 422
    assert refused.get_json() == {
        "error": "Please check the highlighted fields.",
        "details": {"day": PAST},
    }
    gone = staff.post(f"/staff/products/{croissant}/days/2026-11-20/delete", headers=JSON)
    assert gone.status_code == 422 and gone.get_json()["details"] == {"day": PAST}
    assert stored(app, croissant) == {"2026-11-20": 5}
    # Today is not past: the rest of the day can still change.
    assert staff.post(f"/staff/products/{croissant}/days", json={"day": "2026-11-25", "amount": 10}).status_code == 200


@pytest.mark.parametrize(
    "sent,field,message",
    [
        ({"day": "2026-02-30", "amount": "5"}, "day", "A date like 2026-12-24."),
        ({"day": "24.12.2026", "amount": "5"}, "day", "A date like 2026-12-24."),
        ({"day": "20261224", "amount": "5"}, "day", "A date like 2026-12-24."),
        ({"day": "", "amount": "5"}, "day", "A date like 2026-12-24."),
        (
            {"day": "2027-11-26", "amount": "5"},
            "day",
            "Choose a date within a year: Thursday 25 November 2027 at the latest.",
        ),
        ({"day": THURSDAY, "amount": "-1"}, "amount", "A whole number from 0 to 100000; 0: none baked that date."),
        ({"day": THURSDAY, "amount": "2.5"}, "amount", "A whole number from 0 to 100000; 0: none baked that date."),
        ({"day": THURSDAY, "amount": "100001"}, "amount", "A whole number from 0 to 100000; 0: none baked that date."),
        ({"day": THURSDAY, "amount": ""}, "amount", "A whole number from 0 to 100000; 0: none baked that date."),
        ({"day": THURSDAY, "amount": "٣"}, "amount", "A whole number from 0 to 100000; 0: none baked that date."),
    ],
)
def test_a_bad_date_or_amount_is_shown_at_its_field_and_changes_nothing(app, staff, croissant, sent, field, message):
    action, form = add_form(staff, croissant)
    typed = {name: [value] for name, value in sent.items()}
    page = staff.post(action, data=form | typed, headers=BROWSER)
    assert page.status_code == 422
    soup = soup_of(page)
    assert soup.select_one("#day-amounts .form-alert").get_text(strip=True) == "Please check the highlighted fields."
    assert soup.select_one(f"#day-amount-{field}-error").get_text(strip=True) == message
    assert soup.select_one(f"#day-amount-{field}")["aria-invalid"] == "true"
    assert soup.select_one("#day-amount-day")["value"] == sent["day"]  # what was typed stays
    assert soup.select_one("#product-form")  # the whole page, without JavaScript

    fragment = staff.post(action, data=form | typed, headers=HTMX)
    assert fragment.status_code == 422
    assert soup_of(fragment).select_one(f"#day-amount-{field}-error").get_text(strip=True) == message
    assert soup_of(fragment).select_one("#product-form") is None

    refused = staff.post(action, json=sent, headers=JSON)
    assert refused.status_code == 422
    assert refused.get_json()["details"] == {field: message}
    assert stored(app, croissant) == {} and audit_entries(app) == []


@pytest.mark.parametrize("amount", [True, 1.5, None, [3]])
def test_a_json_amount_that_is_not_a_whole_number_is_refused(staff, croissant, amount):
    refused = staff.post(f"/staff/products/{croissant}/days", json={"day": THURSDAY, "amount": amount})
    assert refused.status_code == 422 and set(refused.get_json()["details"]) == {"amount"}


def test_an_unknown_json_member_or_date_in_the_path_is_refused(staff, croissant):
    misspelt = staff.post(f"/staff/products/{croissant}/days", json={"date": THURSDAY, "amount": 5})
    assert misspelt.status_code == 422 and "date" in misspelt.get_json()["error"]
    assert staff.post(f"/staff/products/{croissant}/days/2026-13-01/delete", headers=JSON).status_code == 404
    assert staff.post(f"/staff/products/{croissant}/days/tomorrow/delete", headers=JSON).status_code == 404
    assert staff.post("/staff/products/999999/days", json={"day": THURSDAY, "amount": 5}).status_code == 404


def test_a_stocked_product_has_no_section_and_is_refused_clearly(app, staff, add_product):
    jam = add_product(name="Apricot Jam")
    page = edit_page(staff, jam)
    assert page.select_one("#product-form") and page.select_one("#day-amounts") is None

    refused = staff.post(f"/staff/products/{jam}/days", json={"day": THURSDAY, "amount": 5})
    assert refused.status_code == 409
    assert refused.get_json()["error"].startswith("Apricot Jam is stocked: only a product baked daily")
    html = staff.post(f"/staff/products/{jam}/days", data={"day": THURSDAY, "amount": "5"}, headers=BROWSER)
    assert html.status_code == 409
    alert = soup_of(html).select_one("#day-amounts .form-alert").get_text(strip=True)
    assert alert.startswith("Apricot Jam is stocked")
    assert soup_of(html).select_one("#day-amounts form") is None
    fragment = staff.post(f"/staff/products/{jam}/days", data={"day": THURSDAY, "amount": "5"}, headers=HTMX)
    assert fragment.status_code == 409 and soup_of(fragment).select_one("#day-amounts .form-alert")
    assert stored(app, jam) == {} and audit_entries(app) == []


def test_a_closed_date_is_marked_in_the_list(app, staff, croissant):
    staff.post(f"/staff/products/{croissant}/days", json={"day": "2026-11-29", "amount": 10})  # a Sunday
    row = edit_page(staff, croissant).select_one("#day-2026-11-29")
    assert row.select_one(".day-closed").get_text(strip=True) == "the shop is closed"
    assert row.select_one(".day-usual").get_text(strip=True) == "0"


def test_a_date_next_year_shows_its_year(app, staff, croissant):
    staff.post(f"/staff/products/{croissant}/days", json={"day": "2027-01-07", "amount": 10})
    assert edit_page(staff, croissant).select_one("#day-2027-01-07 time").get_text() == "Thursday 7 January 2027"


def test_only_staff_can_change_dates(app, croissant):
    visitor = app.test_client()
    assert visitor.post(f"/staff/products/{croissant}/days", json={"day": THURSDAY, "amount": 5}).status_code == 401
    page = visitor.post(f"/staff/products/{croissant}/days", data={"day": THURSDAY, "amount": "5"}, headers=BROWSER)
    assert page.status_code == 303 and "/staff/login" in page.headers["Location"]
    assert stored(app, croissant) == {}


def test_a_form_post_needs_the_csrf_token(make_app, add_product):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_staff(**STAFF)
    product = bake(app, add_product(name="Croissant"), 80)
    client = app.test_client()
    login = soup_of(client.get("/staff/login", headers=BROWSER)).select_one("form input[name=csrf_token]")["value"]
    assert client.post("/staff/login", data=STAFF | {"csrf_token": login}, headers=BROWSER).status_code == 303

    without = client.post(f"/staff/products/{product}/days", data={"day": THURSDAY, "amount": "5"}, headers=BROWSER)
    assert without.status_code == 400
    token = json.loads(edit_page(client, product).body["hx-headers"])
    htmx = client.post(f"/staff/products/{product}/days", data={"day": THURSDAY, "amount": "5"}, headers=HTMX)
    assert htmx.status_code == 400
    assert stored(app, product) == {}

    action, form = add_form(client, product)
    assert client.post(action, data=form | {"day": [THURSDAY], "amount": ["5"]}, headers=BROWSER).status_code == 303
    remove = f"/staff/products/{product}/days/{THURSDAY}/delete"
    assert client.post(remove, data={}, headers=BROWSER).status_code == 400
    assert client.post(remove, data={}, headers=HTMX | token).status_code == 200
    assert stored(app, product) == {}


def test_the_products_list_links_a_baked_product_to_the_counter(staff, croissant, add_product):
    jam = add_product(name="Apricot Jam")
    page = soup_of(staff.get("/staff/products", headers=BROWSER))
    link = page.select_one(f"#product-{croissant} a.product-counter")
    assert link["href"] == f"/staff/counter#counter-{croissant}"
    assert link.get_text(" ", strip=True) == "Counter: sold, baked more, burnt (Croissant)"
    assert page.select_one(f"#product-{jam} a.product-counter") is None
    counter = soup_of(staff.get(link["href"], headers=BROWSER))
    assert counter.select_one(f"#counter-{croissant}")  # the row the link lands on
