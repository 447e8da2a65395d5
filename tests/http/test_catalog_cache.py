"""The catalogue cache: hits skip the database, changes show at once, Redis is never required."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event, text

from app.catalog.editing import update_product
from app.catalog.service import STAMP_QUERY
from app.extensions import db
from bench.processes import free_port as _free_port
from tests.helpers import BROWSER, HTMX, JSON, ON_SERVICES, bake, post_order, services_only


class QueryCounter:
    """Counts SELECTs on the products table, from any thread: `count` loads of products, `stamps`
    the one-row stamp checks (made on every request where no invalidations can be heard)."""

    def __init__(self, engine):
        self.count = 0
        self.stamps = 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._seen)
        self.engine = engine

    def _seen(self, _conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM products" in statement:
            with self._lock:
                if statement == STAMP_QUERY:
                    self.stamps += 1
                else:
                    self.count += 1

    def stop(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def product_queries(app):
    with app.app_context():
        counter = QueryCounter(db.engine)
    yield counter
    counter.stop()


def catalogue(client):
    response = client.get("/products", headers=JSON)
    assert response.status_code == 200
    return {p["name"]: p for p in response.get_json()}


def test_public_json_may_be_shared_but_pages_stay_private(client, products):
    assert client.get("/products", headers=JSON).headers["Cache-Control"] == "no-cache"
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert client.get("/cart", headers={"Accept": "text/html"}).headers["Cache-Control"] == "private, no-cache"


def test_a_cache_hit_does_not_load_the_products(client, products, product_queries):
    catalogue(client)
    built, stamps = product_queries.count, product_queries.stamps
    assert built >= 1
    for _ in range(5):
        catalogue(client)
    assert product_queries.count == built
    # Where Redis carries invalidations a hit makes no query at all; without it, only the stamp check.
    assert product_queries.stamps - stamps == (0 if ON_SERVICES else 5)


def test_a_price_change_is_visible_on_the_very_next_request(app, client, products):
    assert catalogue(client)["Baguette"]["price"] == 2.90
    with app.app_context():
        update_product(products["Baguette"], price="3.10", name="Baguette Tradition")
    fresh = catalogue(client)
    assert "Baguette" not in fresh
    assert fresh["Baguette Tradition"]["price"] == 3.10


def test_deactivating_a_product_removes_it_at_once(app, client, products):
    catalogue(client)
    with app.app_context():
        update_product(products["Rye Bread"], active=False)
    assert "Rye Bread" not in catalogue(client)


def test_orders_that_make_stock_low_or_sold_out_show_at_once(client, products):
    tart = products["Lemon Tart"]  # 3 in stock
    assert catalogue(client)["Lemon Tart"]["only_left"] == 3
    assert post_order(client, [{"id": tart, "quantity": 1}]).status_code == 201
    assert catalogue(client)["Lemon Tart"]["only_left"] == 2
    assert post_order(client, [{"id": tart, "quantity": 2}]).status_code == 201
    sold_out = catalogue(client)["Lemon Tart"]
    assert sold_out["available"] == 0
    assert sold_out["only_left"] is None


def test_orders_never_trust_cached_stock(app, client, products):
    croissant = products["Butter Croissant"]
    assert catalogue(client)["Butter Croissant"]["available"] == 40
    with app.app_context():  # behind the cache's back, as another system might
        db.session.execute(text("UPDATE products SET stock = 0 WHERE id = :id"), {"id": croissant})
        db.session.commit()
    assert catalogue(client)["Butter Croissant"]["available"] == 40  # still cached
    response = post_order(client, [{"id": croissant, "quantity": 1}])
    assert response.status_code == 409
    assert response.get_json()["details"]["in_stock"] == 0


def test_etag_gives_a_304_until_the_catalogue_changes(app, client, products):
    first = client.get("/products", headers=JSON)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/products", headers={**JSON, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    with app.app_context():
        update_product(products["Baguette"], price="3.00")
    changed = client.get("/products", headers={**JSON, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_after_a_change_many_requests_at_once_rebuild_it_once(app, products, product_queries):
    client = app.test_client()
    catalogue(client)
    with app.app_context():
        update_product(products["Baguette"], price="3.00")
    before = product_queries.count
    with ThreadPoolExecutor(max_workers=16) as pool:
        prices = list(pool.map(lambda _: catalogue(app.test_client())["Baguette"]["price"], range(32)))
    assert prices == [3.00] * 32
    assert product_queries.count - before == 1


# --- with a Redis of the tests' own, which they may stop and pause ---------------------


@pytest.fixture
def own_redis(tmp_path):
    """A private redis-server for tests that stop or pause it; always killed afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
        process.wait()


@pytest.fixture
def redis_app(make_app, own_redis):
    process, url = own_redis
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    return app, process


@services_only
def test_with_redis_stopped_the_api_answers_from_the_database(redis_app, add_product):
    app, redis_process = redis_app
    add_product(name="Seeded Bun")
    client = app.test_client()
    assert "Seeded Bun" in catalogue(client)
    redis_process.kill()
    redis_process.wait()
    add_product(name="Bun Added While Redis Is Down")
    assert "Bun Added While Redis Is Down" in catalogue(client)
    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["checks"]["cache"] == "down"


@services_only
def test_with_redis_paused_requests_still_finish_within_a_second(redis_app, add_product):
    app, redis_process = redis_app
    add_product(name="Paused Bun")
    client = app.test_client()
    catalogue(client)
    os.kill(redis_process.pid, signal.SIGSTOP)
    try:
        for _ in range(3):
            started = time.monotonic()
            assert "Paused Bun" in catalogue(client)
            assert time.monotonic() - started < 1.0
        started = time.monotonic()
        assert client.get("/health").get_json()["checks"]["cache"] == "down"
        assert time.monotonic() - started < 1.0
    finally:
        os.kill(redis_process.pid, signal.SIGCONT)


@services_only
def test_a_change_made_by_another_process_reaches_this_one(make_app, products):
    reader, writer = make_app(), make_app()
    client = reader.test_client()
    assert catalogue(client)["Baguette"]["price"] == 2.90
    with writer.app_context():
        update_product(products["Baguette"], price="3.40")
    deadline = time.monotonic() + 2
    while catalogue(client)["Baguette"]["price"] != 3.40 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert catalogue(client)["Baguette"]["price"] == 3.40


# --- the catalogue page's product grid, cached as HTML for every visitor -----------------


def grid_prices(client):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/", headers={"Accept": "text/html"}).data, "html.parser")
    return page, {
        card.select_one(".product-name").get_text(strip=True): card.select_one(".product-price").get_text(strip=True)
        for card in page.select(".product-card")
    }


def test_the_cached_grid_carries_each_visitors_own_csrf_token(app, products):
    alice, bob = app.test_client(), app.test_client()
    alice_page, _ = grid_prices(alice)
    bob_page, _ = grid_prices(bob)
    alice_tokens = {i["value"] for i in alice_page.select(".product-card input[name=csrf_token]")}
    bob_tokens = {i["value"] for i in bob_page.select(".product-card input[name=csrf_token]")}
    assert len(alice_tokens) == 1 and len(bob_tokens) == 1
    assert alice_tokens != bob_tokens
    # The token in the cards is the one the page's htmx header carries: both are valid for the session.
    assert alice_tokens.pop() in alice_page.body["hx-headers"]


def test_a_price_change_shows_in_the_page_on_the_next_request(app, client, products):
    assert grid_prices(client)[1]["Baguette"] == "€2.90"
    with app.app_context():
        update_product(products["Baguette"], price="3.15")
    assert grid_prices(client)[1]["Baguette"] == "€3.15"


def test_a_cached_grid_page_does_not_query_products(app, client, products, product_queries):
    grid_prices(client)
    built = product_queries.count
    for _ in range(3):
        grid_prices(client)
    assert product_queries.count == built


def test_the_cached_page_shows_each_visitor_their_own_cart_count(app, products):
    from bs4 import BeautifulSoup

    empty, buyer = app.test_client(), app.test_client()
    grid_prices(empty)  # the page is now cached
    added = buyer.post(
        "/cart/items", data={"product_id": products["Baguette"], "quantity": 3}, headers={"HX-Request": "true"}
    )
    assert added.status_code == 200
    for client, count, label in ((buyer, "3", "items"), (empty, "0", "items")):
        page = BeautifulSoup(client.get("/", headers={"Accept": "text/html"}).data, "html.parser")
        badge = page.select_one("#cart-badge")
        assert badge.select_one(".cart-count").get_text() == count
        assert badge.select_one(".visually-hidden").get_text(strip=True) == label
        assert "slot" not in page.decode()


# --- two processes and no Redis: a change made by one shows in the other's next request ---

ROOT = Path(__file__).resolve().parents[2]


def _without_redis(settings):
    """The environment of another process on the tests' database, with the embedded cache and queue."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("REDIS_URL", "RABBITMQ_URL", "DB_HOST", "FLASK_APP")
    }
    return {
        **env,
        "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "LOG_LEVEL": "WARNING",
    }


class Server:
    """The shop under gunicorn in a process of its own; get() asks it as a client would."""

    def __init__(self, base_url):
        self.base_url = base_url

    def get(self, path="/products", headers=JSON):
        request = urllib.request.Request(self.base_url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def catalogue(self):
        return {p["name"]: p for p in json.loads(self.get())}

    def page_cards(self, headers=BROWSER):
        from bs4 import BeautifulSoup

        page = BeautifulSoup(self.get("/", headers=headers), "html.parser")
        return {card.select_one(".product-name").get_text(strip=True): card for card in page.select(".product-card")}


@pytest.fixture
def other_process(schema, products):
    """The app under gunicorn with two workers (two more processes), without Redis, on the tests' database."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
        cwd=ROOT,
        env=_without_redis(schema),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 20
    while True:
        try:
            server.get("/products")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start")
            time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(10)


def _warm(server, requests=8):
    """Ask often enough that both workers hold their copies of the JSON, the page and the fragment."""
    for _ in range(requests):
        server.catalogue(), server.page_cards(), server.page_cards(HTMX)


def test_without_redis_a_price_changed_here_shows_in_the_servers_next_request(app, products, other_process):
    _warm(other_process)
    assert other_process.catalogue()["Baguette"]["price"] == 2.90
    with app.app_context():
        update_product(products["Baguette"], price="3.25")
    for _ in range(4):  # each of them may be the first request a worker answers since the change
        assert other_process.catalogue()["Baguette"]["price"] == 3.25
        assert other_process.page_cards()["Baguette"].select_one(".product-price").get_text(strip=True) == "€3.25"
        fragment = other_process.page_cards(HTMX)["Baguette"]
        assert fragment.select_one(".product-price").get_text(strip=True) == "€3.25"


def test_without_redis_orders_for_a_baked_product_show_in_the_servers_next_request(
    app, client, products, other_process
):
    bake(app, products["Baguette"], 6)  # every day: whichever day the shop takes orders for
    _warm(other_process)
    assert other_process.catalogue()["Baguette"]["available"] == 6
    assert post_order(client, [{"id": products["Baguette"], "quantity": 4}]).status_code == 201
    for _ in range(4):  # the products table did not change: the day's ledger rows tell the workers
        assert other_process.catalogue()["Baguette"]["available"] == 2


def test_without_redis_orders_that_sell_out_here_show_in_the_servers_next_request(client, products, other_process):
    _warm(other_process)
    assert other_process.catalogue()["Lemon Tart"]["only_left"] == 3
    assert post_order(client, [{"id": products["Lemon Tart"], "quantity": 1}]).status_code == 201
    assert other_process.catalogue()["Lemon Tart"]["only_left"] == 2
    assert post_order(client, [{"id": products["Lemon Tart"], "quantity": 2}]).status_code == 201
    for _ in range(4):
        assert other_process.catalogue()["Lemon Tart"]["available"] == 0
        card = other_process.page_cards()["Lemon Tart"]
        assert card.select_one(".sold-out") is not None and card.select_one("form.add-to-cart") is None


def test_without_redis_a_product_update_from_the_shell_shows_in_the_servers_next_request(
    schema, products, other_process
):
    _warm(other_process)
    assert "Rye Bread" in other_process.catalogue()
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "product-update", str(products["Rye Bread"]), "--inactive"],
        cwd=ROOT,
        env=_without_redis(schema),
        check=True,
        capture_output=True,
    )
    for _ in range(4):
        assert "Rye Bread" not in other_process.catalogue()
        assert "Rye Bread" not in other_process.page_cards()
        assert "Rye Bread" not in other_process.page_cards(HTMX)
