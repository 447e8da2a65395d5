"""Security headers on every answer (app/security/headers.py), HSTS and Secure cookies behind
HTTPS=1, templates a strict CSP can serve, and the pages in Chromium without one CSP violation."""

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app.config import load_config
from app.security.headers import CONTENT_SECURITY_POLICY, HSTS, SECURITY_HEADERS
from tests.browser_tools import (
    ARTIFACTS,
    WIDTHS,
    card,
    log_in_as_staff,
    skip_or_fail,
)
from tests.helpers import BROWSER, HTMX, JSON

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "templates"

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_to_cart(client, product_id, headers=BROWSER):
    return client.post("/cart/items", data={"product_id": product_id, "quantity": 1, "next": "/"}, headers=headers)


def assert_security_headers(response):
    for name, value in EXPECTED.items():
        assert response.headers.getlist(name) == [value], name  # once, and this value


def test_the_policy_has_no_unsafe_sources():
    assert SECURITY_HEADERS == EXPECTED
    assert EXPECTED["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "method, path, headers, status",
    [
        ("get", "/products", JSON, 200),
        ("get", "/", BROWSER, 200),
        ("get", "/cart", HTMX, 200),
        ("get", "/no-such-page", BROWSER, 404),
        ("get", "/no-such-page", JSON, 404),
        ("get", "/cart/items", BROWSER, 405),
        ("get", "/static/css/bakery.css", {}, 200),
        ("get", "/staff/orders", BROWSER, 303),
        ("post", "/staff/login", {**JSON, "Content-Type": "application/json"}, 422),
    ],
    ids=["json", "page", "htmx-fragment", "404-page", "404-json", "405", "static", "redirect", "422-json"],
)
def test_every_kind_of_answer_carries_the_security_headers(client, products, method, path, headers, status):
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == status
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP by default


def test_writes_and_their_fragments_carry_them_too(client, products):
    redirect = add_to_cart(client, products["Baguette"])
    assert redirect.status_code == 303
    assert_security_headers(redirect)
    fragment = add_to_cart(client, products["Baguette"], headers=HTMX)
    assert fragment.status_code == 200 and "Added Baguette" in fragment.get_data(as_text=True)
    assert_security_headers(fragment)


def test_the_headers_the_app_set_before_stay(client, products):
    catalogue = client.get("/products", headers=JSON)
    assert catalogue.headers["ETag"] and "Accept" in catalogue.headers["Vary"]
    assert client.get("/products", headers={**JSON, "If-None-Match": catalogue.headers["ETag"]}).status_code == 304
    static = client.get("/static/css/bakery.css")
    assert static.headers["Cache-Control"] == "no-cache" and static.headers["ETag"]


def test_a_view_that_sets_a_header_itself_keeps_its_value(make_app):
    app = make_app()

    @app.get("/framed-on-purpose")
    def framed():
        return "ok", 200, {"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer"}

    response = app.test_client().get("/framed-on-purpose")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["Content-Security-Policy"] == EXPECTED["Content-Security-Policy"]


def test_an_unexpected_error_page_carries_them_too(make_app):
    app = make_app(TESTING=False)  # TESTING would let the exception reach the test

    @app.get("/broken")
    def broken():
        raise RuntimeError("a bug")

    response = app.test_client().get("/broken", headers=BROWSER)
    assert response.status_code == 500
    assert_security_headers(response)


def test_over_https_every_answer_has_hsts_and_the_cookie_is_secure(make_app, products):
    client = make_app(HTTPS=True).test_client()
    for response in (client.get("/", headers=BROWSER), client.get("/products", headers=JSON)):
        assert response.headers.getlist("Strict-Transport-Security") == [HSTS]
        assert_security_headers(response)
    assert HSTS == "max-age=31536000; includeSubDomains"
    cookie = add_to_cart(client, products["Baguette"]).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_over_plain_http_the_cookie_is_not_secure(client, products):
    cookie = add_to_cart(client, products["Baguette"]).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie


@pytest.mark.parametrize(
    "env, secure",
    [({}, False), ({"HTTPS": "0"}, False), ({"HTTPS": "1"}, True), ({"SESSION_COOKIE_SECURE": "1"}, True)],
)
def test_https_setting_from_the_environment(tmp_path, env, secure):
    config = load_config(str(tmp_path), env={"SECRET_KEY": "x", **env})
    assert config["HTTPS"] is (env.get("HTTPS") == "1")
    assert config["SESSION_COOKIE_SECURE"] is secure and config["REMEMBER_COOKIE_SECURE"] is secure


# --- markup a strict CSP can serve -------------------------------------------------------

# Emails are not pages: mail clients drop <link> stylesheets, so emails/ keeps inline styles;
# no browser ever gets them under the CSP.
PAGE_TEMPLATES = sorted(path for path in TEMPLATES.rglob("*.html") if "emails" not in path.relative_to(TEMPLATES).parts)

FORBIDDEN = {
    "inline style=": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "<style> block": re.compile(r"<style\b", re.I),
    "<script> without src": re.compile(r"<script\b(?![^>]*\ssrc\s*=)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "hx-on": re.compile(r"\b(?:data-)?hx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_are_found():
    assert len(PAGE_TEMPLATES) > 20 and TEMPLATES / "base.html" in PAGE_TEMPLATES


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_no_template_has_inline_styles_scripts_or_handlers(template):
    text = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.S)  # Jinja comments may name them
    found = {what: pattern.findall(text) for what, pattern in FORBIDDEN.items()}
    assert {what: hits for what, hits in found.items() if hits} == {}


def test_the_scan_catches_what_it_looks_for():
    bad = """<p style="color: red"><script>alert(1)</script><a href="#" onclick="x()">x</a>
             <button hx-on:click="y()"><style>p{}</style><a href="javascript:void(0)">"""
    assert all(pattern.search(bad) for pattern in FORBIDDEN.values())
    good = """<script src="/static/vendor/htmx.min.js" defer></script><p class="on-sale" data-print>"""
    assert not any(pattern.search(good) for pattern in FORBIDDEN.values())


def test_htmx_is_configured_for_the_csp(client, products):
    soup = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser")
    config = soup.select_one('meta[name="htmx-config"]')["content"]

    settings = json.loads(config)
    assert (settings["allowEval"], settings["allowScriptTags"], settings["includeIndicatorStyles"]) == (
        False,
        False,
        False,
    )
    assert all(script.get("src", "").startswith("/static/") for script in soup.select("script"))
    css = (ROOT / "app" / "static" / "css" / "bakery.css").read_text()
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css


def test_nginx_adds_the_same_values_where_the_backend_gave_none():
    conf = (ROOT / "deploy" / "nginx" / "bakery.conf.template").read_text()
    for name, variable in (
        ("Content-Security-Policy", "$bakery_csp"),
        ("X-Content-Type-Options", "$bakery_nosniff"),
        ("X-Frame-Options", "$bakery_frame_options"),
        ("Referrer-Policy", "$bakery_referrer_policy"),
    ):
        upstream = "$upstream_http_" + name.lower().replace("-", "_")
        mapped = re.search(rf'map {re.escape(upstream)} {re.escape(variable)} {{\s*"" (?:"([^"]*)"|(\S+));', conf)
        assert mapped and (mapped.group(1) or mapped.group(2)) == EXPECTED[name], name
        # Every add_header of this name sends the mapped value, never a fixed second copy.
        assert set(re.findall(rf"add_header {name} (\S+)", conf)) == {variable}, name


# --- in the browser: every page under the CSP, htmx still working --------------------------

# Reports each violation to the console, where the test listens: runs before any page script
# (an init script comes through the DevTools protocol, which the CSP does not govern).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


def watch_for_violations(context):
    """A page of `context` and the list its CSP violations and script errors land in."""
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if re.search("CSP violation|Content Security Policy", message.text) else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return page, problems


def shoot(page, name):
    """Screenshots at phone and desktop width in test-artifacts/.

    caret="initial": Playwright hides the caret by setting a style on every input and leaves
    `style=""` behind, which htmx then copies while settling a swap — a violation of the test's
    own making.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True, caret="initial")
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 800})


def styled(page, selector):
    """The computed background of an element: the stylesheet's colour, not the browser's default."""
    return page.evaluate(f"getComputedStyle(document.querySelector({json.dumps(selector)})).backgroundColor")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.once
def test_shop_and_back_office_run_under_the_csp_without_one_violation(app, chromium, live_server):
    from playwright.sync_api import expect

    from app.staff.accounts import create_staff

    if not (ROOT / "app/static/vendor/htmx.min.js").exists():
        skip_or_fail("htmx is missing: run `make assets` (needs npm)")
    with app.app_context():
        create_staff("ana", "secret-bread")
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page, problems = watch_for_violations(context)

    shop = page.goto(live_server + "/")
    assert shop.headers["content-security-policy"] == EXPECTED["Content-Security-Policy"]
    expect(page.locator(".product-card")).to_have_count(11)
    assert styled(page, ".site-header") not in ("rgba(0, 0, 0, 0)", "transparent")
    shoot(page, "csp-shop")
    page.evaluate("window.noReload = true")
    card(page, "Butter Croissant").get_by_role("button", name="Add to cart").click()
    expect(card(page, "Butter Croissant").locator(".added")).to_contain_text("Added Butter Croissant")
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")  # htmx's out-of-band swap
    page.get_by_text("Filter by allergen").click()
    page.get_by_label("Milk").first.check()  # htmx submits on change and pushes the URL
    expect(page).to_have_url(re.compile(r"free_from=milk"))
    assert page.evaluate("window.noReload") is True

    page.goto(live_server + "/cart")
    page.evaluate("window.noReload = true")
    page.locator(".cart-line").get_by_label("Quantity").fill("2")
    page.locator(".cart-line").get_by_role("button", name="Update").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")
    assert page.evaluate("window.noReload") is True

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(re.compile(r"/checkout$"))
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email or phone").fill("ada@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))  # htmx follows HX-Redirect
    expect(page.locator("#order-status strong")).to_have_text("Processing", timeout=15_000)  # polled by htmx
    order = page.request.get(page.url, headers={"Accept": "application/json"}).json()

    page.goto(live_server + "/staff/login")
    assert styled(page, ".site-header") not in ("rgba(0, 0, 0, 0)", "transparent")
    log_in_as_staff(page, live_server)
    page.goto(f"{live_server}/staff/orders?date={order['pickup_at'][:10]}")
    expect(page.locator(f"#column-todo #order-{order['order_id']}")).to_be_visible()
    shoot(page, "csp-board")
    page.evaluate("window.noReload = true")
    page.locator(f"#order-{order['order_id']} button[data-status=Ready]").click()
    expect(page.locator(f"#column-ready #order-{order['order_id']}")).to_be_visible()  # htmx swapped the board
    assert page.evaluate("window.noReload") is True
    page.goto(live_server + "/staff/products")
    expect(page.locator("h1")).to_be_visible()

    assert problems == [], "\n".join(problems)
    # The listener hears what the CSP refuses: markup with an inline style is reported.
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')""")
    page.wait_for_timeout(300)
    assert any("style-src" in problem for problem in problems), problems
    context.close()
