"""A customer orders a product that needs days of notice: the shop offers it only for a day far enough ahead.

In headless Chromium, with JavaScript (htmx) and without, on the real clock; screenshots at phone and desktop
width land in test-artifacts/, and axe-core checks the catalogue, the product page and the checkout.
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser_tools import AXE, axe_violations, card, skip_or_fail, snap
from tests.helpers import bake, set_product

# What the browser shows does not depend on the backend: the guarantees behind it are tested on both (tests/http).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once]

NOTICE = 3  # more than the days to the first day one can order for (at most two: Saturday evening to Monday)


def options(page, selector):
    return page.locator(f"{selector} option").evaluate_all("options => options.map(o => o.value)")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_product_with_days_of_notice_is_ordered_for_a_day_far_enough_ahead(
    app, chromium, live_server, products, javascript
):
    from playwright.sync_api import expect

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    sourdough = bake(app, products["Sourdough Loaf"], 5)
    set_product(app, sourdough, lead_days=NOTICE)
    today = datetime.now(ZoneInfo(app.config["BAKERY_TIMEZONE"])).date()
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server + "/")

    # The first day one can order for is too soon: the card says when to order instead of offering it.
    first_ok = next(d for d in options(page, "#pickup-day") if date.fromisoformat(d) >= today + timedelta(NOTICE))
    expect(card(page, "Sourdough Loaf").locator(".too-soon")).to_have_text(
        re.compile(rf"^Order {NOTICE} days ahead — available \w+")
    )
    expect(card(page, "Sourdough Loaf").locator("form.add-to-cart")).to_have_count(0)
    expect(card(page, "Sourdough Loaf").locator(".unavailable")).to_contain_text("as your pickup day to order it")
    card(page, "Sourdough Loaf").scroll_into_view_if_needed()
    snap(page, f"{label}-leaddays-1-card-too-soon")
    if javascript:
        assert axe_violations(page) == []

    card(page, "Sourdough Loaf").get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/products/{sourdough}"))
    expect(page.locator(".product-notice")).to_have_text(re.compile(rf"^Needs {NOTICE} days' notice"))
    snap(page, f"{label}-leaddays-2-product-page")
    if javascript:
        assert axe_violations(page) == []

    # Choosing a day far enough ahead offers it; the cart and the checkout keep to such days.
    page.goto(live_server + "/")
    page.get_by_label("Pickup day").select_option(first_ok)
    if not javascript:
        page.get_by_role("button", name="Show this day").click()
    page.wait_for_url(re.compile(rf"day={first_ok}"))
    expect(card(page, "Sourdough Loaf").locator(".too-soon")).to_have_count(0)
    card(page, "Sourdough Loaf").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")

    page.goto(live_server + "/checkout")
    offered = options(page, "#pickup_date")
    assert offered[0] == first_ok and all(day >= first_ok for day in offered)
    expect(page.locator("#pickup_date option[selected]")).to_have_attribute("value", first_ok)
    expect(page.locator("#days-left-out li").first).to_contain_text(f"Sourdough Loaf needs {NOTICE} days' notice")
    snap(page, f"{label}-leaddays-3-checkout-days")
    if javascript:
        assert axe_violations(page) == []
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email or phone").fill("ada@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator(".order-items")).to_contain_text("Sourdough Loaf")
    context.close()
