"""The staff's journeys in headless Chromium, with JavaScript (htmx) and without: the calendar, the board on a
phone, the printed bake and pick lists, the lists' accessibility and a date's own amount.

As in test_browser.py (the customer's journeys): the app runs in gunicorn on a free port, on the same backend
as the rest of the suite; what only looks at pages is marked `once`. A file of its own, so that the test
processes share the browser journeys out (they take one file at a time).
"""

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.browser_tools import ARTIFACTS, AXE, WIDTHS, axe_violations, log_in_as_staff, skip_or_fail, snap

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
    snap(page, "staff-calendar")
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
