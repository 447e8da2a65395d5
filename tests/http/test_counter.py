"""The counter (/staff/counter): sold, baked more and burnt move a baked product's day as deltas,
exactly, also while orders race for the last ones."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, ProductDay
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, ON_SERVICES, bake, sent_by, use_resource

THURSDAY = date(2026, 11, 26)
STAFF = {"username": "ana", "password": "secret-bread"}
POOL = {"pool_size": 40, "max_overflow": 0, "pool_timeout": 30} if ON_SERVICES else {"connect_args": {"timeout": 30}}


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """A Wednesday at 10:00; the counter is used for Thursday, a day orders can be placed for."""
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)


def logged_in(app):
    client = app.test_client()
    assert client.post("/staff/login", data=STAFF, headers=BROWSER).status_code == 303
    return client


@pytest.fixture
def staff(app):
    with app.app_context():
        create_staff(**STAFF)
    return logged_in(app)


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def order(app, product_id, quantity, hour=8):
    body = {"items": [{"id": product_id, "quantity": quantity}], "pickup_at": f"2026-11-26T{hour:02d}:00"}
    return app.test_client().post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})


def ledger(app, product_id, day=THURSDAY):
    """(taken, adjusted, counter_sold) of the product's day, or None when it has no row."""
    with app.app_context():
        row = db.session.get(ProductDay, (product_id, day))
        return (row.taken, row.adjusted, row.counter_sold) if row else None


def audit_details(app):
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action.like("product.counter.%")).order_by(AuditEntry.id)
        ).all()


def shown(client, product_id, day="2026-11-26"):
    """The product's row on the counter page, as staff read it."""
    row = soup_of(client.get(f"/staff/counter?date={day}", headers=BROWSER)).select_one(f"#counter-{product_id}")
    cells = ("planned", "ordered", "sold", "adjusted", "left")
    return {cell: row.select_one(f".counter-{cell}").get_text(" ", strip=True) for cell in cells}


def counter_form(client, product_id):
    page = soup_of(client.get("/staff/counter?date=2026-11-26", headers=BROWSER))
    form = page.select_one(f"#counter-{product_id} form.counter-form")
    return form["action"], sent_by(form.select("input[name], select[name]"))


def available(client, product_id, day="2026-11-26"):
    products = client.get(f"/products?day={day}", headers=JSON).get_json()
    return next(p["available"] for p in products if p["id"] == product_id)


def test_sold_baked_more_and_burnt_each_move_their_column_the_page_and_the_catalogue(app, staff, add_product):
    bun = bake(app, add_product(name="Counter Bun"), 10)
    assert order(app, bun, 3).status_code == 201
    assert shown(staff, bun) == {"planned": "10", "ordered": "3", "sold": "0", "adjusted": "0", "left": "7"}
    assert available(staff, bun) == 7

    action, form = counter_form(staff, bun)
    sold = staff.post(action, data=form | {"change": ["sold"], "amount": ["2"], "reason": ["walk-in"]}, headers=BROWSER)
    assert sold.status_code == 303 and "saved=" in sold.headers["Location"]
    after = soup_of(staff.get(sold.headers["Location"], headers=BROWSER))
    assert after.select_one(f"#counter-{bun} .saved").get_text(strip=True) == "✓ Recorded"
    assert ledger(app, bun) == (3, 0, 2)
    assert shown(staff, bun)["sold"] == "2" and shown(staff, bun)["left"] == "5"
    assert available(staff, bun) == 5

    baked = staff.post(action, data=form | {"change": ["baked"], "amount": ["5"]}, headers=HTMX)
    assert baked.status_code == 200
    row = soup_of(baked).select_one(f"#counter-{bun}")
    assert row.select_one(".counter-adjusted").get_text(strip=True) == "+5"
    assert row.select_one(".counter-left").get_text(" ", strip=True).startswith("10")
    assert ledger(app, bun) == (3, 5, 2) and available(staff, bun) == 10

    burnt = staff.post(action, json={"date": "2026-11-26", "change": "burnt", "amount": 1, "reason": "dropped"})
    assert burnt.status_code == 200
    assert burnt.get_json() | {"product": None} == {
        "product_id": bun,
        "product": None,
        "day": "2026-11-26",
        "planned": 10,
        "ordered": 3,
        "counter_sold": 2,
        "adjusted": 4,
        "available": 9,
        "short": 0,
        "warning": None,
    }
    assert ledger(app, bun) == (3, 4, 2) and available(staff, bun) == 9
    assert shown(staff, bun) == {"planned": "10", "ordered": "3", "sold": "2", "adjusted": "+4", "left": "9"}
    assert audit_details(app) == [
        "2026-11-26 sold at the counter +2 (walk-in): left 7 → 5",
        "2026-11-26 baked more +5: left 5 → 10",
        "2026-11-26 burnt −1 (dropped): left 10 → 9",
    ]
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.staff_username).where(AuditEntry.action.like("product.counter.%")))
        assert db.session.scalar(
            select(AuditEntry.object_id).where(AuditEntry.action == "product.counter.sold")
        ) == str(bun)


def test_a_counter_sale_of_more_than_is_left_is_refused_at_the_field_and_changes_nothing(app, staff, add_product):
    bun = bake(app, add_product(name="Counter Bun"), 6)
    assert order(app, bun, 2).status_code == 201
    action, form = counter_form(staff, bun)
    refused = staff.post(action, data=form | {"change": ["sold"], "amount": ["5"]}, headers=BROWSER)
    assert refused.status_code == 422
    page = soup_of(refused)
    assert page.select_one(f"#amount-error-{bun}").get_text(strip=True) == "Only 4 left for Thursday 26 November"
    assert page.select_one(f"#amount-{bun}")["value"] == "5"  # what was typed stays
    as_json = staff.post(action, json={"date": "2026-11-26", "change": "sold", "amount": 5}, headers=JSON)
    assert as_json.status_code == 422 and as_json.get_json()["error"] == "Only 4 left for Thursday 26 November"
    assert ledger(app, bun) == (2, 0, 0) and audit_details(app) == []
    assert available(staff, bun) == 4
    # All that is left can be sold; then none.
    assert staff.post(action, json={"date": "2026-11-26", "change": "sold", "amount": 4}).status_code == 200
    last = staff.post(action, json={"date": "2026-11-26", "change": "sold", "amount": 1})
    assert last.status_code == 422 and last.get_json()["error"] == "None left for Thursday 26 November"
    assert ledger(app, bun) == (2, 0, 4)


def test_a_first_counter_sale_over_the_day_makes_no_row(app, staff, add_product):
    bun = bake(app, add_product(name="Counter Bun"), 3)
    response = staff.post(f"/staff/counter/{bun}", json={"date": "2026-11-26", "change": "sold", "amount": 4})
    assert (
        response.status_code == 422
        and response.get_json()["details"]["amount"] == "Only 3 left for Thursday 26 November"
    )
    assert ledger(app, bun) is None


def test_burnt_below_what_orders_hold_is_recorded_with_a_warning(app, staff, add_product):
    bun = bake(app, add_product(name="Counter Bun"), 5)
    assert order(app, bun, 4).status_code == 201
    action, form = counter_form(staff, bun)
    burnt = staff.post(action, data=form | {"change": ["burnt"], "amount": ["3"]}, headers=HTMX)
    assert burnt.status_code == 200
    warning = soup_of(burnt).select_one(f"#counter-{bun} .counter-short").get_text(" ", strip=True)
    assert warning.endswith("Thursday 26 November is now 2 short of what orders hold")
    assert ledger(app, bun) == (4, -3, 0)
    assert available(staff, bun) == 0
    page = soup_of(staff.get("/staff/counter?date=2026-11-26", headers=BROWSER))
    assert "is now 2 short" in page.select_one(f"#counter-{bun} .counter-short").get_text()
    again = staff.post(action, json={"date": "2026-11-26", "change": "burnt", "amount": 1})
    assert again.status_code == 200 and again.get_json()["short"] == 3
    assert again.get_json()["warning"] == "Thursday 26 November is now 3 short of what orders hold"
    # More burnt than was baked is not possible.
    too_many = staff.post(action, json={"date": "2026-11-26", "change": "burnt", "amount": 2})
    assert too_many.status_code == 422
    assert too_many.get_json()["error"] == "Only 1 baked and not sold at the counter for Thursday 26 November"
    assert ledger(app, bun) == (4, -4, 0)
    assert len(audit_details(app)) == 2


BAD = {
    "amount 0": ({"amount": "0"}, "amount"),
    "amount text": ({"amount": "six"}, "amount"),
    "amount empty": ({"amount": ""}, "amount"),
    "amount negative": ({"amount": "-3"}, "amount"),
    "amount a fraction": ({"amount": "1.5"}, "amount"),
    "amount huge": ({"amount": "99999999999999999999"}, "amount"),
    "amount over the most": ({"amount": "10001"}, "amount"),
    "unknown change": ({"change": "eaten"}, "change"),
    "reason too long": ({"reason": "x" * 101}, "reason"),
    "a day gone by": ({"date": "2026-11-24"}, "date"),
    "a day past the horizon": ({"date": "2027-01-30"}, "date"),
    "not a day": ({"date": "Thursday"}, "date"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_a_readable_message_and_changes_nothing(app, staff, add_product, case):
    bun = bake(app, add_product(name="Counter Bun"), 10)
    changes, field = BAD[case]
    sent = {"date": "2026-11-26", "change": "sold", "amount": "2"} | changes
    page = staff.post(f"/staff/counter/{bun}", data=sent, headers=BROWSER)
    assert page.status_code == 422
    alert = soup_of(page).select_one(f"#{field}-error-{bun}, .field-error, .form-alert")
    assert alert is not None and alert.get_text(strip=True)
    as_json = staff.post(f"/staff/counter/{bun}", json=sent)
    assert as_json.status_code == 422 and as_json.get_json()["details"][field]
    assert ledger(app, bun) is None and audit_details(app) == []


def test_a_stocked_or_unknown_product_or_an_unknown_field_is_refused(app, staff, add_product):
    roll = add_product(name="Stocked Roll", stock=10)
    sent = {"date": "2026-11-26", "change": "sold", "amount": 1}
    stocked = staff.post(f"/staff/counter/{roll}", json=sent)
    assert stocked.status_code == 422 and "counted by its stock" in stocked.get_json()["error"]
    page = staff.post(f"/staff/counter/{roll}", data=sent, headers=BROWSER)
    assert page.status_code == 422 and "counted by its stock" in soup_of(page).select_one(".form-alert").get_text()
    assert staff.post("/staff/counter/999999", json=sent).status_code == 404
    unknown = staff.post(f"/staff/counter/{roll}", json=sent | {"how_many": 2})
    assert unknown.status_code == 422 and "how_many" in json.dumps(unknown.get_json())
    bun = bake(app, add_product(name="Counter Bun"), 10)
    odd = staff.post(f"/staff/counter/{bun}", json={"change": {}, "amount": [1], "date": ""})
    assert odd.status_code == 422 and odd.get_json()["details"]["change"]
    assert ledger(app, bun) is None
    assert ledger(app, roll) is None and audit_details(app) == []


def test_the_page_and_the_changes_are_for_staff_only(app, add_product):
    bun = bake(app, add_product(name="Counter Bun"), 10)
    client = app.test_client()
    assert client.get("/staff/counter", headers=JSON).status_code == 401
    sent = {"date": "2026-11-26", "change": "sold", "amount": 1}
    assert client.post(f"/staff/counter/{bun}", json=sent).status_code == 401
    assert ledger(app, bun) is None


def test_a_form_without_its_csrf_token_is_refused(make_app, add_product):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_staff(**STAFF)
    client = app.test_client()
    login = soup_of(client.get("/staff/login", headers=BROWSER)).select_one("form input[name=csrf_token]")["value"]
    assert client.post("/staff/login", data=STAFF | {"csrf_token": login}, headers=BROWSER).status_code == 303
    bun = bake(app, add_product(name="Counter Bun"), 10)
    action, form = counter_form(client, bun)
    assert form["csrf_token"][0]
    without = {name: values for name, values in form.items() if name != "csrf_token"}
    refused = client.post(action, data=without | {"amount": ["2"]}, headers=BROWSER)
    assert refused.status_code == 400 and refused.get_data(as_text=True).strip()
    assert ledger(app, bun) is None
    assert client.post(action, data=form | {"amount": ["2"]}, headers=BROWSER).status_code == 303
    assert ledger(app, bun) == (0, 0, 2)


def test_the_counter_page_lists_the_days_baked_products_and_is_in_the_menu(app, staff, add_product):
    bun = bake(app, add_product(name="Counter Bun"), {3: 12})  # Thursdays only
    roll = add_product(name="Stocked Roll")
    page = soup_of(staff.get("/staff/counter?date=2026-11-26", headers=BROWSER))
    assert page.select_one(".staff-menu a[aria-current=page]").get_text(strip=True) == "Counter"
    assert page.select_one(f"#counter-{bun} .counter-planned").get_text(strip=True) == "12"
    assert page.select_one(f"#counter-{roll}") is None
    assert staff.get("/staff/counter", headers=BROWSER).status_code == 200  # today
    listed = staff.get("/staff/counter?date=2026-11-27", headers=JSON).get_json()
    assert [(row["product_id"], row["planned"]) for row in listed] == [(bun, 0)]
    outside = staff.get("/staff/counter?date=2027-01-30", headers=BROWSER)
    assert outside.status_code == 422 and soup_of(outside).select_one("#day-field-error").get_text(strip=True)


# Concurrency: counter sales and orders racing for the last few of a day.


def test_counter_sales_and_orders_racing_for_the_last_ones_never_sell_more_than_there_is(app, add_product):
    with app.app_context():
        create_staff(**STAFF)
    bun = bake(app, add_product(name="Last Bun"), 30)
    assert order(app, bun, 20).status_code == 201  # 10 left
    tills = [logged_in(app) for _ in range(8)]

    def sell(till):
        sent = {"date": "2026-11-26", "change": "sold", "amount": 1}
        return [till.post(f"/staff/counter/{bun}", json=sent).status_code for _ in range(2)]

    def buy(n):
        return order(app, bun, 1, hour=8 + n % 10).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        sales = pool.map(sell, tills)
        orders = pool.map(buy, range(16))
        sales, orders = [code for codes in sales for code in codes], list(orders)
    assert set(sales) <= {200, 422} and set(orders) <= {201, 409}
    sold, bought = sales.count(200), orders.count(201)
    assert sold + bought == 10
    taken, adjusted, counter_sold = ledger(app, bun)
    assert (taken, adjusted, counter_sold) == (20 + bought, 0, sold)
    assert len(audit_details(app)) == sold
    assert available(app.test_client(), bun) == 0


def test_burnt_trays_and_orders_at_once_keep_the_exact_counts(app, add_product):
    with app.app_context():
        create_staff(**STAFF)
    bun = bake(app, add_product(name="Busy Bun"), 100)
    tills = [logged_in(app) for _ in range(6)]

    def change(pair):
        till, kind = pair
        sent = {"date": "2026-11-26", "change": kind, "amount": 2}
        return [till.post(f"/staff/counter/{bun}", json=sent).status_code for _ in range(3)]

    with ThreadPoolExecutor(max_workers=18) as pool:
        changed = pool.map(change, zip(tills, ["baked", "burnt", "sold"] * 2, strict=True))
        orders = pool.map(lambda n: order(app, bun, 1, hour=8 + n % 10).status_code, range(12))
        changed, orders = [code for codes in changed for code in codes], list(orders)
    assert changed == [200] * 18 and orders == [201] * 12
    assert ledger(app, bun) == (12, 0, 12)
    with app.app_context():
        entries = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("product.counter.%"))
        )
    assert entries == 18
    assert available(app.test_client(), bun) == 100 - 12 - 12


def test_a_product_made_to_order_is_not_on_the_counter(app, staff, add_product):
    cake = add_product(name="Birthday Cake")
    use_resource(app, cake, ("Deck oven", "trays", 4), to_order=True)
    assert order(app, cake, 1).status_code == 201
    rows = staff.get("/staff/counter?date=2026-11-26", headers=JSON).get_json()
    assert cake not in [row["product_id"] for row in rows]
    refused = staff.post(f"/staff/counter/{cake}", json={"date": "2026-11-26", "change": "sold", "amount": 1})
    assert refused.status_code == 422 and "made to order" in refused.get_json()["error"]
    assert ledger(app, cake) == (1, 0, 0) and audit_details(app) == []
