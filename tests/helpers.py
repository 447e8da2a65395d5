"""Small helpers shared by the tests (conftest.py holds only fixtures and hooks)."""

import json
import os
import time
from datetime import datetime, timedelta

import psycopg2
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.catalog.daily import set_weekday_amounts
from app.config import with_installed_driver
from app.extensions import cache, db
from app.models import Product, ProductResourceUse, Resource

BACKEND = os.environ.get("BAKERY_TEST_BACKEND", "embedded")
ON_SERVICES = BACKEND == "services"
# Needs the real services: marked `services`, which conftest.py skips unless BAKERY_TEST_BACKEND=services.
services_only = pytest.mark.services

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HTMX = {"HX-Request": "true", "Accept": "*/*"}


def post_order(client, items, headers=None):
    """POST /orders as an API client would."""
    return client.post(
        "/orders", data=json.dumps({"items": items}), headers={"Content-Type": "application/json", **(headers or {})}
    )


def wait_for_status(client, order_id, wanted, timeout=10.0):
    """Poll /order-status until it reports `wanted`; return the last status seen."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = client.get(f"/order-status/{order_id}", headers=JSON).get_json()["status"]
        if status == wanted:
            break
        time.sleep(0.05)
    return status


def later_pickup(client, days_ahead=2):
    """The start of the first free pickup slot at least `days_ahead` days from now.

    Far enough that lead times and cancel deadlines never depend on the hour the tests run.
    """
    from datetime import date, timedelta

    for offset in range(days_ahead, days_ahead + 7):
        response = client.get(f"/pickup-slots?date={date.today() + timedelta(days=offset)}", headers=JSON)
        free = (
            [slot["start"] for slot in response.get_json() if slot["available"]] if response.status_code == 200 else []
        )
        if free:
            return free[0]
    raise AssertionError("no free pickup slot in the coming week")


# Under pytest-xdist each process ("gw0", "gw1", …) gets its own database, Redis db and queue
# names, derived from the settings below, so the processes share nothing but the servers.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(XDIST_WORKER.removeprefix("gw") or 0)


def for_this_worker(name):
    """`name` with this test process's suffix (`bakery_test_gw1`); unchanged outside xdist."""
    return f"{name}_{XDIST_WORKER}" if XDIST_WORKER else name


def redis_url_for_this_worker(url):
    """The Redis URL with this process's db number: the base db minus the worker's index."""
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) - WORKER_INDEX}"


PG_URL = with_installed_driver(
    for_this_worker(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bakery_test"))
)
# The app's tables, children before parents: tests empty or drop them in this order.
# Every table of the model, children before their parents (so deleting one by one never breaks a foreign key).
TABLES = tuple(table.name for table in reversed(db.metadata.sorted_tables))


# Tables older revisions had: a database built by an older schema is dropped clean with them too.
RETIRED_TABLES = ("product_day_quota",)


def empty_migration_databases(tmp_path, name):
    """Databases for a migration test, emptied of every table: SQLite, and PostgreSQL on the services."""
    urls = [f"sqlite:///{tmp_path / f'{name}.db'}"]
    if ON_SERVICES:
        urls.append(f"{PG_URL}_{name}")
        ensure_postgres_database(urls[-1])
    for url in urls:
        engine = create_engine(url)
        with engine.begin() as conn:  # from a clean slate, whatever an earlier run left
            for table in (*TABLES, *RETIRED_TABLES, "alembic_version"):
                conn.execute(
                    text(f"DROP TABLE IF EXISTS {table}" + (" CASCADE" if url.startswith("postgresql") else ""))
                )
        engine.dispose()
    return urls


def ensure_postgres_database(url):
    """Create the test database if it is missing (tests never touch the real one)."""
    url = make_url(url)
    conn = psycopg2.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        connect_timeout=3,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{url.database}"')
    conn.close()


def clean_database(app):
    """Every table emptied (ids restarted on PostgreSQL) and the cache cleared."""
    with app.app_context():
        with db.engine.begin() as conn:
            if ON_SERVICES:
                conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            else:
                for table in TABLES:
                    conn.execute(text(f"DELETE FROM {table}"))
        cache.clear()
        db.engine.dispose()


def sent_by(fields):
    """What a browser sends for these inputs (BeautifulSoup tags): {name: [values]}, unticked boxes left out."""
    sent = {}
    for field in fields:
        kind = field.get("type", "text")
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            value = chosen.get("value", "")
        elif field.name == "textarea":
            value = field.get_text()
        elif (kind in ("checkbox", "radio") and not field.has_attr("checked")) or kind == "file":
            continue
        else:
            value = field.get("value", "")
        sent.setdefault(field["name"], []).append(value)
    return sent


class Clock:
    """The time staff sessions and device cookies see (UTC, naive); tests move it instead of waiting."""

    def __init__(self):
        self.now = datetime(2026, 12, 1, 8, 0)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def checkout_fields(client, product_id):
    """Put one of `product_id` in the cart and read /checkout's form as a browser would send it
    (the chosen day and time, the order token); the caller adds the customer's fields."""
    client.post("/cart/items", data={"product_id": product_id, "quantity": 1}, headers=BROWSER)
    form = BeautifulSoup(client.get("/checkout", headers=BROWSER).data, "html.parser").select_one("#checkout-form")
    fields = {
        f["name"]: f.get("value", "")
        for f in form.select("input[name]:not([disabled])")
        if f.get("type") != "radio" or f.has_attr("checked")
    }
    return fields | {s["name"]: s.select_one("option[selected]")["value"] for s in form.select("select[name]")}


def set_product(app, product_id, **fields):
    """Set a product's columns straight in the database (lead_hours=24, lead_days=2); returns its id."""
    with app.app_context():
        product = db.session.get(Product, product_id)
        for name, value in fields.items():
            setattr(product, name, value)
        db.session.commit()
    return product_id


def bake(app, product_id, amounts):
    """Make a product baked daily: `amounts` a number (every weekday) or {weekday: amount}; returns its id."""
    if isinstance(amounts, int):
        amounts = dict.fromkeys(range(7), amounts)
    with app.app_context():
        set_weekday_amounts(db.session.get(Product, product_id), amounts)
        db.session.commit()
    return product_id


def use_resource(app, product_id, resource=("Deck oven", "trays", 40), per_batch=1, batch_size=None, to_order=False):
    """Make a product baked whose batches (of `batch_size`) use `per_batch` of `resource` ((name, unit, per day),
    made if missing); `to_order`: made to order, as many as the resource has room for. Returns the resource id."""
    name, unit, per_day = resource
    with app.app_context():
        found = db.session.scalar(select(Resource).where(Resource.name == name))
        if found is None:
            found = Resource(name=name, unit=unit, per_day=per_day)
            db.session.add(found)
            db.session.flush()
        product = db.session.get(Product, product_id)
        product.kind, product.to_order, product.batch_size = "baked", to_order, batch_size
        db.session.merge(ProductResourceUse(product_id=product_id, resource_id=found.id, per_batch=per_batch))
        db.session.commit()
        return found.id
