"""Mixed customer traffic at a fixed rate: browse, cart, checkout and status polls.

Checkout is the JSON API's POST /orders (a kiosk's order; the browser's checkout form
needs a pickup time within opening hours). Cart requests use one browser session: its
cookie and CSRF token, sent as htmx sends them; they join the mix once the app has /cart.
"""

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from .catalog import FRAGMENT, JSON, PAGE
from .scenario import Request, Scenario

ORDER_HEADERS = {**JSON, "Content-Type": "application/json"}
POLLED_ORDERS = 5
CSRF_TOKEN = re.compile(r'"X-CSRFToken":\s*"([^"]+)"|name="csrf_token" value="([^"]+)"')


def scenarios():
    """One fixed-rate scenario; its rate is `--rate` requests per second."""
    return [Scenario("mixed customer traffic", "app", needs_worker=True, mix=customer_mix)]


def customer_mix(ctx):
    """Weighted requests built from the live app: its products, a few orders to poll, its cart."""
    base = ctx.urls["app"]
    product_ids = [p["id"] for p in json.loads(_call(base, "GET", "/products", headers=JSON)[2])]
    order_body = json.dumps({"items": [{"id": product_ids[0], "quantity": 1}]}).encode()
    orders = [
        json.loads(_call(base, "POST", "/orders", order_body, ORDER_HEADERS)[2])["order_id"]
        for _ in range(POLLED_ORDERS)
    ]
    return [
        Request("GET", "/", PAGE, weight=20),
        Request("GET", "/", FRAGMENT, weight=10),
        Request("GET", "/products", JSON, weight=10),
        *[Request("GET", f"/products/{pid}", PAGE, weight=15 / len(product_ids)) for pid in product_ids],
        Request("POST", "/orders", ORDER_HEADERS, order_body, weight=5),
        *[Request("GET", f"/order-status/{oid}", FRAGMENT, weight=20 / len(orders)) for oid in orders],
        *cart_requests(base, product_ids[0]),
    ]


def cart_requests(base, product_id):
    """Show the cart, add to it, open the checkout: one session's requests, or none without /cart."""
    status, headers, page = _call(base, "GET", "/cart", headers=PAGE)
    token = CSRF_TOKEN.search(page.decode(errors="replace"))
    if status >= 400 or token is None or not headers.get("Set-Cookie"):
        return []
    session = {"Cookie": headers["Set-Cookie"].split(";", 1)[0], "X-CSRFToken": token.group(1) or token.group(2)}
    form = {**FRAGMENT, **session, "Content-Type": "application/x-www-form-urlencoded"}
    add = urllib.parse.urlencode({"product_id": product_id, "quantity": 1}).encode()
    return [
        Request("GET", "/cart", {**FRAGMENT, **session}, weight=8),
        Request("POST", "/cart/items", form, add, weight=8),
        Request("GET", "/checkout", {**PAGE, **session}, weight=4),
    ]


def _call(base, method, path, body=None, headers=None):
    """(status, headers, body) of one request; an HTTP error status is an answer too."""
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
