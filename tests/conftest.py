"""Fixtures: an app on the embedded default (SQLite) or on the real services.

BAKERY_TEST_BACKEND=services runs everything against PostgreSQL, Redis and RabbitMQ,
each in its own test database / Redis db number / queue names; the default is embedded.
"""

import os
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from app import create_app
from app.catalog.seed_data import load_demo
from app.extensions import db
from app.models import Product
from app.staff.accounts import create_staff
from tests.helpers import (
    BACKEND,
    ON_SERVICES,
    PG_URL,
    RETIRED_TABLES,
    TABLES,
    clean_database,
    ensure_postgres_database,
    for_this_worker,
    redis_url_for_this_worker,
)

# Fixtures kept beside their helpers: Chromium and the live gunicorn, the SMTP server and the apps that mail to it.
pytest_plugins = ("tests.browser_tools", "tests.mail_tools")

REDIS_URL = redis_url_for_this_worker(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def pytest_report_header(config):
    speedups = os.environ.get("SPEEDUPS", "1 (default)")
    return f"bakery backend: {BACKEND}; SPEEDUPS={speedups}"


def pytest_collection_modifyitems(config, items):
    """Tests marked `services` skip on the embedded default; tests marked `once` run only there."""
    marker, reason = (
        ("once", "checked on the embedded default: it does not depend on the backend")
        if ON_SERVICES
        else ("services", "needs the real services (BAKERY_TEST_BACKEND=services)")
    )
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker(marker):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """The settings every test app gets for the chosen backend."""
    instance = tmp_path_factory.mktemp("instance")
    # Retries of a failed order wait 0.05 s, 0.1 s, … so that tests of failing orders stay fast.
    common = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "ORDER_RETRY_BASE_SECONDS": 0.05,
        "ORDER_RETRY_MAX_SECONDS": 1.0,
        "UPLOAD_FOLDER": str(instance / "uploads"),
        # Tests place many orders and log in often from one address: the rate limits are off
        # here and proved on their own in tests/http/test_rate_limits.py.
        "ORDER_RATE_LIMIT": "",
        "API_KEY_RATE_LIMIT": "",
        "LOGIN_RATE_LIMIT": "",
        "LOGIN_CLIENT_RATE_LIMIT": "",
        "LOGIN_ACCOUNT_RATE_LIMIT": "",
        "PASSWORD_CHANGE_RATE_LIMIT": "",
        "ORDER_PAGE_RATE_LIMIT": "",  # the suites poll order statuses
        # Likewise what one client can hold (tests/http/test_client_caps.py switches it on).
        "MAX_ITEMS_PER_CLIENT_PER_DAY": 0,
        "MAX_ORDERS_PER_CLIENT_PER_SLOT": 0,
        "PASSWORD_HASH_CHEAP": True,  # argon2id at its smallest cost; tests/http/test_accounts.py checks the real one
    }
    if ON_SERVICES:
        ensure_postgres_database(PG_URL)
        return {
            **common,
            "SQLALCHEMY_DATABASE_URI": PG_URL,
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": "bakery-test:",
            "RABBITMQ_URL": RABBITMQ_URL,
            "ORDERS_QUEUE": for_this_worker(os.environ.get("TEST_ORDERS_QUEUE", "bakery_test_orders")),
        }
    return {
        **common,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bakery-test.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 15}},
        "CACHE_TYPE": "SimpleCache",
        "RABBITMQ_URL": None,
    }


@pytest.fixture(scope="session")
def schema(settings):
    """Build the schema once per run with the real migrations (so they are tested too)."""
    app = create_app(settings)
    with app.app_context():
        with db.engine.begin() as conn:
            for table in (*TABLES, *RETIRED_TABLES, "alembic_version"):
                conn.execute(
                    text(f"DROP TABLE IF EXISTS {table} CASCADE" if ON_SERVICES else f"DROP TABLE IF EXISTS {table}")
                )
        upgrade()
        db.engine.dispose()
    return settings


@pytest.fixture(autouse=True)
def order_worker(request):
    """On the services, the real consumer serves the tests' queue in a thread, as `python -m worker` would."""
    if not ON_SERVICES:
        yield None
        return
    from tests.pipeline_tools import purge_queues
    from worker.consumer import OrderConsumer

    settings = request.getfixturevalue("schema")
    # Messages an earlier test left behind name orders that no longer exist: drop them.
    purge_queues(settings["RABBITMQ_URL"], settings["ORDERS_QUEUE"])
    consumer = OrderConsumer(create_app(settings))
    thread = threading.Thread(target=consumer.run, name="test-order-worker", daemon=True)
    thread.start()
    yield consumer
    consumer.stop()
    thread.join(10)


@pytest.fixture
def make_app(schema):
    """A factory for apps on a clean database; every app made is shut down after the test."""
    apps = []

    def factory(**overrides):
        app = create_app({**schema, **overrides})
        apps.append(app)
        return app

    clean_database(create_app(schema))
    yield factory
    for app in apps:
        app.extensions["order_queue"].stop()
        app.extensions["notification_sender"].stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff_client(app, client):
    """`client`, logged in as the staff member (and owner) "ana"."""
    with app.app_context():
        create_staff("ana", "secret-bread")
    assert client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}).status_code == 303
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def products(app):
    """The demo catalogue with its categories and allergens, loaded as `flask seed` does, but every product
    stocked, no oven and no days of notice (most tests count the demo's stock and order for today; tests of
    baked products bake their own: helpers.bake, helpers.use_resource);
    returns {name: product id}."""
    with app.app_context():
        load_demo()
        db.session.execute(text("UPDATE products SET kind = 'stocked', batch_size = NULL, lead_days = NULL"))
        db.session.execute(text("DELETE FROM product_resource_uses"))
        db.session.execute(text("DELETE FROM resources"))
        db.session.commit()
        return dict(db.session.execute(select(Product.name, Product.id).order_by(Product.id)).all())


@pytest.fixture
def add_product(app):
    """Add one product with the given fields; returns its id."""

    def add(name="Test Bun", price="1.50", stock=10, active=True, **fields):
        with app.app_context():
            product = Product(
                name=name,
                price=price,
                stock=stock,
                active=active,
                image=fields.pop("image", "/static/products/baguette.svg"),
                **fields,
            )
            db.session.add(product)
            db.session.commit()
            return product.id

    return add


@pytest.fixture
def stock_of(app):
    """Read a product's stock straight from the database."""

    def read(product_id):
        with app.app_context():
            return db.session.get(Product, product_id).stock

    return read
