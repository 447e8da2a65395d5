"""Product options through the API: the catalogue shows them, an order chooses them (priced by the server,
kept as they were chosen), bad choices are a 422 naming the line and the option with nothing written, and
staff keep them in JSON."""

import json
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, OptionChoice, Order, OrderItemOption, Product, ProductOption
from tests.helpers import BROWSER, JSON, post_order

CAKE = "Birthday Cake"


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """Wednesday 25 November 2026, 10:00: the shop is open, later days are ordinary opening days."""
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def cake(app, products):
    """The demo birthday cake, stocked (20) and with the shop's own lead time; {name: id} of it, its options
    ("Size", "Filling", "Inscription") and their choices ("6″", "Lemon", …), and the loaf's "Sliced"."""
    with app.app_context():
        product = db.session.get(Product, products[CAKE])
        product.stock, product.lead_hours = 20, None
        db.session.commit()
        ids = {"cake": product.id, "loaf": products["Sourdough Loaf"], "croissant": products["Butter Croissant"]}
        for option in db.session.scalars(select(ProductOption)):
            ids[option.name] = option.id
            ids.update({choice.name: choice.id for choice in option.choices})
        return ids


def options_of(client, product_id):
    return next(p for p in client.get("/products", headers=JSON).get_json() if p["id"] == product_id)["options"]


def counts(app):
    """(orders, chosen options, the cake's stock): what a refused order must leave as it was."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Order)),
            db.session.scalar(select(func.count()).select_from(OrderItemOption)),
            db.session.scalar(select(Product.stock).where(Product.name == CAKE)),
        )


def cake_line(cake, quantity=1, **chosen):
    """An order line for the cake; `chosen` by option name: Size="8″", Inscription="Mia"."""
    options = {}
    for name, value in chosen.items():
        options[str(cake[name])] = cake[value] if isinstance(value, str) and name in ("Size", "Filling") else value
    return {"id": cake["cake"], "quantity": quantity, "options": options}


# -- the catalogue --------------------------------------------------------------------------


def test_the_catalogue_shows_each_products_options_as_the_contract_says(client, cake):
    size, filling, inscription = options_of(client, cake["cake"])
    assert {key: size[key] for key in ("id", "name", "type", "required", "max_length")} == {
        "id": cake["Size"],
        "name": "Size",
        "type": "one",
        "required": True,
        "max_length": None,
    }
    assert [(c["name"], c["price_delta"], c["default"]) for c in size["choices"]] == [
        ("6″", 0.0, True),
        ("8″", 8.0, False),
        ("10″", 16.0, False),
    ]
    assert set(size["choices"][0]) >= {"id", "name", "price_delta", "allergens"}
    assert [c["allergens"] for c in filling["choices"]] == [["soy"], [], []]
    assert (inscription["type"], inscription["max_length"], inscription["choices"]) == ("text", 30, [])
    assert [(o["name"], o["type"]) for o in options_of(client, cake["loaf"])] == [("Sliced", "yes_no")]
    assert options_of(client, cake["croissant"]) == []


def test_a_change_of_an_option_reaches_the_cached_catalogue_at_once(client, staff_client, cake):
    assert options_of(client, cake["cake"])[0]["choices"][1]["price_delta"] == 8.0  # now cached
    url = f"/staff/products/{cake['cake']}/options/{cake['Size']}/choices/{cake['8″']}"
    assert staff_client.post(url, json={"price_delta": "9.50"}, headers=JSON).status_code == 200
    assert options_of(client, cake["cake"])[0]["choices"][1]["price_delta"] == 9.5
    staff_client.post(f"/staff/products/{cake['cake']}/options/{cake['Inscription']}", json={"active": False})
    assert [o["name"] for o in options_of(client, cake["cake"])] == ["Size", "Filling"]


# -- ordering with options --------------------------------------------------------------------


def test_an_order_with_options_is_priced_by_the_server_and_shows_what_was_chosen(app, client, cake):
    response = post_order(client, [cake_line(cake, 2, Size="10″", Filling="Lemon", Inscription="Happy 7th Mia")])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["total"] == 2 * (28.00 + 16.00)
    [line] = body["items"]
    assert (line["id"], line["quantity"], line["unit_price"]) == (cake["cake"], 2, 44.0)
    assert [(o["option"], o["choice"], o["price_delta"], o["text"]) for o in line["options"]] == [
        ("Size", "10″", 16.0, None),
        ("Filling", "Lemon", 0.0, None),
        ("Inscription", None, 0.0, "Happy 7th Mia"),
    ]
    order = client.get(response.headers["Location"], headers=JSON).get_json()
    assert order["total"] == 88.0
    assert [(i["unit_price"], i["options"]) for i in order["items"]] == [(44.0, line["options"])]
    assert counts(app)[2] == 20 - 2


def test_a_one_of_not_sent_takes_its_default_and_its_allergens_count(client, cake):
    response = post_order(client, [{"id": cake["cake"], "quantity": 1}])
    assert response.status_code == 201
    order = client.get(response.headers["Location"], headers=JSON).get_json()
    [line] = order["items"]
    assert [(o["option"], o["choice"]) for o in line["options"]] == [("Size", "6″"), ("Filling", "Chocolate")]
    assert line["unit_price"] == 28.0
    assert "soy" in line["allergens"]  # the chocolate filling's


def test_yes_no_adds_its_answer_and_a_product_without_options_takes_an_empty_object(client, cake):
    response = post_order(
        client,
        [
            {"id": cake["loaf"], "quantity": 1, "options": {str(cake["Sliced"]): True}},
            {"id": cake["croissant"], "quantity": 1, "options": {}},
        ],
    )
    assert response.status_code == 201, response.get_json()
    lines = {line["id"]: line for line in response.get_json()["items"]}
    loaf, croissant = lines[cake["loaf"]], lines[cake["croissant"]]
    assert [(o["option"], o["choice"]) for o in loaf["options"]] == [("Sliced", "Yes")]
    assert (loaf["unit_price"], croissant["options"]) == (6.5, [])


def test_two_cakes_with_other_inscriptions_are_two_lines_and_the_same_ones_one(client, cake):
    response = post_order(
        client,
        [
            cake_line(cake, 1, Inscription="Happy 7th Mia"),
            cake_line(cake, 1, Size="8″", Inscription="Alles Gute, Opa!"),
            cake_line(cake, 2, Inscription="Happy 7th Mia"),
        ],
    )
    assert response.status_code == 201
    lines = client.get(response.headers["Location"], headers=JSON).get_json()["items"]
    assert [(i["quantity"], i["unit_price"], i["options"][-1]["text"]) for i in lines] == [
        (3, 28.0, "Happy 7th Mia"),
        (1, 36.0, "Alles Gute, Opa!"),
    ]
    assert response.get_json()["total"] == 3 * 28 + 36


def test_an_order_keeps_what_was_chosen_after_the_cake_is_changed(app, client, staff_client, cake):
    placed = post_order(client, [cake_line(cake, 1, Size="8″", Inscription="Mia")])
    before = client.get(placed.headers["Location"], headers=JSON).get_json()
    base = f"/staff/products/{cake['cake']}/options/{cake['Size']}"
    assert staff_client.post(f"{base}/choices/{cake['8″']}", json={"name": "20 cm", "price_delta": 12}).status_code
    assert staff_client.post(f"{base}/choices/{cake['8″']}", json={"active": False}).status_code == 200
    assert staff_client.post(base, json={"name": "Diameter"}).status_code == 200
    staff_client.post(f"/staff/products/{cake['cake']}/options/{cake['Inscription']}", json={"active": False})
    with app.app_context():
        db.session.get(Product, cake["cake"]).price = 30
        db.session.commit()
    after = client.get(placed.headers["Location"], headers=JSON).get_json()
    assert after["items"] == before["items"] and after["total"] == before["total"] == 36.0
    assert after["items"][0]["options"][0]["choice"] == "8″"


def test_a_choice_that_needs_more_notice_moves_the_earliest_pickup(client, app, cake):
    # Thursday 07:00 is within the shop's own notice; 24 opening hours more is not.
    tomorrow = "2026-11-26T08:00:00"
    small = client.post("/orders", json={"items": [cake_line(cake, 1, Size="6″")], "pickup_at": tomorrow})
    assert small.status_code == 201, small.get_json()
    large = client.post("/orders", json={"items": [cake_line(cake, 1, Size="10″")], "pickup_at": tomorrow})
    assert large.status_code == 422
    assert large.get_json()["details"]["next_available"] > tomorrow
    assigned = client.post("/orders", json={"items": [cake_line(cake, 1, Size="10″")]})
    assert assigned.status_code == 201
    assert assigned.get_json()["pickup_at"] >= large.get_json()["details"]["next_available"][:19]


def test_the_same_key_and_options_answer_with_the_first_order_and_other_options_are_refused(client, app, cake):
    key = {"Idempotency-Key": "cake-order-1"}
    first = post_order(client, [cake_line(cake, 1, Inscription="Mia")], key)
    again = post_order(client, [cake_line(cake, 1, Inscription="Mia")], key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same order and lines; its status may have moved on meanwhile (the worker takes it up).
    assert {**again.get_json(), "status": None} == {**first.get_json(), "status": None}
    other = post_order(client, [cake_line(cake, 1, Inscription="Opa")], key)
    assert other.status_code == 422
    assert counts(app)[0] == 1


# -- refused: a 422 naming the line and the option, nothing written ---------------------------------


def _unset_default(app, cake):
    with app.app_context():
        db.session.get(OptionChoice, cake["6″"]).is_default = False
        db.session.commit()


BAD_OPTIONS = {
    "unknown option": (lambda c: {"999999": 1}, 999999, "no such option"),
    "not an option id": (lambda c: {"size": 1}, "size", "no such option"),
    "unknown choice": (lambda c: {str(c["Size"]): 999999}, "Size", "no such choice"),
    "a choice of another option": (lambda c: {str(c["Size"]): c["Lemon"]}, "Size", "no such choice"),
    "two choices for a one of": (lambda c: {str(c["Size"]): [c["6″"], c["8″"]]}, "Size", "only one"),
    "a choice as text": (lambda c: {str(c["Size"]): "8″"}, "Size", "choice id"),
    "text over the limit": (lambda c: {str(c["Inscription"]): "x" * 31}, "Inscription", "at most 30"),
    "text with a control character": (lambda c: {str(c["Inscription"]): "Mia\x07"}, "Inscription", "control"),
    "text with a bidi override": (lambda c: {str(c["Inscription"]): "Ada\u202egnp"}, "Inscription", "direction"),
    "text as a number": (lambda c: {str(c["Inscription"]): 7}, "Inscription", "text"),
}


@pytest.mark.parametrize("case", BAD_OPTIONS, ids=list(BAD_OPTIONS))
def test_a_bad_option_is_refused_naming_its_line_and_option_and_nothing_is_written(app, client, cake, case):
    options, option, words = BAD_OPTIONS[case]
    before = counts(app)
    good = {"id": cake["croissant"], "quantity": 1}
    response = post_order(client, [good, {"id": cake["cake"], "quantity": 1, "options": options(cake)}])
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"]
    problem = body["details"]["items"][0]
    assert (problem["index"], problem["product_id"]) == (1, cake["cake"])
    assert problem["option_id"] == cake.get(option, option)
    assert words in problem["error"]
    assert counts(app) == before


def test_a_missing_required_option_is_refused(app, client, cake):
    _unset_default(app, cake)
    response = post_order(client, [{"id": cake["cake"], "quantity": 1}])
    assert response.status_code == 422
    assert response.get_json()["details"]["items"] == [
        {"index": 0, "product_id": cake["cake"], "option_id": cake["Size"], "error": "required: choose one"}
    ]
    assert counts(app)[:2] == (0, 0)


@pytest.mark.parametrize(
    "line",
    [
        lambda c: {"id": c["croissant"], "quantity": 1, "options": {"1": 1}},
        lambda c: {"id": c["loaf"], "quantity": 1, "options": {str(c["Sliced"]): "yes"}},
        lambda c: {"id": c["cake"], "quantity": 1, "options": {str(c["Sliced"]): True}},
    ],
    ids=["options on a product that has none", "yes/no as text", "another product's option"],
)
def test_options_that_do_not_fit_the_product_are_refused(app, client, cake, line):
    response = post_order(client, [line(cake)])
    assert response.status_code == 422
    assert response.get_json()["details"]["items"][0]["index"] == 0
    assert counts(app)[:2] == (0, 0)


def test_options_that_are_no_object_are_refused_at_the_line(client, cake):
    response = post_order(client, [{"id": cake["cake"], "quantity": 1, "options": [1, 2]}])
    assert response.status_code == 422
    assert "items[0].options" in response.get_json()["details"]


def test_a_switched_off_choice_can_no_longer_be_ordered(client, staff_client, cake):
    url = f"/staff/products/{cake['cake']}/options/{cake['Size']}/choices/{cake['10″']}"
    assert staff_client.post(url, json={"active": False}, headers=JSON).status_code == 200
    response = post_order(client, [cake_line(cake, 1, Size="10″")])
    assert response.status_code == 422


# -- staff keep the options in JSON --------------------------------------------------------------


def test_staff_add_an_option_with_choices_and_change_them(app, staff_client, cake):
    url = f"/staff/products/{cake['croissant']}/options"
    created = staff_client.post(
        url,
        json={
            "name": "Topping",
            "type": "any",
            "choices": [
                {"name": "Walnuts", "price_delta": "0.60", "allergens": ["nuts"]},
                {"name": "Icing sugar", "price_delta": 0},
            ],
        },
        headers=JSON,
    )
    assert created.status_code == 201, created.get_json()
    option = created.get_json()
    assert [(c["name"], c["price_delta"], c["allergens"]) for c in option["choices"]] == [
        ("Walnuts", 0.6, ["nuts"]),
        ("Icing sugar", 0.0, []),
    ]
    added = staff_client.post(f"{url}/{option['id']}/choices", json={"name": "Honey", "price_delta": "-0.10"})
    assert added.status_code == 201
    assert [c["name"] for c in added.get_json()["choices"]] == ["Walnuts", "Icing sugar", "Honey"]
    assert staff_client.post(f"{url}/{option['id']}", json={"required": True}).get_json()["required"] is True
    listed = staff_client.get(url, headers=JSON).get_json()
    assert [o["name"] for o in listed["options"]] == ["Topping"]
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "product.options")).all()
        assert len(entries) == 3 and all(e.object_id == str(cake["croissant"]) for e in entries)
        assert "Honey added" in entries[1].detail


def test_a_form_post_adds_an_option_and_the_page_lists_it(staff_client, cake):
    url = f"/staff/products/{cake['croissant']}/options"
    response = staff_client.post(url, data={"name": "Warmed", "type": "yes_no"}, headers=BROWSER)
    assert response.status_code == 303
    page = BeautifulSoup(staff_client.get(url, headers=BROWSER).get_data(as_text=True), "html.parser")
    assert "Warmed" in page.select_one("#options .option-list").get_text()
    refused = staff_client.post(url, data={"name": "", "type": "one"}, headers=BROWSER)
    assert refused.status_code == 422
    assert BeautifulSoup(refused.get_data(as_text=True), "html.parser").select_one("#options [role=alert]")


STAFF_BAD = [
    ("options", {"name": "Size", "type": "one"}, "name"),  # taken
    ("options", {"name": "Colour", "type": "rainbow"}, "type"),
    ("options", {"name": "", "type": "one"}, "name"),
    ("options", {"name": "Shape", "type": "one", "max_length": 5}, "max_length"),
    ("options", {"name": "Note", "type": "text", "max_length": 500}, "max_length"),
    (
        "options",
        {"name": "Glaze", "type": "one", "choices": [{"name": "Dark", "price_delta": "cheap"}]},
        "choices[0].price_delta",
    ),
    ("options", {"name": "Glaze", "type": "one", "choices": "Dark"}, "choices"),
    ("options", {"name": "Glaze", "type": "one", "colour": "red"}, "colour"),
    ("options/{Size}", {"type": "text"}, "type"),
    ("options/{Size}", {"required": "perhaps"}, "required"),
    ("options/{Size}/choices", {"name": "12″", "extra_lead_hours": -1}, "extra_lead_hours"),
    ("options/{Size}/choices", {"name": "12″", "allergens": ["glitter"]}, "allergens"),
    ("options/{Size}/choices", {"name": "12″", "counts_as": 0}, "counts_as"),
    ("options/{Inscription}/choices", {"name": "Gold"}, "choices"),
    ("options/{Size}/choices/{8″}", {"name": "x" * 61}, "name"),
    ("options/{Size}/choices/{8″}", {"price_delta": True}, "price_delta"),
]


@pytest.mark.parametrize("path, body, field", STAFF_BAD, ids=[f"{p}-{f}" for p, _b, f in STAFF_BAD])
def test_bad_staff_input_is_a_422_at_its_field_and_changes_nothing(app, staff_client, cake, path, body, field):
    url = f"/staff/products/{cake['cake']}/" + path.format(
        **{name: cake[name] for name in ("Size", "Inscription", "8″")}
    )
    before = options_of(staff_client, cake["cake"])
    response = staff_client.post(url, data=json.dumps(body), headers={**JSON, "Content-Type": "application/json"})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["details"]
    assert options_of(staff_client, cake["cake"]) == before


def test_staff_routes_answer_404_for_what_is_not_there_and_401_without_a_login(client, staff_client, cake):
    base = f"/staff/products/{cake['cake']}/options"
    assert staff_client.get("/staff/products/999999/options", headers=JSON).status_code == 404
    assert staff_client.post(f"{base}/999999", json={"name": "X"}).status_code == 404
    assert staff_client.post(f"{base}/{cake['Sliced']}", json={"name": "X"}).status_code == 404  # the loaf's
    assert staff_client.post(f"{base}/{cake['Size']}/choices/{cake['Lemon']}", json={"name": "X"}).status_code == 404
    assert staff_client.post(base, data="[1]", headers={"Content-Type": "application/json"}).status_code == 400
    staff_client.post("/staff/logout")
    assert client.get(base, headers=JSON).status_code == 401


def test_the_answers_with_options_match_the_openapi_document(client, staff_client, cake):
    from tests.http.test_openapi import assert_matches

    assert_matches(client.get("/products", headers=JSON).get_json(), "/products", "get", 200)
    placed = post_order(client, [cake_line(cake, 1, Size="10″", Inscription="Mia")])
    assert_matches(placed.get_json(), "/orders", "post", 201)
    assert_matches(client.get(placed.headers["Location"], headers=JSON).get_json(), "/orders/{order_id}", "get", 200)
    assert_matches(post_order(client, [cake_line(cake, 1, Size=[1, 2])]).get_json(), "/orders", "post", 422)
    base = f"/staff/products/{cake['cake']}/options"
    assert_matches(staff_client.get(base, headers=JSON).get_json(), "/staff/products/{product_id}/options", "get", 200)
    created = staff_client.post(
        base, json={"name": "Candles", "type": "yes_no", "choices": [{"name": "Yes", "price_delta": 1}]}
    )
    assert_matches(created.get_json(), "/staff/products/{product_id}/options", "post", 201)
    option = created.get_json()["id"]
    changed = staff_client.post(
        f"{base}/{option}/choices/{created.get_json()['choices'][0]['id']}", json={"price_delta": "-0.5"}
    )
    assert_matches(
        changed.get_json(), "/staff/products/{product_id}/options/{option_id}/choices/{choice_id}", "post", 200
    )
