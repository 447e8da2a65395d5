"""The order pipeline on the real services: web → outbox → RabbitMQ → `python -m worker` → PostgreSQL.

Every test runs real worker processes against its own queue (and dead-letter queue).
"""

import json
import logging
import threading
import time
from collections import Counter

import psycopg2
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from app.extensions import db
from app.infra import rabbitmq
from app.infra.order_relay import OutboxRelay
from app.models import Order
from tests.helpers import JSON, later_pickup, post_order, services_only
from tests.pipeline_tools import (
    WorkerProcess,
    delete_queues,
    failing_first_attempts,
    log_times,
    notifications_per_order,
    publish_raw,
    purge_queues,
    rabbitmq_stopped,
    ready_messages,
    statuses,
    take_all,
    unpublished,
    wait_until,
)
from tests.silent_broker import SilentBroker

pytestmark = services_only


class Pipeline:
    """One test's world: an app on its own queue, a product with plenty of stock, workers on demand."""

    def __init__(self, app, tmp_path, product_id):
        self.app = app
        self.client = app.test_client()
        self.url = app.config["RABBITMQ_URL"]
        self.queue = app.config["ORDERS_QUEUE"]
        self.dead = rabbitmq.dead_letter_name(self.queue)
        self.retry = rabbitmq.retry_name(self.queue)
        self.product_id = product_id
        self.tmp_path = tmp_path
        self.workers = []

    def worker(self):
        worker = WorkerProcess(self.app, self.tmp_path / f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        return worker.start()

    def place(self, count):
        """Place `count` one-item orders through the API; return their ids (all must be 201)."""
        responses = [post_order(self.client, [{"id": self.product_id, "quantity": 1}]) for _ in range(count)]
        assert [r.status_code for r in responses] == [201] * count
        return [r.get_json()["order_id"] for r in responses]

    def wait_processing(self, count, timeout=30):
        wait_until(
            lambda: statuses(self.app)["Processing"] == count,
            timeout,
            lambda: f"not all Processing after {timeout}s: {statuses(self.app)}",
        )

    def wait_published(self, timeout=15):
        wait_until(lambda: unpublished(self.app) == 0, timeout, "orders left unpublished")

    def processed_once_each(self, order_ids):
        """Every order was moved to Processing by exactly one worker, once."""
        done = Counter(order_id for worker in self.workers for order_id in worker.processed())
        assert done == Counter(order_ids)
        assert set(notifications_per_order(self.app).items()) == {(order_id, 1) for order_id in order_ids}


@pytest.fixture
def pipeline(make_app, add_product, tmp_path, request, schema):
    queue = f"{schema['ORDERS_QUEUE']}.{request.node.name.removeprefix('test_')[:40]}"
    delete_queues(schema["RABBITMQ_URL"], queue)
    app = make_app(ORDERS_QUEUE=queue)
    world = Pipeline(app, tmp_path, add_product(name="Pipeline Bun", stock=10_000))
    yield world
    for worker in world.workers:
        worker.close()
    delete_queues(schema["RABBITMQ_URL"], queue)


@pytest.fixture
def locked_order(schema):
    """Hold a row lock on one order from another connection, so a worker blocks on it mid-message."""
    url = make_url(schema["SQLALCHEMY_DATABASE_URI"])
    connection = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database
    )

    def lock(public_id):
        connection.cursor().execute("SELECT id FROM orders WHERE public_id = %s FOR UPDATE", (public_id,))
        return connection

    yield lock
    connection.rollback()
    connection.close()


def test_fifty_orders_reach_processing_with_one_notification_each(pipeline):
    pipeline.worker().wait_until_consuming()
    order_ids = pipeline.place(50)
    pipeline.wait_processing(50)
    pipeline.processed_once_each(order_ids)
    assert ready_messages(pipeline.url, pipeline.queue) == 0
    assert take_all(pipeline.url, pipeline.dead) == []


@pytest.mark.slow
def test_worker_killed_with_unacked_messages_loses_and_doubles_nothing(pipeline, locked_order):
    order_ids = pipeline.place(60)
    pipeline.wait_published()
    lock = locked_order(order_ids[9])  # the worker stalls on the tenth, holding the rest unacked
    first = pipeline.worker()
    wait_until(lambda: statuses(pipeline.app)["Processing"] == 9, 15, "worker did not start processing")
    assert ready_messages(pipeline.url, pipeline.queue) < 60 - 9 - 1  # some are delivered, not acked
    first.kill()
    lock.rollback()
    restarted = time.monotonic()
    pipeline.worker()
    pipeline.wait_processing(60)
    print(
        f"all 60 Processing {time.monotonic() - restarted:.1f}s after the restart; "
        f"the killed worker had done {len(first.processed())}"
    )
    pipeline.processed_once_each(order_ids)


@pytest.mark.slow
@pytest.mark.exclusive
def test_orders_placed_while_rabbitmq_is_down_are_all_processed_once_it_is_back(pipeline):
    pipeline.worker().wait_until_consuming()
    with rabbitmq_stopped():
        order_ids = pipeline.place(30)  # all 201, asserted in place()
        assert statuses(pipeline.app) == Counter({"Pending": 30})
        assert unpublished(pipeline.app) == 30
    back = time.monotonic()
    pipeline.wait_processing(30, timeout=30)
    print(f"all 30 Processing {time.monotonic() - back:.1f}s after RabbitMQ was back")
    pipeline.processed_once_each(order_ids)


def test_every_message_published_twice_ends_as_if_published_once(pipeline):
    order_ids = pipeline.place(40)
    pipeline.wait_published()
    publish_raw(pipeline.url, pipeline.queue, *(rabbitmq.encode_order(order_id) for order_id in order_ids))
    assert ready_messages(pipeline.url, pipeline.queue) == 80
    worker = pipeline.worker()
    pipeline.wait_processing(40)
    wait_until(lambda: worker.log().count("order already processed") >= 40, 15, "duplicates not all seen")
    pipeline.processed_once_each(order_ids)
    assert worker.log().count("order already processed") == 40
    assert ready_messages(pipeline.url, pipeline.queue) == 0
    assert take_all(pipeline.url, pipeline.dead) == []


def test_poison_messages_are_dead_lettered_and_the_worker_keeps_serving(pipeline):
    worker = pipeline.worker().wait_until_consuming()
    poison = [b"not json at all", b'{"order_id": "no-such-order-00000"}', b"[1, 2]", b'{"order_id": 7}']
    publish_raw(pipeline.url, pipeline.queue, *poison)
    order_ids = pipeline.place(5)
    pipeline.wait_processing(5)
    wait_until(lambda: ready_messages(pipeline.url, pipeline.dead) == 4, 15, "poison not dead-lettered")
    listed = pipeline.app.test_cli_runner().invoke(args=["dead-letters"])
    assert listed.exit_code == 0, listed.output
    assert "4 dead-lettered messages in" in listed.output and "not json at all" in listed.output
    assert sorted(take_all(pipeline.url, pipeline.dead)) == sorted(poison)  # listing left them there
    assert worker.process.poll() is None
    pipeline.processed_once_each(order_ids)


@pytest.mark.slow
def test_two_workers_never_process_an_order_twice(pipeline):
    workers = [pipeline.worker(), pipeline.worker()]
    for worker in workers:
        worker.wait_until_consuming()
    order_ids = pipeline.place(200)
    pipeline.wait_processing(200)
    pipeline.processed_once_each(order_ids)
    print(f"orders processed by each worker: {[len(worker.processed()) for worker in workers]}")
    assert all(worker.processed() for worker in workers), "one worker got nothing"


@pytest.mark.slow
def test_sigterm_finishes_the_message_in_hand_exits_zero_and_loses_nothing(pipeline, locked_order):
    order_ids = pipeline.place(60)
    pipeline.wait_published()
    lock = locked_order(order_ids[9])
    worker = pipeline.worker()
    wait_until(lambda: statuses(pipeline.app)["Processing"] == 9, 15, "worker did not start processing")
    threading.Timer(0.5, lock.rollback).start()  # the message in hand finishes after the signal
    stopped = time.monotonic()
    assert worker.terminate(timeout=10) == 0
    print(f"worker exited {time.monotonic() - stopped:.1f}s after SIGTERM")
    assert order_ids[9] in worker.processed()
    assert statuses(pipeline.app)["Processing"] == 10
    assert ready_messages(pipeline.url, pipeline.queue) == 50  # back in the queue, not lost
    pipeline.worker()
    pipeline.wait_processing(60)
    pipeline.processed_once_each(order_ids)


def test_an_order_that_keeps_failing_is_marked_failed_gives_stock_back_and_is_dead_lettered(pipeline, stock_of):
    order_ids = pipeline.place(3)
    doomed = order_ids[1]
    with pipeline.app.app_context():
        db.session.execute(
            update(Order)
            .where(Order.public_id == doomed)
            .values(customer_contact="fail@bakery.test", customer_email="fail@bakery.test")
        )
        db.session.execute(
            text(
                "CREATE OR REPLACE FUNCTION pipeline_test_fail() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'kitchen printer on fire'; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER pipeline_test_fail BEFORE INSERT ON notifications FOR EACH ROW "
                "WHEN (NEW.recipient = 'fail@bakery.test') EXECUTE FUNCTION pipeline_test_fail()"
            )
        )
        db.session.commit()
    try:
        pipeline.worker()
        wait_until(
            lambda: statuses(pipeline.app) == Counter({"Processing": 2, "Failed": 1}),
            20,
            lambda: f"statuses {statuses(pipeline.app)}",
        )
    finally:
        with pipeline.app.app_context():
            db.session.execute(text("DROP TRIGGER IF EXISTS pipeline_test_fail ON notifications"))
            db.session.commit()
    with pipeline.app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == doomed))
        assert order.processing_attempts == pipeline.app.config["ORDER_MAX_ATTEMPTS"]
        assert "kitchen printer on fire" in order.failure_reason
    assert stock_of(pipeline.product_id) == 10_000 - 2
    wait_until(lambda: ready_messages(pipeline.url, pipeline.dead) == 1, 10, "nothing dead-lettered")
    assert [rabbitmq.decode_order(body) for body in take_all(pipeline.url, pipeline.dead)] == [doomed]


@pytest.mark.slow
def test_an_order_that_fails_twice_is_retried_after_growing_delays_and_processed_once(pipeline):
    base = 0.5
    pipeline.app.config["ORDER_RETRY_BASE_SECONDS"] = base  # the worker process gets the app's settings
    with failing_first_attempts(pipeline.app, 2):
        worker = pipeline.worker().wait_until_consuming()
        [order_id] = pipeline.place(1)
        # Between tries the message waits in the retry queue, not in the orders queue.
        wait_until(
            lambda: ready_messages(pipeline.url, pipeline.retry) == 1, 10, "nothing in the retry queue", interval=0.02
        )
        pipeline.wait_processing(1, timeout=15)
    failed = log_times(worker.log(), f"order processing failed order_id={order_id}")
    done = log_times(worker.log(), f"order processing order_id={order_id}")
    assert (len(failed), len(done)) == (2, 1), worker.log()
    print(f"tries {failed[1] - failed[0]:.2f}s and {done[0] - failed[1]:.2f}s apart")
    # The log's clock has milliseconds, truncated: allow one.
    assert failed[1] - failed[0] >= base - 0.001 and done[0] - failed[1] >= 2 * base - 0.001
    tries = pipeline.app.config["ORDER_MAX_ATTEMPTS"]
    assert f"attempt=1/{tries} retry_in=0.50s" in worker.log() and f"attempt=2/{tries} retry_in=1.00s" in worker.log()
    pipeline.processed_once_each([order_id])
    assert [ready_messages(pipeline.url, name) for name in (pipeline.queue, pipeline.retry, pipeline.dead)] == [0, 0, 0]
    listed = pipeline.app.test_cli_runner().invoke(args=["dead-letters"])
    assert f"0 messages waiting for a retry in {pipeline.retry}." in listed.output


@pytest.mark.slow
def test_relays_racing_over_the_same_outbox_publish_each_order_once(pipeline):
    order_ids = pipeline.place(300)
    pipeline.wait_published()
    pipeline.app.extensions["order_queue"].stop()
    take_all(pipeline.url, pipeline.queue)
    with pipeline.app.app_context():
        db.session.execute(update(Order).values(published_at=None))
        db.session.commit()
    relays = [OutboxRelay(pipeline.app, batch_size=25) for _ in range(3)]

    def drain(relay):
        with pipeline.app.app_context():
            while relay.relay_batch():
                pass

    threads = [threading.Thread(target=drain, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert unpublished(pipeline.app) == 0
    published = [rabbitmq.decode_order(body) for body in take_all(pipeline.url, pipeline.queue)]
    assert Counter(published) == Counter(order_ids)


def test_health_says_queue_down_when_rabbitmq_is_unreachable(make_app):
    app = make_app(RABBITMQ_URL="amqp://guest:guest@127.0.0.1:1/%2F")
    started = time.monotonic()
    response = app.test_client().get("/health")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"] == "down"
    assert response.get_json()["status"] == "degraded"


def test_a_batch_of_mixed_messages_settles_each_as_if_it_came_alone(pipeline):
    pending = pipeline.place(3)
    [redelivered] = pipeline.place(1)
    pipeline.wait_published()
    with pipeline.app.app_context():
        db.session.execute(update(Order).where(Order.public_id == redelivered).values(status="Processing"))
        db.session.commit()
    unknown, poison = rabbitmq.encode_order("no-such-order-00000"), b"not json at all"
    publish_raw(pipeline.url, pipeline.queue, unknown, poison, rabbitmq.encode_order(pending[0]))
    worker = pipeline.worker()  # all seven are waiting: they arrive together, as one batch
    pipeline.wait_processing(4)
    wait_until(lambda: ready_messages(pipeline.url, pipeline.dead) == 2, 15, "unknown and poison not dead-lettered")
    wait_until(lambda: worker.log().count("order already processed") == 2, 15, lambda: worker.log())
    assert sorted(take_all(pipeline.url, pipeline.dead)) == sorted([unknown, poison])
    assert sorted(worker.processed()) == sorted(pending)
    assert notifications_per_order(pipeline.app) == {**dict.fromkeys(pending, 1), redelivered: 0}
    assert ready_messages(pipeline.url, pipeline.queue) == 0


@pytest.mark.slow
def test_worker_killed_in_the_middle_of_a_batch_loses_and_doubles_nothing(pipeline):
    order_ids = pipeline.place(40)
    pipeline.wait_published()
    slow = order_ids[5]
    with pipeline.app.app_context():
        db.session.execute(update(Order).where(Order.public_id == slow).values(customer_email="slow@bakery.test"))
        db.session.execute(
            text(
                "CREATE OR REPLACE FUNCTION pipeline_test_slow() RETURNS trigger AS $$ "
                "BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER pipeline_test_slow BEFORE INSERT ON notifications FOR EACH ROW "
                "WHEN (NEW.recipient = 'slow@bakery.test') EXECUTE FUNCTION pipeline_test_slow()"
            )
        )
        db.session.commit()

    def batch_statement_running():
        with pipeline.app.app_context():
            sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = :e"
            return db.session.scalar(text(sleeping), {"e": "PgSleep"})

    try:
        first = pipeline.worker()
        wait_until(batch_statement_running, 15, "the worker's batch never reached the slow order")
        first.kill()  # in the middle of the batch's statement, its messages unacked
    finally:
        with pipeline.app.app_context():
            db.session.execute(text("DROP TRIGGER IF EXISTS pipeline_test_slow ON notifications"))
            db.session.commit()
    pipeline.worker()
    pipeline.wait_processing(40)
    pipeline.processed_once_each(order_ids)
    assert ready_messages(pipeline.url, pipeline.queue) == 0


@pytest.mark.slow
def test_an_idle_relay_keeps_its_connection_and_publishes_the_next_order_at_once(
    make_app, add_product, schema, caplog, monkeypatch
):
    # Heartbeats every 2 s: RabbitMQ drops a connection whose client stays silent for two of them.
    queue = f"{schema['ORDERS_QUEUE']}.idle_relay"
    delete_queues(schema["RABBITMQ_URL"], queue)
    purge_queues(schema["RABBITMQ_URL"], queue)  # declared afresh, so that its messages can be counted
    # The migrations' logging.config.fileConfig disabled the loggers that existed before they ran.
    monkeypatch.setattr(logging.getLogger("app.infra.order_relay"), "disabled", False)
    caplog.set_level(logging.INFO, logger="app.infra.order_relay")
    app = make_app(ORDERS_QUEUE=queue, RABBITMQ_URL=f"{schema['RABBITMQ_URL']}?heartbeat=2")
    client = app.test_client()
    product_id = add_product(name="Idle Bun", stock=10)
    try:
        assert post_order(client, [{"id": product_id, "quantity": 1}]).status_code == 201
        wait_until(lambda: ready_messages(app.config["RABBITMQ_URL"], queue) == 1, 5, "the first order never arrived")
        time.sleep(7)  # idle for more than three heartbeats
        assert post_order(client, [{"id": product_id, "quantity": 1}]).status_code == 201
        placed = time.monotonic()
        wait_until(lambda: ready_messages(app.config["RABBITMQ_URL"], queue) == 2, 5, "the second order never arrived")
        took = time.monotonic() - placed
    finally:
        app.extensions["order_queue"].stop()
        delete_queues(schema["RABBITMQ_URL"], queue)
    relay_log = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "app.infra.order_relay"]
    assert [message for _, message in relay_log if "connected" in message] == [f"outbox relay connected queue={queue}"]
    assert [entry for entry in relay_log if entry[0] != "INFO"] == []
    assert took < 1.0


@pytest.mark.slow
def test_a_relay_stuck_connecting_to_rabbitmq_keeps_no_order_locked(make_app, products):
    # The relay's connection attempt hangs 3 s at the AMQP handshake; meanwhile the customer cancels.
    with SilentBroker() as broker:
        app = make_app(RABBITMQ_URL=broker.url(stack_timeout=3))
        client = app.test_client()
        body = {"items": [{"id": products["Baguette"], "quantity": 1}], "pickup_at": later_pickup(client)}
        response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
        assert response.status_code == 201
        order_id = response.get_json()["order_id"]
        wait_until(lambda: broker.accepted, 5, "the relay never tried to connect")
        started = time.monotonic()
        cancelled = client.post(f"/orders/{order_id}/cancel", headers=JSON)
        took = time.monotonic() - started
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "Cancelled"
    assert took < 1.0
