"""Mixed customer traffic at a fixed rate: browse, cart, checkout and status polls."""
import json
import urllib.error
import urllib.request

from .catalog import FRAGMENT, JSON, PAGE
from .scenario import Request, Scenario

ORDER_HEADERS = {**JSON, "Content-Type": "application/json"}
POLLED_ORDERS = 5


def scenarios():
    """One fixed-rate scenario; its rate is `--rate` requests per second."""
    return [Scenario("mixed customer traffic (fixed rate)", "app", needs_worker=True, mix=customer_mix)]


def customer_mix(ctx):
    """Weighted requests built from the live app: its products, a few orders to poll, its cart."""
    base = ctx.urls["app"]
    product_ids = [p["id"] for p in _call(base, "GET", "/products", headers=JSON)[1]]
    order_body = json.dumps({"items": [{"id": product_ids[0], "quantity": 1}]}).encode()
    orders = [_call(base, "POST", "/orders", order_body, ORDER_HEADERS)[1]["order_id"] for _ in range(POLLED_ORDERS)]
    mix = [
        Request("GET", "/", PAGE, weight=20),
        Request("GET", "/", FRAGMENT, weight=10),
        Request("GET", "/products", JSON, weight=10),
        *[Request("GET", f"/products/{pid}", PAGE, weight=15 / len(product_ids)) for pid in product_ids],
        Request("POST", "/orders", ORDER_HEADERS, order_body, weight=5),
        *[Request("GET", f"/order-status/{oid}", FRAGMENT, weight=20 / len(orders)) for oid in orders],
    ]
    if _call(base, "GET", "/cart", headers=PAGE)[0] < 400:  # the storefront's cart, once it exists
        mix += [Request("GET", "/cart", PAGE, weight=10), Request("GET", "/cart", FRAGMENT, weight=10)]
    return mix


def _call(base, method, path, body=None, headers=None):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if "json" in response.headers.get("Content-Type", "") else text
    except urllib.error.HTTPError as error:
        return error.code, None
