"""A customer's whole journey in headless Chromium, with JavaScript (htmx) and without.

The app runs in gunicorn on a free port, on the same backend as the rest of the suite. The
journeys through the order pipeline run on both backends; what only looks at pages (their
accessibility, the staff forms, the printed lists) is marked `once` and runs on the embedded default.
Screenshots of every page at phone and desktop width land in test-artifacts/.
"""

import re
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from tests.browser_tools import (
    ARTIFACTS,
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


@pytest.mark.once
def test_staff_set_hours_a_holiday_and_a_slot_capacity_in_the_browser(chromium, live_server, app):
    from playwright.sync_api import expect

    from app.staff.accounts import create_staff

    with app.app_context():
        create_staff("ana", "secret-bread")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("secret-bread")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/staff/orders$"))
    page.get_by_role("link", name="Calendar").click()
    page.wait_for_url(re.compile(r"/staff/calendar$"))
    page.locator("#open-6").check()
    page.get_by_label("Sunday opens").fill("09:00")
    page.get_by_label("Sunday closes").fill("12:00")
    page.get_by_role("button", name="Save opening hours").click()
    expect(page.locator("#hours .saved")).to_be_visible()
    days = page.evaluate(
        "[...Array(3)].map((_, i) => new Date(Date.now() + (i + 3) * 864e5).toISOString().slice(0, 10))"
    )
    page.locator("#first_day").fill(days[0])
    page.locator("#last_day").fill(days[1])
    page.get_by_label("Note for customers").fill("staff outing")
    page.get_by_role("button", name="Close these days").click()
    expect(page.locator("#closures .calendar-list")).to_contain_text("staff outing")
    page.get_by_label("Orders per 30-minute slot, usually").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    # Wait for the swap itself: the typed value alone is there before the answer replaces the form.
    expect(page.locator("#capacity .saved")).to_be_visible()
    expect(page.locator("#capacity-default")).to_have_value("5")
    page.locator("#override_day").fill(days[2])
    page.locator("#override_time").fill("25:00")
    page.locator("#override_capacity").fill("2")
    page.get_by_role("button", name="Set capacity").click()
    expect(page.locator("#override_time-error")).to_contain_text("24-hour")
    shoot(page, "staff-calendar")
    context.close()


BOARD_SHOTS = Path("/tmp/board-shots")


def board_shot(page, name):
    """Screenshots for the board's review, at phone and desktop width, in /tmp/board-shots/."""
    BOARD_SHOTS.mkdir(exist_ok=True)
    page.mouse.wheel(0, -100_000)
    page.wait_for_timeout(200)
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(100)
        page.screenshot(path=str(BOARD_SHOTS / f"{name}-{width}.png"), full_page=True)


def _api_order(page, base, items, customer, note=None):
    """An order placed through the API, as the live server takes it; (order id, its pickup day)."""
    body = {"items": items, "customer": customer} | ({"note": note} if note else {})
    response = page.request.post(base + "/orders", data=body, headers={"Accept": "application/json"})
    assert response.status == 201, response.text()
    placed = response.json()
    for _ in range(100):  # the kitchen queue takes it to Processing
        if page.request.get(f"{base}/order-status/{placed['order_id']}").json()["status"] == "Processing":
            break
        page.wait_for_timeout(50)
    return placed["order_id"], placed["pickup_at"][:10]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_work_the_board_on_a_phone(app, chromium, live_server, products, javascript):
    """At the counter on a 360 px phone: the day's orders stacked, ready, collected (confirmed), found again."""
    from playwright.sync_api import expect

    from app.staff.accounts import create_staff

    with app.app_context():
        create_staff("ana", "secret-bread")
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()
    log_in_as_staff(page, live_server)
    first, day = _api_order(
        page,
        live_server,
        [{"id": products["Baguette"], "quantity": 2}, {"id": products["Butter Croissant"], "quantity": 3}],
        {"name": "Mia Wagner", "email": "mia@example.com"},
        note="Sliced, please",
    )
    second, _ = _api_order(
        page, live_server, [{"id": products["Baguette"], "quantity": 1}], {"name": "Tom", "phone": "+49 30 1234567"}
    )
    page.goto(f"{live_server}/staff/orders?date={day}")
    board_shot(page, f"board-{'js' if javascript else 'nojs'}")
    page.set_viewport_size({"width": 360, "height": 740})

    # Columns stack on a phone, and the buttons are big enough for a thumb.
    todo, ready = page.locator("#column-todo").bounding_box(), page.locator("#column-ready").bounding_box()
    assert ready["y"] >= todo["y"] + todo["height"] and abs(ready["x"] - todo["x"]) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    mark_ready = page.locator(f"#order-{first} button[data-status=Ready]")
    assert mark_ready.bounding_box()["height"] >= 44 and mark_ready.bounding_box()["width"] >= 250
    if javascript and AXE.exists():  # axe-core is a script: it needs JavaScript on
        assert axe_violations(page) == []

    mark_ready.click()
    collected = page.locator(f"#column-ready #order-{first} button[data-status=Completed]")
    expect(collected).to_be_visible()
    if javascript:
        page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
        collected.click()
    else:
        collected.click()
        expect(page.locator("h1")).to_contain_text("Hand over order")
        board_shot(page, "confirm-collected-nojs")
        page.get_by_role("button", name="Yes, collected").click()
    expect(page.locator(f"#column-done #order-{first}")).to_be_visible()
    expect(page.locator(f"#column-done #order-{first} button[data-status=Ready]")).to_have_text("Reopen")
    board_shot(page, f"board-after-collected-{'js' if javascript else 'nojs'}")
    page.set_viewport_size({"width": 360, "height": 740})

    # The day switcher: the next day is empty, the date field brings the day back.
    page.locator(".day-switcher a[rel=next]").click()
    expect(page.locator("#column-todo .empty")).to_be_visible()
    page.locator("#board-date").fill(day)
    page.get_by_role("button", name="Show").click()
    expect(page.locator(f"#order-{second}")).to_be_visible()
    assert page.url.endswith(f"/staff/orders?date={day}")

    if javascript:
        # A new order: the polled badge and the tab's title say so (htmx applies the fragment's <title>).
        _api_order(
            page, live_server, [{"id": products["Baguette"], "quantity": 1}], {"name": "Eve", "email": "e@example.com"}
        )
        page.evaluate("htmx.ajax('GET', '/staff/orders/new', {target: '#new-orders', swap: 'outerHTML'})")
        expect(page.locator(".new-orders-badge")).to_have_text(re.compile(r"1\s+new order"))
        expect(page).to_have_title(re.compile(r"^\(1\) Orders – "))

    # Find an order by the customer's name.
    page.get_by_label("Find an order").fill("wagner")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(f"#result-{first} .result-status")).to_have_text("Completed")
    board_shot(page, f"search-{'js' if javascript else 'nojs'}")
    if javascript and AXE.exists():  # axe-core is a script: it needs JavaScript on
        assert axe_violations(page) == []
    page.locator("#search-from").fill("2026-12-09")
    page.locator("#search-to").fill("2026-12-01")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-to-error")).to_contain_text("can't be before")
    if javascript and AXE.exists():  # axe-core is a script: it needs JavaScript on
        assert axe_violations(page) == []
    context.close()


def _pdf_text(path):
    """The text of a PDF (poppler's pdftotext), or None where poppler-utils is not installed."""
    import shutil

    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _place_for_a_later_day(page, base):
    """Two orders through POST /orders for the first day with free slots from the day after tomorrow."""
    from datetime import date, timedelta

    for offset in range(2, 9):
        day = (date.today() + timedelta(days=offset)).isoformat()
        slots = page.request.get(f"{base}/pickup-slots?date={day}", headers={"Accept": "application/json"})
        free = [s["start"] for s in slots.json() if s["available"]] if slots.ok else []
        if len(free) >= 2:
            break
    else:
        raise AssertionError("no day with two free pickup slots in the coming week")
    for start, items, name in ((free[1], [[3, 2], [1, 1]], "Grace Hopper"), (free[0], [[3, 1]], "Ada Lovelace")):
        body = {"items": [{"id": i, "quantity": q} for i, q in items], "pickup_at": start, "customer": {"name": name}}
        assert page.request.post(base + "/orders", data=body).status == 201
    return day


@pytest.mark.once
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_print_the_bake_list_and_pack_from_the_pick_list(app, chromium, live_server, tmp_path, javascript):
    from playwright.sync_api import expect

    from app.staff.accounts import create_staff

    with app.app_context():
        create_staff("ana", "secret-bread")
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    page = context.new_page()
    log_in_as_staff(page, live_server)
    day = _place_for_a_later_day(page, live_server)
    page.locator(".staff-menu").get_by_role("link", name="Bake list").click()
    page.locator("#day-field").fill(day)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#bake-list .bake-table")).to_have_count(2)  # Breads and Viennoiserie
    expect(page).to_have_url(re.compile(rf"/staff/bake-list\?date={day}$"))  # htmx keeps the address in step
    sourdough = page.locator("tr", has=page.locator(".bake-product", has_text="Sourdough Loaf"))
    expect(sourdough.locator(".bake-qty")).to_have_text("3")
    print_button = expect(page.locator("button[data-print]"))
    print_button.to_be_visible() if javascript else print_button.to_be_hidden()  # no JavaScript: Ctrl+P, as it says
    snap(page, f"{label}-staff-lists-1-bake-list")

    page.emulate_media(media="print")  # what the paper gets: the list, nothing to click
    for hidden in ("nav.staff-nav", "nav.day-switcher", ".sheet-tools", "body > header", "body > footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".bake-table").first).to_be_visible()
    pdf = tmp_path / "bake-list.pdf"
    page.pdf(path=str(pdf), format="A4")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{label}-staff-lists-bake-list.pdf").write_bytes(pdf.read_bytes())
    assert pdf.read_bytes().startswith(b"%PDF") and re.search(rb"/Type\s*/Page[^s]", pdf.read_bytes())
    text = _pdf_text(pdf)
    if text is not None:
        assert "Bake list" in text and "Sourdough Loaf" in text and "Log out" not in text and "Download CSV" not in text
    page.emulate_media(media="screen")

    page.locator(".staff-menu").get_by_role("link", name="Pick list").click()
    page.locator("#day-field").fill(day)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#pick-list .pick-order")).to_have_count(2)
    expect(page.locator(".pick-order .pick-name")).to_have_text(["Ada Lovelace", "Grace Hopper"])  # pickup order
    snap(page, f"{label}-staff-lists-2-pick-list")
    page.emulate_media(media="print")
    page.pdf(path=str(ARTIFACTS / f"{label}-staff-lists-pick-list.pdf"), format="A4")
    page.emulate_media(media="screen")
    page.locator(".staff-menu").get_by_role("link", name="Reports").click()
    expect(page.locator(".report-totals")).to_be_visible()
    snap(page, f"{label}-staff-lists-3-reports")
    context.close()


@pytest.mark.once
@pytest.mark.parametrize("width", [360, 1280])
def test_staff_lists_and_reports_have_no_serious_accessibility_violations(app, chromium, live_server, width):
    from app.staff.accounts import create_staff

    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `make assets` (needs npm)")
    with app.app_context():
        create_staff("ana", "secret-bread")
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    log_in_as_staff(page, live_server)
    day = _place_for_a_later_day(page, live_server)
    found = {}
    for path in (
        f"/staff/bake-list?date={day}",
        f"/staff/bake-list?date={day}&by=slot",
        f"/staff/pick-list?date={day}",
        "/staff/reports",
        "/staff/reports?from=2026-12-05&to=2026-11-01",
        "/staff/bake-list?date=2026-02-30",
    ):
        page.goto(live_server + path)
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}
    context.close()


@pytest.mark.once
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_give_a_baked_product_another_amount_on_one_date(app, chromium, live_server, products, javascript):
    """Christmas Eve's 200 croissants: a past date is refused at its field, a date is added and removed again;
    with htmx the section (and the history) change without a reload, without JavaScript after a redirect."""
    from datetime import timedelta

    from playwright.sync_api import expect

    from app.staff.accounts import create_staff
    from tests.helpers import bake

    with app.app_context():
        create_staff("ana", "secret-bread")
    croissant = bake(app, products["Butter Croissant"], 24)
    label = "js" if javascript else "nojs"
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    log_in_as_staff(page, live_server)
    page.goto(live_server + "/staff/products")
    expect(page.locator(f"#product-{croissant} .product-counter")).to_have_attribute(
        "href", f"/staff/counter#counter-{croissant}"
    )
    page.locator(f"#product-{croissant}").get_by_role("link", name="Edit Butter Croissant").click()
    section = page.locator("#day-amounts")
    expect(section).to_contain_text("No date differs")
    if javascript:
        page.evaluate("window.sameDocument = true")  # gone after a reload

    section.get_by_label("Date").fill((date.today() - timedelta(days=3)).isoformat())
    section.get_by_label("How many to bake").fill("200")
    section.get_by_role("button", name="Set for this date").click()
    expect(page.locator("#day-amount-day-error")).to_have_text("That date is past: choose today or a later one.")
    expect(section.get_by_label("How many to bake")).to_have_value("200")
    snap(page, f"{label}-staff-day-amounts-1-past")
    found = {}
    if javascript:
        found["past"] = axe_violations(page)

    day = date.today() + timedelta(days=10)
    section.get_by_label("Date").fill(day.isoformat())
    section.get_by_role("button", name="Set for this date").click()
    row = section.locator(f"#day-{day.isoformat()}")
    expect(row.locator(".day-amount")).to_have_text("200")
    expect(row.locator(".day-usual")).to_have_text("24")
    expect(section.locator(".saved")).to_contain_text("200 baked instead of the usual 24")
    expect(page.locator("#product-history")).to_contain_text(f"{day.isoformat()} baked 200 instead of")
    if javascript:
        assert page.evaluate("window.sameDocument") is True
        for width in WIDTHS.values():
            page.set_viewport_size({"width": width, "height": 900})
            found[f"added at {width} px"] = axe_violations(page)
    else:
        assert page.url.endswith("/edit#day-amounts")
    snap(page, f"{label}-staff-day-amounts-2-added")

    row.get_by_role("button", name=re.compile("^Remove")).click()
    expect(section).to_contain_text("No date differs")
    expect(section.locator(".saved")).to_contain_text("back to the usual 24")
    assert found == {name: [] for name in found}
    context.close()
