"""A customer picks a pickup day in the catalogue: the cart keeps it, the checkout offers only days that have it all.

In headless Chromium, with JavaScript (htmx) and without; screenshots at phone and desktop width land in
test-artifacts/, and axe-core checks the cart and the checkout as they are then.
"""

import re
from datetime import date

import pytest

from tests.browser_tools import AXE, axe_violations, card, skip_or_fail, snap
from tests.helpers import bake

# What the browser shows does not depend on the backend: the guarantees behind it are tested on both (tests/http).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once]

MON, TUE, WED, THU, FRI, SAT = range(6)


def weekday_of(value):
    return date.fromisoformat(value).weekday()


def assert_accessible(page, javascript):
    """axe-core finds nothing serious (it runs in the page, so with JavaScript on: the HTML is the same without)."""
    if javascript:
        assert axe_violations(page) == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_day_chosen_in_the_catalogue_is_the_cart_s_and_checkout_offers_only_days_that_work(
    app, chromium, live_server, products, javascript
):
    from playwright.sync_api import expect

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    # Sourdough: 5 a day, 2 on Thursdays, none on Saturdays.
    bake(app, products["Sourdough Loaf"], {MON: 5, TUE: 5, WED: 5, THU: 2, FRI: 5})
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server + "/")

    days = page.locator("#pickup-day option").evaluate_all("options => options.map(o => o.value)")
    friday = next(day for day in days if weekday_of(day) == FRI)
    page.get_by_label("Pickup day").select_option(friday)
    if not javascript:
        page.get_by_role("button", name="Show this day").click()
    page.wait_for_url(re.compile(rf"day={friday}"))
    sourdough = card(page, "Sourdough Loaf")
    expect(sourdough.locator(".low-stock")).to_have_text("Only 5 left for Friday")
    sourdough.get_by_label("Qty").fill("3")
    sourdough.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("3")

    page.locator("#cart-badge").click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.locator("#cart-day-now")).to_have_text(re.compile(r"^For pickup on Friday \d+ \w+$"))
    expect(page.locator(".line-error")).to_have_count(0)
    snap(page, f"{label}-cartdays-1-cart-for-friday")
    assert_accessible(page, javascript)

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(re.compile(r"/checkout$"))
    expect(page.locator("#pickup_date option[selected]")).to_have_attribute("value", friday)
    offered = page.locator("#pickup_date option").evaluate_all("options => options.map(o => o.value)")
    assert offered and not [day for day in offered if weekday_of(day) in (THU, SAT)]
    expect(page.locator("#days-left-out")).to_contain_text("Not offered for what is in your cart")
    expect(page.locator("#days-left-out li").first).to_contain_text("Sourdough Loaf")
    snap(page, f"{label}-cartdays-2-checkout-days")
    assert_accessible(page, javascript)

    # Saturday as the cart's day: the line says so, and the checkout moves to the earliest day that works.
    page.goto(live_server + "/cart")
    saturday = next(day for day in offered + days if weekday_of(day) == SAT)
    page.get_by_label("Change the pickup day").select_option(saturday)
    page.get_by_role("button", name="Use this day").click()
    expect(page.locator("#cart-day-now")).to_have_text(re.compile(r"^For pickup on Saturday"))
    expect(page.locator(".line-note")).to_have_text(re.compile(r"^Sold out for Saturday — available \w+"))
    snap(page, f"{label}-cartdays-3-cart-line-note")
    assert_accessible(page, javascript)

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(re.compile(r"/checkout$"))
    expect(page.locator("#days-left-out li").first).to_contain_text("(your chosen day) — Sourdough Loaf sold out")
    expect(page.locator("#pickup_date option[selected]")).to_have_attribute("value", offered[0])
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email or phone").fill("ada@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator(".order-items")).to_contain_text("Sourdough Loaf")
    context.close()


def set_amount_on_days(app, product_id, days, amount):
    from app.catalog.daily import set_day_amount
    from app.extensions import db
    from app.models import Product

    with app.app_context():
        product = db.session.get(Product, product_id)
        for day in days:
            set_day_amount(product, date.fromisoformat(day), amount)
        db.session.commit()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_day_that_runs_out_while_checking_out_and_a_cart_no_day_can_take(
    app, chromium, live_server, products, javascript
):
    from playwright.sync_api import expect

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    sourdough = bake(app, products["Sourdough Loaf"], 5)
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server + "/")
    card(page, "Sourdough Loaf").get_by_label("Qty").fill("3")
    card(page, "Sourdough Loaf").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("3")
    page.goto(live_server + "/checkout")
    offered = page.locator("#pickup_date option").evaluate_all("options => options.map(o => o.value)")
    first = page.locator("#pickup_date option[selected]").get_attribute("value")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email or phone").fill("ada@example.com")

    # Somebody else takes the day while Ada types: the order is refused at the day, the other days stay.
    set_amount_on_days(app, sourdough, [first], 1)
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.locator("#pickup_date-error")).to_contain_text("Only 1 Sourdough Loaf left for")
    expect(page.locator("#pickup_date option[selected]")).not_to_have_attribute("value", first)
    expect(page.locator("#days-left-out li").first).to_contain_text("only 1 Sourdough Loaf left")
    snap(page, f"{label}-cartdays-4-day-ran-out")
    assert_accessible(page, javascript)

    # No day has 3 any more: the checkout says which line, and the order cannot be sent.
    set_amount_on_days(app, sourdough, offered, 2)
    page.goto(live_server + "/checkout")
    expect(page.locator("#cart-limits")).to_contain_text("Sourdough Loaf: at most 2 on any day, and your cart has 3")
    expect(page.get_by_role("button", name=re.compile("Place order"))).to_be_disabled()
    snap(page, f"{label}-cartdays-5-no-day-takes-the-cart")
    assert_accessible(page, javascript)
    page.get_by_role("link", name="Lower the quantity in your cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.locator(".line-error")).to_contain_text("please lower the quantity")
    context.close()
