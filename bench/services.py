"""The benchmark's own share of the shared services: database, Redis db and queue."""

import os
import subprocess
import sys

import pika
import psycopg2
import redis
from sqlalchemy.engine import make_url

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/bakery_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
ORDERS_QUEUE = os.environ.get("BENCH_ORDERS_QUEUE", "bench_orders")
# What a dead Redis looks like to a client: nothing listens on port 1, connections are refused.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"
RESTOCK = 1_000_000  # enough stock that no benchmark order is refused for want of it


def app_env(base=os.environ):
    """The environment the app and the worker run with during the benchmark."""
    env = {key: value for key, value in base.items() if not key.startswith(("DB_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        RABBITMQ_URL=RABBITMQ_URL,
        ORDERS_QUEUE=ORDERS_QUEUE,
        SECRET_KEY="bench-secret",
        LOG_LEVEL="WARNING",
        # Slots as roomy as the restocked products: the load measures the shop, not a full calendar.
        BAKERY_SLOT_CAPACITY=str(RESTOCK),
        # libpq names the connections, so bench/cpu.py can tell the app's PostgreSQL backends apart.
        PGAPPNAME=APP_NAME["app"],
        # The abuse limits off: the load comes from one address and measures throughput, not them.
        ORDER_RATE_LIMIT="",
        API_KEY_RATE_LIMIT="",
        LOGIN_RATE_LIMIT="",
        LOGIN_CLIENT_RATE_LIMIT="",
        LOGIN_ACCOUNT_RATE_LIMIT="",
        PASSWORD_CHANGE_RATE_LIMIT="",
        ORDER_PAGE_RATE_LIMIT="",
        MAX_OPEN_ORDERS_PER_CONTACT="0",
        MAX_ITEMS_PER_CLIENT_PER_DAY="0",
        MAX_ORDERS_PER_CLIENT_PER_SLOT="0",
    )
    return env


APP_NAME = {"app": "bench-bakery", "app-public": "bench-bakery-public", "reference": "bench-reference"}
REFERENCE_QUEUE = ORDERS_QUEUE + "_reference"


def reference_env(base=os.environ):
    """The environment of the plain reference order service and its consumer."""
    parts = make_url(DATABASE_URL)
    dsn = f"host={parts.host} port={parts.port or 5432} dbname={parts.database} user={parts.username}"
    if parts.password:
        dsn += f" password={parts.password}"
    return {
        **base,
        "REFERENCE_DSN": dsn,
        "REFERENCE_RABBITMQ_URL": RABBITMQ_URL,
        "REFERENCE_QUEUE": REFERENCE_QUEUE,
        "PGAPPNAME": APP_NAME["reference"],
    }


def dsn():
    """The bench database as a libpq connection string (for bench/cpu.py's look-up of backends)."""
    return reference_env({})["REFERENCE_DSN"]


def connect(url=DATABASE_URL, database=None):
    """A psycopg2 connection to the bench database (or another database on its server)."""
    parts = make_url(url)
    return psycopg2.connect(
        host=parts.host,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=database or parts.database,
        connect_timeout=3,
    )


def ensure_database(url):
    """Create the database `url` names if it is missing."""
    name = make_url(url).database
    admin = connect(url, "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def prepare_database(root, env):
    """Create the bench database if missing, migrate it, load the demo products, restock them (stocked ones
    their stock, baked ones their amount for every weekday).

    Orders of earlier runs are dropped, so every run starts from the same tables.
    """
    ensure_database(DATABASE_URL)
    for step in (["db", "upgrade"], ["seed"]):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *step],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    with connect(DATABASE_URL) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE orders CASCADE")  # and whatever refers to orders (items, notifications)
        cur.execute("TRUNCATE product_days")  # what earlier runs' orders took of each day
        cur.execute("UPDATE products SET stock = %s WHERE active", (RESTOCK,))
        cur.execute(
            "INSERT INTO product_weekday_amounts (product_id, weekday, amount) "
            "SELECT id, weekday, %s FROM products, generate_series(0, 6) AS weekday WHERE kind = 'baked' "
            "ON CONFLICT (product_id, weekday) DO UPDATE SET amount = excluded.amount",
            (RESTOCK,),
        )
    conn.close()


def flush_cache():
    """Empty the bench Redis db, so nothing cached by an earlier run or schema is served."""
    redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()


def queue_depth(queue=ORDERS_QUEUE):
    """Messages ready in `queue` (0 if it does not exist yet)."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0
    finally:
        if connection.is_open:
            connection.close()


def purge_queue(queue=ORDERS_QUEUE):
    """Drop messages left in the bench queue by an earlier run, if the queue exists."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    try:
        connection.channel().queue_purge(queue)
    except pika.exceptions.ChannelClosedByBroker:
        pass
    finally:
        if connection.is_open:
            connection.close()


def pending_orders():
    """Orders still Pending in the bench database (the worker has not taken them yet)."""
    return count_orders("Pending")


def count_orders(status=None):
    """Orders in the bench database, or only those in `status`."""
    with connect(DATABASE_URL) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders WHERE %s IS NULL OR status = %s", (status, status))
        count = cur.fetchone()[0]
    conn.close()
    return count


def count_relay_batches():
    """Outbox relay passes that published the bench's orders: a pass marks its batch with one published_at."""
    with connect(DATABASE_URL) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(DISTINCT published_at) FROM orders")
        count = cur.fetchone()[0]
    conn.close()
    return count
