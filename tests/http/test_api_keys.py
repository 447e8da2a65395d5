"""API keys for trusted clients: made and revoked by staff on /staff/api-keys, stored as a hash,
sent as `Authorization: Bearer ...` on POST /orders, with their own limit and their own idempotency keys."""

import hashlib
import uuid

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiKey, Order
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, post_order


@pytest.fixture
def keyed_app(make_app):
    def factory(**overrides):
        return make_app(RATELIMIT_KEY_PREFIX=f"test-keys-{uuid.uuid4().hex}", **overrides)

    return factory


def staff_client(app):
    with app.app_context():
        create_staff("ana", "secret-bread")
    client = app.test_client()
    assert client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}).status_code == 303
    return client


def create_key(client, name="Kiosk by the door"):
    """Create a key on the staff page as a browser does; returns the token shown once."""
    response = client.post("/staff/api-keys", data={"name": name}, headers=BROWSER)
    assert response.status_code == 201
    return BeautifulSoup(response.data, "html.parser").select_one("#new-api-key-token")["value"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def orders_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def test_staff_create_a_key_that_is_shown_once_and_stored_only_as_a_hash(keyed_app):
    app = keyed_app()
    client = staff_client(app)
    token = create_key(client)
    assert token.startswith("bk_") and len(token) > 40
    page = BeautifulSoup(client.get("/staff/api-keys", headers=BROWSER).data, "html.parser")
    row = page.select_one("table.api-key-table tbody tr")
    assert row.select_one("th").get_text(strip=True) == "Kiosk by the door"
    assert "never" in row.get_text()
    assert token not in page.decode()  # the list never shows it again
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        assert key.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert key.revoked_at is None and key.last_used_at is None


def test_a_key_needs_a_name(keyed_app):
    client = staff_client(keyed_app())
    response = client.post("/staff/api-keys", data={"name": "  "}, headers=BROWSER)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    assert "Give the key a name" in page.select_one("#api-key-name-error").get_text()
    assert client.post("/staff/api-keys", json={"name": ""}, headers=JSON).status_code == 422


def test_json_and_htmx_callers_of_the_staff_page(keyed_app):
    client = staff_client(keyed_app())
    created = client.post("/staff/api-keys", json={"name": "Partner shop"}, headers=JSON)
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "Partner shop" and body["token"].startswith("bk_") and body["revoked_at"] is None
    listed = client.get("/staff/api-keys", headers=JSON).get_json()
    assert [k["name"] for k in listed] == ["Partner shop"] and "token" not in listed[0]
    fragment = client.post(f"/staff/api-keys/{body['id']}/revoke", headers=HTMX)
    assert fragment.status_code == 200
    soup = BeautifulSoup(fragment.data, "html.parser")
    assert soup.select_one("#api-keys") and "Revoked" in soup.select_one(f"#api-key-{body['id']}").get_text()


def test_only_staff_reach_the_api_keys_page(keyed_app):
    client = keyed_app().test_client()
    assert client.get("/staff/api-keys", headers=BROWSER).status_code == 303
    assert client.post("/staff/api-keys", json={"name": "x"}, headers=JSON).status_code == 401


def test_an_order_with_a_valid_key_is_placed_and_the_key_marked_used(keyed_app, products):
    app = keyed_app()
    token = create_key(staff_client(app))
    response = post_order(app.test_client(), [{"id": products["Baguette"], "quantity": 1}], headers=bearer(token))
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(ApiKey.last_used_at)) is not None


@pytest.mark.parametrize(
    "header", ["Bearer bk_not-a-key", "Bearer ", "Bearer nonsense", "Basic YW5hOnNlY3JldA==", "bk_no-scheme"]
)
def test_a_bad_key_is_a_401_and_places_nothing(keyed_app, products, header):
    app = keyed_app()
    response = post_order(
        app.test_client(), [{"id": products["Baguette"], "quantity": 1}], headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert "not valid" in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert orders_count(app) == 0


def test_a_bad_key_on_the_checkout_form_is_a_401_too(keyed_app):
    response = keyed_app().test_client().post("/orders", data={"name": "Ada"}, headers={"Authorization": "Bearer x"})
    assert response.status_code == 401


def test_a_revoked_key_stops_working_at_once(keyed_app, products):
    app = keyed_app()
    client = staff_client(app)
    token = create_key(client)
    api = app.test_client()
    item = [{"id": products["Baguette"], "quantity": 1}]
    assert post_order(api, item, headers=bearer(token)).status_code == 201
    with app.app_context():
        key_id = db.session.scalar(select(ApiKey.id))
    revoked = client.post(f"/staff/api-keys/{key_id}/revoke", headers=BROWSER)
    assert revoked.status_code == 303 and revoked.headers["Location"].startswith("/staff/api-keys")
    response = post_order(api, item, headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]
    row = BeautifulSoup(client.get("/staff/api-keys", headers=BROWSER).data, "html.parser").select_one(
        f"#api-key-{key_id}"
    )
    assert "Revoked" in row.get_text() and row.select_one("form") is None
    assert client.post("/staff/api-keys/999999/revoke", headers=JSON).status_code == 404


def test_a_key_has_its_own_limit_instead_of_the_address_limit(keyed_app, products):
    app = keyed_app(ORDER_RATE_LIMIT="2/minute", API_KEY_RATE_LIMIT="5/minute")
    token = create_key(staff_client(app))
    kiosk, walk_in = app.test_client(), app.test_client()  # the same address
    item = [{"id": products["Baguette"], "quantity": 1}]
    assert [post_order(kiosk, item, headers=bearer(token)).status_code for _ in range(6)] == [201] * 5 + [429]
    refused = post_order(kiosk, item, headers=bearer(token))
    assert refused.get_json()["error"].startswith("This API key has placed too many orders")
    assert int(refused.headers["Retry-After"]) > 0
    # The address's own allowance is untouched by the kiosk's orders.
    assert [post_order(walk_in, item).status_code for _ in range(3)] == [201, 201, 429]


def test_idempotency_keys_belong_to_their_api_key(keyed_app, products):
    app = keyed_app()
    client = staff_client(app)
    kiosk, partner = create_key(client, "Kiosk"), create_key(client, "Partner")
    api = app.test_client()
    item = [{"id": products["Baguette"], "quantity": 1}]
    first = post_order(api, item, headers={**bearer(kiosk), "Idempotency-Key": "order-1"})
    again = post_order(api, item, headers={**bearer(kiosk), "Idempotency-Key": "order-1"})
    other = post_order(api, item, headers={**bearer(partner), "Idempotency-Key": "order-1"})
    anonymous = post_order(api, item, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == other.status_code == anonymous.status_code == 201
    assert again.get_json()["order_id"] == first.get_json()["order_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in other.headers and "Idempotent-Replayed" not in anonymous.headers
    assert len({r.get_json()["order_id"] for r in (first, other, anonymous)}) == 3
    assert orders_count(app) == 3


def test_a_key_of_full_length_fits_with_its_scope(keyed_app, products):
    app = keyed_app()
    token = create_key(staff_client(app))
    key = "k" * 255
    item = [{"id": products["Baguette"], "quantity": 1}]
    api = app.test_client()
    first = post_order(api, item, headers={**bearer(token), "Idempotency-Key": key})
    again = post_order(api, item, headers={**bearer(token), "Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["order_id"] == first.get_json()["order_id"]


def test_nobody_without_the_api_key_can_borrow_its_stored_keys(keyed_app, products):
    """An anonymous client's keys are stored under its own scope: `api:<id>:<key>` is just a key."""
    app = keyed_app()
    token = create_key(staff_client(app))
    api = app.test_client()
    item = [{"id": products["Baguette"], "quantity": 1}]
    kiosk = post_order(api, item, headers={**bearer(token), "Idempotency-Key": "order-1"})
    with app.app_context():
        stored = db.session.scalar(select(Order.idempotency_key))
    borrowed = post_order(api, item, {"Idempotency-Key": stored})
    assert kiosk.status_code == borrowed.status_code == 201
    assert "Idempotent-Replayed" not in borrowed.headers
    assert borrowed.get_json()["order_id"] != kiosk.get_json()["order_id"]
    assert orders_count(app) == 2


@pytest.mark.parametrize("name", [None, 5, ["Kiosk"], {"name": "Kiosk"}])
def test_a_key_name_that_is_not_text_is_422(keyed_app, name):
    client = staff_client(keyed_app())
    response = client.post("/staff/api-keys", json={"name": name}, headers=JSON)
    assert response.status_code == 422
    assert response.get_json()["details"] == {"name": "Give the key a name, e.g. the kiosk or shop that will use it."}
