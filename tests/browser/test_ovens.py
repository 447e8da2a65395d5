"""A baker sets up the oven in the browser: a resource with its trays, croissants by the tray, a cake made to
order; a customer's order fills the oven for its day, the catalogue says so, and the bake list, the board and
the Ovens page show the same trays.

In headless Chromium, with JavaScript (htmx) and without; screenshots at phone and desktop width land in
test-artifacts/, and axe-core checks each new page as it is then (with JavaScript on: the HTML is the same).
"""

import json
import re
from datetime import date

import pytest

from app.staff.accounts import create_staff
from tests.browser_tools import AXE, axe_violations, card, log_in_as_staff, skip_or_fail, snap
from tests.helpers import JSON, bake, later_pickup

# What the browser shows does not depend on the backend: the guarantees behind it are tested on both (tests/http).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_baker_sets_up_the_oven_and_a_cake_made_to_order_fills_it(app, chromium, live_server, products, javascript):
    from playwright.sync_api import expect

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    with app.app_context():
        create_staff("ana", "secret-bread")
    croissant, tart = bake(app, products["Butter Croissant"], 24), products["Lemon Tart"]
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    log_in_as_staff(page, live_server)
    found = {}

    # The oven: 3 trays a day.
    page.get_by_role("link", name="Ovens").click()
    expect(page.locator(".empty")).to_contain_text("No resources yet")
    add = page.locator("#resource-add")
    add.get_by_label("Name").fill("Deck oven")
    add.get_by_label("Room in a day").fill("3")
    add.get_by_role("button", name="Add resource").click()
    oven_row = page.locator(".load-week tbody tr").first
    expect(oven_row.locator("th")).to_have_text("Deck oven (trays)")
    expect(oven_row.locator("td").first).to_have_text("0 of 3")
    snap(page, f"{label}-staff-ovens-1-added")
    if javascript:
        found["ovens"] = axe_violations(page)

    # Croissants: 12 to a tray, one tray a batch; the tart: made to order, a tray each.
    for product_id, batch in ((croissant, "12"), (tart, "")):
        page.goto(f"{live_server}/staff/products/{product_id}/edit")
        form = page.locator("#product-form")
        form.get_by_label("Baked daily").check()
        form.get_by_label("One batch makes").fill(batch)
        form.get_by_label("Deck oven: trays a batch").fill("1")
        if product_id == tart:
            form.get_by_label("Made to order").check()
            if javascript:
                found["product form"] = axe_violations(page)
            snap(page, f"{label}-staff-ovens-2-made-to-order")
        form.get_by_role("button", name="Save changes").click()
        expect(page).to_have_url(re.compile(r"/staff/products\?saved="))

    # 24 croissants a day take 2 trays: one tart fits.
    api = app.test_client()
    pickup = later_pickup(api)
    day = date.fromisoformat(pickup[:10])
    shop = {p["id"]: p for p in api.get(f"/products?day={day}", headers=JSON).get_json()}
    assert (shop[tart]["kind"], shop[tart]["available"]) == ("baked", 1)
    placed = api.post(
        "/orders",
        data=json.dumps({"items": [{"id": tart, "quantity": 1}], "pickup_at": pickup}),
        headers={"Content-Type": "application/json"},
    )
    assert placed.status_code == 201, placed.get_json()
    refused = api.post(
        "/orders",
        data=json.dumps({"items": [{"id": tart, "quantity": 1}], "pickup_at": pickup}),
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 409 and refused.get_json()["details"]["resource"] == "Deck oven"

    # The customer sees the tart sold out for that day, and the day it can be had.
    page.goto(f"{live_server}/?day={day}")
    expect(card(page, "Lemon Tart").locator(".sold-out")).to_contain_text(re.compile(r"^Sold out for \w+ — available"))

    # The bake list and the board's box: the same trays; the oven is full.
    page.goto(f"{live_server}/staff/bake-list?date={day}")
    expect(page.locator(f"tr[data-product-id='{croissant}'] .bake-batches")).to_have_text("2 trays")
    expect(page.locator(f"tr[data-product-id='{tart}'] .bake-batches")).to_have_text("1 tray")
    expect(page.locator(".load")).to_contain_text("3 of 3 trays")
    expect(page.locator(".load-note")).to_have_text("full")
    snap(page, f"{label}-staff-ovens-3-bake-list")
    if javascript:
        found["bake list"] = axe_violations(page)
    page.goto(f"{live_server}/staff/orders?date={day}")
    expect(page.locator(".to-bake .load")).to_contain_text("3 of 3 trays")
    expect(page.locator(f".to-bake-list li[data-product-id='{croissant}'] .to-bake-qty")).to_have_text("24")
    page.get_by_role("link", name="Ovens").click()
    cell = page.locator(f".load-week td[data-day='{day}']")
    if cell.count():  # the week shown starts today; a pickup a week away is on the next page
        expect(cell).to_have_text("3 of 3")
    assert found == {name: [] for name in found}
    context.close()
