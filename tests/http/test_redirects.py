"""One safe redirect rule: `next` never leads off the site, against a corpus of known bypasses.

The corpus gathers the usual open-redirect tricks (PayloadsAllTheThings, the OWASP cheat
sheet, reported bypasses of "starts with one slash" checks): other schemes, protocol-relative
URLs, backslashes, control characters and whitespace that browsers drop, percent-encoding
once, twice and more, dot segments, Unicode look-alikes of "/" and user-info tricks. Each is
checked on `safe_local_path` itself, on the staff login (303 and htmx's HX-Redirect) and on
the cart form's `next`.
"""

import pytest

from app.staff.accounts import create_staff
from app.web.negotiation import safe_local_path
from tests.helpers import BROWSER, HTMX

EVIL = "evil.example"
BYPASSES = [
    # other schemes and absolute URLs
    f"https://{EVIL}/",
    f"http://{EVIL}",
    f"HTTPS://{EVIL}",
    f"https:{EVIL}",
    f"http:/{EVIL}",
    f"http:\\\\{EVIL}",
    f"ftp://{EVIL}",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    EVIL,
    f"@{EVIL}",
    # protocol-relative and backslashes
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}",
    f"//{EVIL}/%2f..",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\\{EVIL}",
    f"/\\/{EVIL}",
    f"/\\\\{EVIL}",
    f"//localhost@{EVIL}",
    f"//{EVIL}@localhost",
    # characters browsers drop or that end a header line
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r/{EVIL}",
    f"/\r\n/{EVIL}",
    f"/ /{EVIL}",
    f" //{EVIL}",
    f"\t//{EVIL}",
    f"/\x00/{EVIL}",
    f"/\x7f/{EVIL}",
    f"/staff/orders\r\nLocation: //{EVIL}",
    "/staff/orders\r\nSet-Cookie: session=x",
    # the same, percent-encoded
    f"/%09/{EVIL}",
    f"/%0a/{EVIL}",
    f"/%0d/{EVIL}",
    f"/%0d%0a/{EVIL}",
    f"/%20/{EVIL}",
    f"/%00/{EVIL}",
    f"/%7f/{EVIL}",
    f"/%c2%85/{EVIL}",  # NEL, a C1 control
    f"/%c2%a0/{EVIL}",  # no-break space
    f"/%e2%80%a8/{EVIL}",  # line separator
    f"/%2f/{EVIL}",
    f"/%2F%2F{EVIL}",
    f"/%5c{EVIL}",
    f"/%5C%5C{EVIL}",
    f"/%5c/{EVIL}",
    f"/%2f%5c{EVIL}",
    f"/staff/orders%0d%0aLocation:%20//{EVIL}",
    # encoded twice, three times, and more than the rule decodes
    f"/%252f%252f{EVIL}",
    f"/%255c{EVIL}",
    f"/%2509/{EVIL}",
    f"/%25252f%25252f{EVIL}",
    f"/%252525252525252f{EVIL}",
    # dot segments and look-alikes of "/"
    f"/.//{EVIL}",
    f"/..//{EVIL}",
    f"/./..//{EVIL}",
    f"/%2e%2e//{EVIL}",
    f"/%2e/%2f{EVIL}",
    f"/%3f//{EVIL}",
    f"/\u2215\u2215{EVIL}",  # division slash
    f"/%e2%88%95%e2%88%95{EVIL}",
    f"/\uff0f\uff0f{EVIL}",  # full-width solidus
    f"/%ef%bc%8f%ef%bc%8f{EVIL}",
    f"/%c0%af{EVIL}",  # an overlong "/" (not UTF-8)
    f"/\u3002{EVIL}",
    f"/%e3%80%82{EVIL}",
    "/caf\u00e9",
    # not a string, or absurdly long
    "",
    "/" + "a" * 5000,
]

LOCAL = [
    "/",
    "/staff/orders",
    "/staff/products?saved=1",
    "/staff/orders?date=2026-12-03",
    "/staff/orders/search?q=M%C3%BCller",  # a search for "Müller": the query may hold any letter
    "/staff/orders/search?q=Anna%20Meier&status=open",
    "/?free_from=milk&free_from=nuts",
    "/products/3#allergens",
    "/orders/Ab3_x-9kLmNoPqRsTuVwXy",
    "/staff/orders/search?q=a%2Bb",
    "/?next=//not-followed-here",  # a query is data, not a place
]


def test_the_corpus_is_big_enough():
    assert len(BYPASSES) >= 50
    assert len(set(BYPASSES)) == len(BYPASSES)


@pytest.mark.parametrize("target", BYPASSES)
def test_safe_local_path_refuses_each_bypass(target):
    assert safe_local_path(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", [None, 42, ["/staff/orders"], b"/staff/orders"])
def test_safe_local_path_refuses_what_is_not_a_string(target):
    assert safe_local_path(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", LOCAL)
def test_safe_local_path_keeps_a_local_path_as_it_was(target):
    assert safe_local_path(target, "/fallback") == target


@pytest.mark.parametrize("target", [t for t in BYPASSES if "\x00" not in t])
def test_a_logged_in_staff_member_is_never_sent_off_the_site(staff_client, target):
    response = staff_client.get("/staff/login", query_string={"next": target}, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/orders"


@pytest.mark.parametrize("target", [t for t in BYPASSES if "\x00" in t])
def test_a_nul_in_next_is_a_readable_400(staff_client, target):
    response = staff_client.get("/staff/login", query_string={"next": target}, headers=BROWSER)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw", ["next=/a%0d%0aSet-Cookie:%20x=1", "next=/%0d%0a", "next=/caf%C3%A9", "next=%FF%FE", "next=/%ff/x"]
)
def test_cr_lf_and_non_ascii_in_the_raw_query_are_answered_properly(staff_client, raw):
    response = staff_client.get(f"/staff/login?{raw}", headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/orders"
    assert "Set-Cookie: x" not in str(response.headers)


@pytest.mark.parametrize("target", LOCAL)
def test_a_local_next_is_followed(staff_client, target):
    response = staff_client.get("/staff/login", query_string={"next": target}, headers=BROWSER)
    assert response.headers["Location"] == target


@pytest.fixture
def bo(app):
    with app.app_context():
        create_staff("bo", "secret-bread")


@pytest.mark.parametrize("target", [t for t in BYPASSES if "\x00" not in t])
def test_htmx_login_navigates_only_within_the_site(client, bo, target):
    data = {"username": "bo", "password": "secret-bread", "next": target}
    response = client.post("/staff/login", data=data, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/staff/orders"


@pytest.mark.parametrize("target", [t for t in BYPASSES if "\x00" not in t])
def test_the_cart_form_returns_only_within_the_site(client, products, target):
    data = {"product_id": products["Baguette"], "quantity": "1", "next": target}
    response = client.post("/cart/items", data=data, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/products/3#allergens", "/?free_from=milk"])
def test_the_cart_form_returns_to_a_local_page(client, products, target):
    data = {"product_id": products["Baguette"], "quantity": "1", "next": target}
    assert client.post("/cart/items", data=data, headers=BROWSER).headers["Location"] == target
