"""A customer's whole journey in headless Chromium, with JavaScript (htmx) and without.

The app runs in gunicorn on a free port, on the same backend as the rest of the suite. The
journeys through the order pipeline run on both backends; what only looks at pages (their
accessibility, the staff forms, the printed lists) is marked `once` and runs on the embedded default.
Screenshots of every page at phone and desktop width land in test-artifacts/.
"""

import re
import time
from datetime import date
from pathlib import Path

import pytest

from tests.browser_tools import (
    AXE,
    ROOT,
    WIDTHS,
    axe_violations,
    card,
    log_in_as_staff,
    skip_or_fail,
    snap,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def badge(page):
    return page.locator("#cart-badge .cart-count").inner_text().strip()


def line(page, name):
    return page.locator(".cart-line", has=page.locator(".line-name", has_text=name))


def test_customer_buys_with_htmx_and_watches_the_status(chromium, live_server):
    from playwright.sync_api import expect

    if not (ROOT / "app/static/vendor/htmx.min.js").exists():
        skip_or_fail("htmx is missing: run `make assets` (needs npm)")

    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/")
    expect(page.locator(".product-card")).to_have_count(11)
    snap(page, "js-1-catalogue")
    # A marker on the window survives only as long as no page load happens.
    page.evaluate("window.noReload = true")

    card(page, "Butter Croissant").get_by_role("button", name="Add to cart").click()
    expect(card(page, "Butter Croissant").locator(".added")).to_contain_text("Added Butter Croissant")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    snap(page, "js-2-catalogue-added")

    card(page, "Pain au Chocolat").locator(".product-link").click()
    page.wait_for_url(re.compile(r"/products/\d+(\?|$)"))
    page.evaluate("window.noReload = true")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".product-detail .added")).to_contain_text("Added Pain au Chocolat")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")
    assert page.evaluate("window.noReload") is True
    snap(page, "js-3-product")

    page.locator("#cart-badge").click()
    page.wait_for_url(re.compile(r"/cart$"))
    page.evaluate("window.noReload = true")
    line(page, "Butter Croissant").get_by_label("Quantity").fill("3")
    line(page, "Butter Croissant").get_by_role("button", name="Update").click()
    expect(line(page, "Butter Croissant").locator(".line-total")).to_have_text("€8.40")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("4")
    line(page, "Butter Croissant").get_by_label("Quantity").fill("45")
    line(page, "Butter Croissant").get_by_role("button", name="Update").click()
    expect(line(page, "Butter Croissant").locator(".field-error")).to_contain_text("Only 40 left")
    snap(page, "js-4-cart-error")
    line(page, "Butter Croissant").get_by_label("Quantity").fill("2")
    line(page, "Butter Croissant").get_by_role("button", name="Update").click()
    expect(line(page, "Butter Croissant").locator(".line-total")).to_have_text("€5.60")
    line(page, "Pain au Chocolat").get_by_role("button", name="Remove").click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")
    expect(page.locator(".cart-total")).to_contain_text("€5.60")
    assert page.evaluate("window.noReload") is True
    snap(page, "js-5-cart")

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(re.compile(r"/checkout$"))
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.locator("#name-error")).to_be_visible()
    snap(page, "js-6-checkout-errors")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email or phone").fill("ada@example.com")
    page.get_by_role("button", name=re.compile("Place order")).dblclick()
    # Polls the address: the second click may abort the first click's navigation, which
    # wait_for_url would report as an error though the page ends on the order either way.
    expect(page).to_have_url(re.compile(r"/orders/[\w-]+$"), timeout=15_000)
    page.evaluate("window.noReload = true")
    expect(page.locator("#order-status strong")).to_have_text("Processing", timeout=15_000)
    assert page.evaluate("window.noReload") is True
    expect(page.locator(".order-items tbody tr")).to_have_count(1)
    expect(page.locator("#cart-badge .cart-count")).to_have_text("0")
    snap(page, "js-7-order")

    page.goto(live_server + "/products/999999")
    snap(page, "js-8-not-found")

    # Keyboard only: Enter on the button adds, and focus stays on it after htmx swaps the form.
    page.goto(live_server + "/")
    button = card(page, "Baguette").get_by_role("button", name="Add to cart")
    button.focus()
    page.keyboard.press("Enter")
    expect(card(page, "Baguette").locator(".added")).to_be_visible()
    assert page.evaluate("document.activeElement.textContent").strip() == "Add to cart"
    assert page.evaluate("document.activeElement.closest('.product-card').id") == card(page, "Baguette").get_attribute(
        "id"
    )
    context.close()


def test_customer_buys_without_javascript(chromium, live_server):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    card(page, "Butter Croissant").get_by_role("button", name="Add to cart").click()
    expect(card(page, "Butter Croissant").locator(".added")).to_contain_text("Added Butter Croissant")
    card(page, "Sourdough Loaf").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")
    snap(page, "nojs-1-catalogue-added")

    page.locator("#cart-badge").click()
    line(page, "Butter Croissant").get_by_label("Quantity").fill("2")
    line(page, "Butter Croissant").get_by_role("button", name="Update").click()
    expect(line(page, "Butter Croissant").locator(".line-total")).to_have_text("€5.60")
    line(page, "Sourdough Loaf").get_by_role("button", name="Remove").click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")
    snap(page, "nojs-2-cart")

    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Your name").fill("Grace")
    page.get_by_label("Email or phone").fill("+49 30 555 0100")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator(".order-facts .order-contact")).to_have_text("+49 30 555 0100")
    deadline = time.monotonic() + 15
    while page.locator("#order-status strong").inner_text() != "Processing" and time.monotonic() < deadline:
        time.sleep(0.5)
        page.get_by_role("link", name="Refresh").click()
    expect(page.locator("#order-status strong")).to_have_text("Processing")
    snap(page, "nojs-3-order")
    context.close()


@pytest.mark.once
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_customer_filters_free_from_milk_and_sees_allergens_up_to_the_order(chromium, live_server, javascript):
    from playwright.sync_api import expect

    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_text("Filter by allergen").click()
    page.get_by_label("Milk").check()
    if javascript:  # htmx applies the filter as soon as a box changes, and puts it in the URL
        page.wait_for_url(re.compile(r"free_from=milk"))
    else:
        page.get_by_role("button", name="Show bakes").click()
        page.wait_for_url(re.compile(r"free_from=milk"))
    expect(page.locator(".filter-summary")).to_contain_text("free from Milk")
    expect(card(page, "Butter Croissant")).to_have_count(0)
    expect(card(page, "Baguette").locator(".allergens")).to_have_text("Contains: Cereals containing gluten")
    snap(page, f"{label}-9-free-from-milk")

    # Another pickup day keeps the filter (htmx swaps the list and pushes the URL; the plain form reloads).
    first, second = page.locator("#pickup-day option").evaluate_all("options => options.map(o => o.value)")[:2]
    if javascript:
        page.evaluate("window.noReload = true")  # htmx keeps the page
    page.get_by_label("Pickup day").select_option(second)
    if not javascript:
        page.get_by_role("button", name="Show this day").click()
    page.wait_for_url(re.compile(rf"day={second}"))
    assert "free_from=milk" in page.url
    expect(page.locator("h1")).to_contain_text(date.fromisoformat(second).strftime("%-d %B"))
    expect(page.locator(".filter-summary")).to_contain_text("free from Milk")
    if javascript:
        assert page.evaluate("window.noReload") is True
    page.goto(f"{live_server}/?day={first}&free_from=milk")

    card(page, "Baguette").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    if not javascript:  # the plain form came back to the filtered page it was sent from
        assert "free_from=milk" in page.url
    page.locator("#cart-badge").click()
    expect(line(page, "Baguette").locator(".allergens")).to_have_text("Contains: Cereals containing gluten")
    page.get_by_role("link", name="Checkout").click()
    expect(page.locator(".summary-lines .allergens")).to_have_text("Contains: Cereals containing gluten")
    page.get_by_label("Your name").fill("Lin")
    page.get_by_label("Email or phone").fill("lin@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator(".order-items .allergens")).to_have_text("Contains: Cereals containing gluten")
    snap(page, f"{label}-10-order-with-allergens")
    context.close()


@pytest.mark.once
@pytest.mark.parametrize("width", [360, 1280])
def test_shop_pages_have_no_serious_accessibility_violations(chromium, live_server, width):
    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/products/1")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_timeout(300)
    found = {}
    for path in ("/", "/?free_from=milk&free_from=nuts", "/?free_from=chocolate", "/products/1", "/cart", "/checkout"):
        page.goto(live_server + path)
        if path == "/":
            page.get_by_text("Filter by allergen").click()  # the filter's choices are checked too
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}
    context.close()


def picture_file(tmp_path):
    """A real photo-like JPEG, as staff would upload it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (222, 184, 135))
    ImageDraw.Draw(image).ellipse((300, 200, 1300, 1000), fill=(160, 110, 60))
    path = tmp_path / "oat-biscuit.jpg"
    image.save(path, "JPEG", quality=90)
    return path


@pytest.mark.once
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_create_a_product_that_customers_find_free_from_milk(app, chromium, live_server, tmp_path, javascript):
    from playwright.sync_api import expect

    from app.staff.accounts import create_staff

    with app.app_context():
        create_staff("ana", "secret-bread")
    label = "js" if javascript else "nojs"
    staff = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    page = staff.new_page()
    log_in_as_staff(page, live_server)
    page.goto(live_server + "/staff/products/new")
    page.get_by_label("Name").fill("Oat Biscuit")
    page.get_by_role("button", name="Create product").click()  # nothing else filled in: messages at the fields
    expect(page.locator("#price-error, #category-error").first).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Oat Biscuit")
    snap(page, f"{label}-staff-1-new-product-errors")
    page.get_by_label("Description").fill("Crunchy oat biscuit, baked with rapeseed oil.")
    page.get_by_label("Category").select_option(label="Cakes & tarts")
    page.get_by_label("Price (€)").fill("2,40")
    page.get_by_label("Stock", exact=True).fill("12")
    page.get_by_label("Picture").set_input_files(str(picture_file(tmp_path)))
    page.locator("#allergens-field").get_by_label("Cereals containing gluten").check()
    page.locator("#may_contain-field").get_by_label("Tree nuts").check()
    page.locator("#dietary-field").get_by_label("Vegan").check()
    page.locator("#dietary-field").get_by_label("Vegetarian").check()
    page.get_by_role("button", name="Create product").click()
    page.wait_for_url(re.compile(r"/staff/products(\?|#|$)"))
    row = page.locator("tr", has_text="Oat Biscuit")
    expect(row).to_contain_text("Cereals containing gluten")
    snap(page, f"{label}-staff-2-products")
    staff.close()

    customer = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    page = customer.new_page()
    page.goto(live_server + "/?free_from=milk")
    biscuit = card(page, "Oat Biscuit")
    expect(biscuit.locator(".allergens")).to_have_text("Contains: Cereals containing gluten")
    expect(biscuit.locator(".may-contain")).to_have_text("May contain: Tree nuts")
    expect(biscuit.locator(".dietary")).to_have_text("Vegan")
    picture = biscuit.locator("img")
    assert picture.get_attribute("src").startswith("/uploads/products/")
    assert "1200w" in picture.get_attribute("srcset")
    assert page.evaluate("(img) => img.naturalWidth", picture.element_handle()) > 0  # the file is really served
    snap(page, f"{label}-staff-3-customer-sees-it")
    biscuit.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    page.goto(live_server + "/?free_from=nuts")
    expect(card(page, "Oat Biscuit")).to_have_count(0)  # may contain nuts: not for a nut allergy
    page.goto(live_server + "/cart")
    expect(line(page, "Oat Biscuit").locator(".allergens")).to_have_text("Contains: Cereals containing gluten")
    customer.close()


@pytest.mark.once
@pytest.mark.parametrize("width", [360, 1280])
def test_staff_catalogue_pages_have_no_serious_accessibility_violations(app, chromium, live_server, width):
    from playwright.sync_api import expect

    from app.staff.accounts import create_staff

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    with app.app_context():
        create_staff("ana", "secret-bread")
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    log_in_as_staff(page, live_server)
    found = {}
    for path in (
        "/staff/orders",
        "/staff/orders?date=2026-02-30",
        "/staff/orders/search",
        "/staff/orders/search?status=finished&from=nope",
        "/staff/products",
        "/staff/products/new",
        "/staff/products/1/edit",
        "/staff/categories",
        "/staff/calendar",
        "/staff/api-keys",
    ):
        page.goto(live_server + path)
        found[path] = axe_violations(page)
    page.get_by_label("Who will use the new key").fill("Kiosk")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-api-key-token")).to_have_value(re.compile(r"^bk_"))
    found["api key just created"] = axe_violations(page)
    page.goto(live_server + "/staff/products/new")
    page.get_by_role("button", name="Create product").click()
    page.wait_for_timeout(300)
    found["new product with errors"] = axe_violations(page)
    assert found == {path: [] for path in found}
    context.close()


SHOTS = Path("/tmp/calendar-shots")


def shoot(page, name):
    """Screenshots for the calendar's review, at phone and desktop width, in /tmp/calendar-shots/."""
    SHOTS.mkdir(exist_ok=True)
    page.mouse.wheel(0, -100_000)  # from the top, as snap() does: the sticky header stays on top
    page.wait_for_timeout(200)
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(100)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 800})


def _second_day_with_taken_slots(app, page):
    """The second day the checkout offers, with 09:00 full and 09:30 down to one place."""
    from datetime import datetime

    from app.extensions import db
    from app.models import SlotCapacity

    day = page.locator("#pickup_date option").nth(1).get_attribute("value")
    with app.app_context():
        db.session.add_all(
            [
                SlotCapacity(slot_start=datetime.fromisoformat(f"{day}T09:00"), capacity=0),
                SlotCapacity(slot_start=datetime.fromisoformat(f"{day}T09:30"), capacity=1),
            ]
        )
        db.session.commit()
    return day


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_customer_picks_a_pickup_slot_and_a_full_one_cannot_be_chosen(chromium, live_server, app, javascript):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server + "/")
    card(page, "Baguette").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    page.goto(live_server + "/checkout")
    day = _second_day_with_taken_slots(app, page)
    if javascript:
        page.evaluate("window.noReload = true")
    page.get_by_label("Day").select_option(day)
    if not javascript:
        page.get_by_role("button", name="Show times").click()
    full = page.locator(".slot", has=page.locator(".slot-time", has_text="09:00"))
    expect(full.locator(".slot-state")).to_have_text("Full")
    expect(full.locator("input")).to_be_disabled()
    expect(page.locator(".slot", has=page.locator(".slot-time", has_text="09:30")).locator(".slot-state")).to_have_text(
        "1 left"
    )
    if javascript:
        assert page.evaluate("window.noReload") is True  # htmx swapped the times in
        # An invalid submit puts focus on the alert, below the sticky header.
        page.get_by_role("button", name=re.compile("Place order")).click()
        expect(page.locator(".form-alert")).to_be_focused()
        top = page.evaluate("document.activeElement.getBoundingClientRect().top")
        header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().bottom")
        assert top >= header
    shoot(page, f"checkout-{'js' if javascript else 'nojs'}")
    page.locator("label[for=slot-0930]").click()
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email or phone").fill("ada@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator(".order-pickup")).to_contain_text("at 09:30")
    context.close()


@pytest.mark.once
def test_an_invalid_checkout_without_javascript_focuses_the_alert(chromium, live_server):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    card(page, "Baguette").get_by_role("button", name="Add to cart").click()
    page.goto(live_server + "/checkout")
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.locator(".form-alert")).to_be_focused()
    context.close()
