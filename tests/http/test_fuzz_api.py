"""Schemathesis against /openapi.json on a live gunicorn: every documented operation, every check, 0 failures.

It runs on both backends; on the services it is PostgreSQL that answers, where NUL bytes and
numbers past 2**31 behave differently from SQLite. The budget is fixed (a seed, a number of
examples per operation) so that a run takes about a minute and finds the same things every time;
BAKERY_FUZZ_SEED and BAKERY_FUZZ_EXAMPLES change them (see docs/testing.md, "Fuzzing").
"""

import os
import re

import pytest
import requests

from app import create_app
from app.catalog.seed_data import load_demo
from app.extensions import db
from app.staff.accounts import create_staff
from tests.helpers import clean_database
from tests.live_server import serve

schemathesis = pytest.importorskip("schemathesis", reason="pip install -r requirements-dev.txt")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SEED = int(os.environ.get("BAKERY_FUZZ_SEED", "20261202"))
EXAMPLES = int(os.environ.get("BAKERY_FUZZ_EXAMPLES", "40"))
STAFF_PASSWORD = "fuzzing-rye-sourdough-7"

CONFIG = f"""
seed = {SEED}

# Nothing kept between runs (no .schemathesis/ in the tree): each run is the fixed budget.
[cache]
enabled = false

[generation]
max-examples = {EXAMPLES}

# A well-formed request can still be refused by a business rule no schema can say: a day
# outside the booking horizon, a product id no product has, a pickup time in the past or on
# a closed day, a full slot, a password too weak, a username or category name taken, a stock
# adjustment of 0 or one that would take the stock below 0, a counter sale of more than is left,
# a date's own amount for a stocked product or a past date, a resource name taken or with a
# control character, an option name a product has already, a choice for a text option or a second
# one for a yes/no, a max length for an option that is no text. Those answers are 422 (or 409)
# with the reason, by design.
[[operations]]
include-path = [
    "/products", "/pickup-slots", "/orders", "/staff/orders", "/staff/orders/search",
    "/staff/bake-list", "/staff/pick-list", "/staff/reports",
    "/staff/account", "/staff/accounts", "/staff/api-keys", "/staff/categories",
    "/staff/categories/{{category_id}}", "/staff/categories/{{category_id}}/move",
    "/staff/api-keys/{{key_id}}/revoke", "/staff/accounts/{{staff_id}}/role",
    "/staff/accounts/{{staff_id}}/active", "/staff/accounts/{{staff_id}}/password",
    "/staff/products/{{product_id}}/retire", "/staff/products/{{product_id}}",
    "/staff/products/{{product_id}}/stock", "/staff/products/{{product_id}}/days",
    "/staff/products/{{product_id}}/days/{{day}}/delete", "/staff/counter", "/staff/counter/{{product_id}}",
    "/staff/orders/{{order_id}}/status", "/staff/resources", "/staff/resources/{{resource_id}}",
    "/staff/resources/{{resource_id}}/delete", "/staff/products/{{product_id}}/options",
    "/staff/products/{{product_id}}/options/{{option_id}}",
    "/staff/products/{{product_id}}/options/{{option_id}}/choices",
    "/staff/products/{{product_id}}/options/{{option_id}}/choices/{{choice_id}}",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]

# The guard (app/web/request_guard.py) refuses a NUL byte anywhere in a query or a JSON body,
# keys of extra members included, with a documented 400: a schema cannot say "no NUL at any
# depth", so a generated request with one is well-formed but rightly refused.
[[operations]]
include-path = ["/staff/orders/search"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "422"]

# POST /checkout is a browser form post: without the page's real CSRF token it is a 400,
# and a generated token is never a real one.
[[operations]]
include-path = ["/checkout"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400"]

"""


@pytest.fixture(scope="module")
def fuzz_server(schema, tmp_path_factory):
    """gunicorn on a clean test database with the demo products and one staff owner."""
    app = create_app(schema)
    clean_database(app)
    with app.app_context():
        load_demo()
        create_staff("fuzzer", STAFF_PASSWORD)
        db.engine.dispose()
    app.extensions["order_queue"].stop()
    app.extensions["notification_sender"].stop()
    with serve(schema, tmp_path_factory.mktemp("fuzz") / "server.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def staff_cookie(fuzz_server):
    """The session cookie of a staff login through the real login form (with its CSRF token)."""
    session = requests.Session()
    page = session.get(f"{fuzz_server}/staff/login", headers={"Accept": "text/html"}, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    login = session.post(
        f"{fuzz_server}/staff/login",
        data={"csrf_token": token, "username": "fuzzer", "password": STAFF_PASSWORD},
        headers={"Accept": "text/html"},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 303, login.text
    return session.cookies["session"]


@pytest.fixture(scope="module")
def api_schema(fuzz_server, staff_cookie):
    """The document as the server serves it, with this module's budget and checks, and a staff login.

    Schemathesis sends the cookie where the document asks for `staffSession`, and leaves it out
    (or garbles it) to check that the staff routes then refuse (401).
    """
    config = CONFIG + f'\n[auth.openapi.staffSession]\napi_key = "{staff_cookie}"\n'
    return schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json", config=schemathesis.Config.from_str(config))


fuzzed = schemathesis.pytest.from_fixture("api_schema")


@fuzzed.parametrize()
def test_the_api_answers_as_its_document_says(case):
    # call_and_validate raises on the first failed check (a 5xx, an undocumented status,
    # header or body, an accepted bad request...), with the curl command that reproduces it.
    response = case.call_and_validate(timeout=15)
    assert response.status_code < 500
