"""The plain page of a product's options (until the editor is on the product form): a baker adds one with
the form, with JavaScript and without, and sees it listed. Screenshots at phone and desktop width; axe-core."""

import pytest

from app.staff.accounts import create_staff
from tests.browser_tools import AXE, axe_violations, log_in_as_staff, skip_or_fail, snap

# What the browser shows does not depend on the backend: the guarantees behind it are tested on both (tests/http).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_baker_adds_an_option_and_sees_the_cakes_options(app, chromium, live_server, products, javascript):
    from playwright.sync_api import expect

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    with app.app_context():
        create_staff("ana", "secret-bread")
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    log_in_as_staff(page, live_server)
    page.goto(f"{live_server}/staff/products/{products['Birthday Cake']}/edit")
    page.get_by_role("link", name="the options customers choose for Birthday Cake").click()
    options = page.locator("#options .option-list > li")
    expect(options).to_have_count(3)
    expect(options.first).to_contain_text("10″: +16.00, 24 hours more notice")
    form = page.locator(".option-add")
    form.get_by_label("Name").fill("Candles")
    form.get_by_label("Type").select_option("yes_no")
    form.get_by_label("Required: the customer must choose").check()
    form.get_by_role("button", name="Add option").click()
    expect(options).to_have_count(4)
    expect(options.last).to_contain_text("Candles (yes or no, required)")
    snap(page, f"{label}-staff-options")
    if javascript:
        assert axe_violations(page) == []
    context.close()
