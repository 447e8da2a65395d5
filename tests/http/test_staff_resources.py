"""Staff keep the resources (the Ovens page) and what a product's batch uses (the product form), with and
without JavaScript and in JSON; bad input is refused at its field and changes nothing."""

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Product, Resource
from tests.helpers import BROWSER, HTMX, JSON, bake, sent_by, use_resource


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def staff(staff_client):
    """The staff member (and owner) "ana", logged in (conftest.py)."""
    return staff_client


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def add_form(client):
    form = soup_of(client.get("/staff/resources", headers=BROWSER)).select_one("#resource-add")
    return form["action"], sent_by(form.select("input[name]"))


def resources_in(app):
    with app.app_context():
        return [(r.name, r.unit, r.per_day) for r in db.session.scalars(select(Resource).order_by(Resource.id))]


def test_a_baker_adds_an_oven_without_javascript_and_sees_it_on_the_page(app, staff):
    action, fields = add_form(staff)
    answer = staff.post(action, data=fields | {"name": ["Deck oven"], "per_day": ["40"]}, headers=BROWSER)
    assert answer.status_code == 303
    page = soup_of(staff.get(answer.headers["Location"], headers=BROWSER))
    assert resources_in(app) == [("Deck oven", "trays", 40)]
    row = page.select_one(".load-week tbody tr")
    assert row.th.get_text(" ", strip=True) == "Deck oven (trays)"
    assert [cell.get_text(" ", strip=True) for cell in row.select("td")][:2] == ["0 of 40", "0 of 40"]
    assert page.select_one(".saved").get_text(strip=True) == "✓ Saved"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.added"))
        assert entry.detail == "Deck oven: 40 trays a day"


def test_with_htmx_the_section_is_swapped_and_json_gets_the_resource(app, staff):
    action, fields = add_form(staff)
    fragment = staff.post(
        action, data=fields | {"name": ["Proofer"], "unit": ["racks"], "per_day": ["12"]}, headers=HTMX
    )
    assert fragment.status_code == 201
    assert soup_of(fragment).select_one("#resources .resource-row input[name=name]")["value"] == "Proofer"
    created = staff.post("/staff/resources", json={"name": "Deck oven", "unit": "trays", "per_day": 40}, headers=JSON)
    assert created.status_code == 201
    assert created.get_json() | {"id": 0} == {"id": 0, "name": "Deck oven", "unit": "trays", "per_day": 40}
    listed = staff.get("/staff/resources?date=2026-11-26", headers=JSON).get_json()
    assert [(r["name"], len(r["days"]), r["days"][0]["day"]) for r in listed] == [
        ("Deck oven", 7, "2026-11-26"),
        ("Proofer", 7, "2026-11-26"),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": [""]}, "name"),
        ({"name": ["x" * 61]}, "name"),
        ({"name": ["Oven\u202e"]}, "name"),
        ({"unit": [""]}, "unit"),
        ({"per_day": ["lots"]}, "per_day"),
        ({"per_day": ["-1"]}, "per_day"),
        ({"per_day": ["100001"]}, "per_day"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(app, staff, changes, field):
    action, fields = add_form(staff)
    answer = staff.post(action, data=fields | {"name": ["Deck oven"], "per_day": ["40"]} | changes, headers=BROWSER)
    assert answer.status_code == 422
    assert soup_of(answer).select_one(f"#new-{field}-error").get_text()
    assert soup_of(answer).select_one(f"#new-{field}")["aria-invalid"] == "true"
    as_json = staff.post(
        "/staff/resources",
        json={"name": "Deck oven", "unit": "trays", "per_day": 40} | {k: v[0] for k, v in changes.items()},
        headers=JSON,
    )
    assert as_json.status_code == 422
    assert field in as_json.get_json()["details"]
    assert resources_in(app) == []


def test_a_name_is_used_once_and_an_unknown_field_is_refused(app, staff):
    body = {"name": "Deck oven", "unit": "trays", "per_day": 40}
    assert staff.post("/staff/resources", json=body, headers=JSON).status_code == 201
    again = staff.post("/staff/resources", json=body, headers=JSON)
    assert again.status_code == 422
    assert "already" in again.get_json()["details"]["name"]
    assert staff.post("/staff/resources", json=body | {"colour": "red"}, headers=JSON).status_code == 422
    assert (
        staff.post("/staff/resources", data="[1]", headers=JSON | {"Content-Type": "application/json"}).status_code
        == 400
    )


def test_changing_and_removing_a_resource(app, staff, products):
    oven = use_resource(app, products["Lemon Tart"], ("Deck oven", "trays", 40), to_order=True)
    changed = staff.post(
        f"/staff/resources/{oven}", json={"name": "Deck oven", "unit": "trays", "per_day": 30}, headers=JSON
    )
    assert changed.status_code == 200 and changed.get_json()["per_day"] == 30
    page = soup_of(staff.get("/staff/resources", headers=BROWSER))
    assert page.select_one(".resource-users").get_text(strip=True) == "Used by Lemon Tart."
    removed = staff.post(f"/staff/resources/{oven}/delete", headers=BROWSER)
    assert removed.status_code == 303
    assert resources_in(app) == []
    with app.app_context():
        assert db.session.get(Product, products["Lemon Tart"]).per_batch == {}
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["resource.changed", "resource.removed"]
    assert staff.post("/staff/resources/999/delete", headers=JSON).status_code == 404


def test_the_week_starts_on_a_day_in_the_horizon(app, staff):
    assert staff.get("/staff/resources?date=2026-13-01", headers=BROWSER).status_code == 422
    assert staff.get("/staff/resources?date=2025-01-01", headers=JSON).status_code == 422


# The product form: batch size, what a batch uses, made to order.


def edit_form(client, product_id):
    page = soup_of(client.get(f"/staff/products/{product_id}/edit", headers=BROWSER))
    form = page.select_one("#product-form")
    return form["action"], sent_by(form.select("input[name], select[name], textarea[name]"))


def test_a_baker_says_what_a_batch_makes_and_uses_on_the_product_form(app, staff, products):
    croissant = bake(app, products["Butter Croissant"], 24)
    staff.post("/staff/resources", json={"name": "Deck oven", "unit": "trays", "per_day": 40}, headers=JSON)
    action, fields = edit_form(staff, croissant)
    assert fields["use_resource"] and fields["use_per_batch"] == [""]
    answer = staff.post(action, data=fields | {"batch_size": ["12"], "use_per_batch": ["1"]}, headers=BROWSER)
    assert answer.status_code == 303
    with app.app_context():
        product = db.session.get(Product, croissant)
        assert (product.batch_size, list(product.per_batch.values()), product.to_order) == (12, [1], False)
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "product.update")).all()[-1]
        assert entry.detail == "batch size — → 12; uses — → Deck oven 1"
    _, again = edit_form(staff, croissant)
    assert (again["batch_size"], again["use_per_batch"]) == (["12"], ["1"])
    bake_list = staff.get("/staff/bake-list?date=2026-11-26", headers=JSON).get_json()
    assert [(line["for_counter"], line["batches"]) for line in bake_list["lines"]] == [(24, 2)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"batch_size": ["0"]}, "batch_size"),
        ({"batch_size": ["a dozen"]}, "batch_size"),
        ({"use_per_batch": ["0"]}, "use_per_batch_{oven}"),
        ({"use_per_batch": ["1001"]}, "use_per_batch_{oven}"),
        ({"to_order": ["0", "1"]}, "to_order"),  # made to order, but using nothing
        ({"use_resource": ["999"], "use_per_batch": ["1"]}, "use_resource"),
    ],
)
def test_bad_batch_fields_are_refused_at_the_field(app, staff, products, changes, field):
    croissant = bake(app, products["Butter Croissant"], 24)
    oven = staff.post(
        "/staff/resources", json={"name": "Deck oven", "unit": "trays", "per_day": 40}, headers=JSON
    ).get_json()["id"]
    action, fields = edit_form(staff, croissant)
    answer = staff.post(action, data=fields | changes, headers=BROWSER)
    assert answer.status_code == 422
    field = field.format(oven=oven)
    assert soup_of(answer).select_one(f"#{field}-error").get_text()
    with app.app_context():
        product = db.session.get(Product, croissant)
        assert (product.batch_size, product.per_batch, product.to_order) == (None, {}, False)


def test_a_cake_made_to_order_is_offered_as_the_oven_allows(app, staff, products):
    tart = products["Lemon Tart"]
    oven = staff.post(
        "/staff/resources", json={"name": "Deck oven", "unit": "trays", "per_day": 3}, headers=JSON
    ).get_json()["id"]
    action, fields = edit_form(staff, tart)
    chosen = {"kind": ["baked"], "to_order": ["0", "1"], "use_per_batch": ["1"]}
    answer = staff.post(action, data=fields | chosen, headers=JSON)
    assert answer.status_code == 200
    assert (answer.get_json()["to_order"], answer.get_json()["uses"]) == (True, [{"resource_id": oven, "per_batch": 1}])
    shop = app.test_client().get("/products?day=2026-11-26", headers=JSON).get_json()
    assert next(p for p in shop if p["id"] == tart)["available"] == 3
