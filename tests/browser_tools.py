"""What the Chromium tests share: the browser, the app in gunicorn, screenshots, axe-core and a staff login."""

import os
import re
from pathlib import Path

import pytest

from tests.live_server import serve

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
WIDTHS = {"phone": 360, "desktop": 1280}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_or_fail(message):
    """Skip on a developer's machine; fail where CI says the browser must run."""
    if os.environ.get("BAKERY_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (BAKERY_REQUIRE_BROWSER=1)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by playwright; skipped when missing unless CI requires it."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(settings, products, tmp_path):
    """gunicorn serving the app on a free port over the test database with the demo products."""
    try:
        with serve(settings, tmp_path / "server.log") as base_url:
            yield base_url
    except RuntimeError as error:
        pytest.fail(str(error))


def snap(page, name):
    """Screenshots of the page as it is now, at phone and desktop width."""
    ARTIFACTS.mkdir(exist_ok=True)
    # From the top: a full-page shot of a scrolled page paints the sticky header mid-page.
    page.mouse.wheel(0, -100_000)  # an input event, so it works with JavaScript off too
    page.wait_for_timeout(200)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 800})


def card(page, name):
    return page.locator(".product-card", has=page.locator(".product-name", has_text=name))


def axe_violations(page):
    """axe-core's serious and critical violations on the page as it is now: (rule, [selectors]).

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern; an
    injected <script> tag (`add_script_tag`) is inline, and the CSP rightly refuses it.
    """
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def log_in_as_staff(page, base):
    page.goto(base + "/staff/login")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("secret-bread")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/staff/orders"))
