"""The plain reference order service the bakery's POST /orders is measured against.

Written the obvious way, on purpose: one Flask view on raw psycopg2 that validates the
items, reads the products, inserts the order and its items, takes the stock with a
conditional update per line and commits, then publishes the order id with pika and waits
for the publisher confirm on the request path. `python -m bench.reference_app consume`
is its minimal consumer (Pending → Processing, ack). Its own tables (ref_*) and queue live
in the bench database and vhost, so it never touches the bakery's.
"""

import json
import os
import secrets
import sys
import threading

import pika
import psycopg2
from flask import Flask, jsonify, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS ref_products (
    id integer PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL,
    stock integer NOT NULL, active boolean NOT NULL DEFAULT true);
CREATE TABLE IF NOT EXISTS ref_orders (
    id bigserial PRIMARY KEY, public_id text UNIQUE NOT NULL, status text NOT NULL,
    total numeric(10, 2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ref_order_items (
    id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES ref_orders (id),
    product_id integer NOT NULL REFERENCES ref_products (id), quantity integer NOT NULL,
    unit_price numeric(10, 2) NOT NULL);
"""
PRODUCTS = 10
MAX_LINES, MAX_QUANTITY = 20, 50


def prepare(conn, queue, rabbitmq_url, stock):
    """Create (or empty) the reference tables, stock ten products, declare and purge its queue."""
    with conn, conn.cursor() as cur:
        cur.execute(SCHEMA)
        cur.execute("TRUNCATE ref_order_items, ref_orders, ref_products")
        cur.executemany(
            "INSERT INTO ref_products (id, name, price, stock) VALUES (%s, %s, %s, %s)",
            [(n, f"Product {n}", "2.50", stock) for n in range(1, PRODUCTS + 1)],
        )
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    channel.queue_purge(queue)
    connection.close()


def pending(conn):
    """Reference orders not yet taken by its consumer."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ref_orders WHERE status = 'Pending'")
        return cur.fetchone()[0]


def parse_items(payload):
    """{product id: quantity} from {"items": [{"id": 1, "quantity": 2}, …]}, or None if malformed."""
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_LINES:
        return None
    lines = {}
    for item in items:
        pid, quantity = (item.get("id"), item.get("quantity")) if isinstance(item, dict) else (None, None)
        if type(pid) is not int or type(quantity) is not int or not 0 < quantity <= MAX_QUANTITY:
            return None
        lines[pid] = lines.get(pid, 0) + quantity
    return lines


class Resources(threading.local):
    """One database connection and one confirming channel per thread (neither is thread-safe)."""

    def __init__(self):
        self.conn = psycopg2.connect(os.environ["REFERENCE_DSN"])
        self.connection = pika.BlockingConnection(pika.URLParameters(os.environ["REFERENCE_RABBITMQ_URL"]))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()


def create_app():
    app = Flask(__name__)
    queue = os.environ["REFERENCE_QUEUE"]
    local = {}

    def resources():
        if "r" not in local:
            local["r"] = Resources()
        return local["r"]

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/orders")
    def place():
        lines = parse_items(request.get_json(silent=True))
        if lines is None:
            return jsonify(error="items must be a list of {id, quantity}"), 400
        res = resources()
        conn = res.conn
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id, price FROM ref_products WHERE id = ANY(%s) AND active", (sorted(lines),))
                prices = dict(cur.fetchall())
                if len(prices) != len(lines):
                    conn.rollback()
                    return jsonify(error="unknown product"), 400
                total = sum(prices[pid] * quantity for pid, quantity in lines.items())
                public_id = secrets.token_urlsafe(16)
                cur.execute(
                    "INSERT INTO ref_orders (public_id, status, total) VALUES (%s, 'Pending', %s) RETURNING id",
                    (public_id, total),
                )
                order_pk = cur.fetchone()[0]
                cur.executemany(
                    "INSERT INTO ref_order_items (order_id, product_id, quantity, unit_price) VALUES (%s, %s, %s, %s)",
                    [(order_pk, pid, quantity, prices[pid]) for pid, quantity in sorted(lines.items())],
                )
                for pid, quantity in sorted(lines.items()):
                    cur.execute(
                        "UPDATE ref_products SET stock = stock - %s WHERE id = %s AND stock >= %s",
                        (quantity, pid, quantity),
                    )
                    if cur.rowcount != 1:
                        conn.rollback()
                        return jsonify(error="not enough stock", product_id=pid), 409
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        res.channel.basic_publish(
            "", queue, json.dumps({"order_id": public_id}).encode(), pika.BasicProperties(delivery_mode=2)
        )  # returns once RabbitMQ confirmed it (confirm_delivery)
        return jsonify(order_id=public_id, status="Pending", total=str(total)), 201

    return app


def consume():
    """The reference's minimal consumer: Pending → Processing, commit, ack; prefetch 50."""
    conn = psycopg2.connect(os.environ["REFERENCE_DSN"])
    connection = pika.BlockingConnection(pika.URLParameters(os.environ["REFERENCE_RABBITMQ_URL"]))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=50)

    def on_message(ch, method, _properties, body):
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE ref_orders SET status = 'Processing' WHERE public_id = %s AND status = 'Pending'",
                (json.loads(body)["order_id"],),
            )
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(os.environ["REFERENCE_QUEUE"], on_message)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__" and sys.argv[1:] == ["consume"]:
    consume()
