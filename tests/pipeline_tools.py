"""Helpers for the pipeline tests: real `python -m worker` processes and a look inside RabbitMQ."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text

from app.extensions import db
from app.infra import rabbitmq
from app.models import Notification, Order

ROOT = Path(__file__).resolve().parent.parent
PROCESSED = re.compile(r"order processing order_id=(\S+)")


class WorkerProcess:
    """`python -m worker` in its own process, on the test database and queue, logging to a file."""

    def __init__(self, app, log_path, extra_env=None):
        self.log_path = log_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DB_", "REDIS_", "MAIL_", "RABBITMQ_"))},
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "ORDERS_QUEUE": app.config["ORDERS_QUEUE"],
            "ORDER_MAX_ATTEMPTS": str(app.config["ORDER_MAX_ATTEMPTS"]),
            "ORDER_RETRY_BASE_SECONDS": str(app.config["ORDER_RETRY_BASE_SECONDS"]),
            "ORDER_RETRY_MAX_SECONDS": str(app.config["ORDER_RETRY_MAX_SECONDS"]),
            "SECRET_KEY": "test-secret",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        if app.config["RABBITMQ_URL"]:  # else the worker polls the database, as on the embedded default
            self.env["RABBITMQ_URL"] = app.config["RABBITMQ_URL"]
        self.env.update({name: str(value) for name, value in (extra_env or {}).items()})
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "worker"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_until_consuming(self, timeout=30):
        """Block until the worker has subscribed to the queue."""
        wait_until(lambda: "consumer connected" in self.log(), timeout, f"worker never connected:\n{self.log()}")
        return self

    def terminate(self, timeout=10):
        """SIGTERM, then the exit code (None if it did not exit in time)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def handles(self, signum):
        """Whether the process has installed a handler for `signum` yet (Linux: SigCgt in /proc)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except FileNotFoundError:
            return False
        caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)$", status, re.MULTILINE).group(1), 16)
        return bool(caught & (1 << (signum - 1)))

    def kill(self):
        self.process.kill()
        self.process.wait(10)

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def processed(self):
        """Order ids this worker moved to Processing, from its log (one line per order it did)."""
        return PROCESSED.findall(self.log())


def wait_until(condition, timeout, message="condition not met in time", interval=0.1):
    """Poll `condition` until it is truthy; fail the test with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(message() if callable(message) else message)


@contextmanager
def broker_channel(url):
    """A channel on a connection of its own, closed afterwards."""
    connection = rabbitmq.connect(url)
    try:
        yield connection.channel()
    finally:
        if connection.is_open:
            connection.close()


def ready_messages(url, queue):
    """Messages waiting in `queue` (not counting those delivered and not yet acked)."""
    with broker_channel(url) as channel:
        return channel.queue_declare(queue, passive=True).method.message_count


def take_all(url, queue):
    """Take every waiting message off `queue`; return their bodies."""
    bodies = []
    with broker_channel(url) as channel:
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return bodies
            bodies.append(body)


def publish_raw(url, queue, *bodies):
    """Publish bodies straight to `queue`, as any other publisher could."""
    with broker_channel(url) as channel:
        rabbitmq.declare_topology(channel, queue)
        channel.confirm_delivery()
        for body in bodies:
            channel.basic_publish("", queue, body, rabbitmq.PERSISTENT, mandatory=True)


def delete_queues(url, queue):
    """Delete `queue`, its retry queue and its dead-letter queue and exchange."""
    dead = rabbitmq.dead_letter_name(queue)
    with broker_channel(url) as channel:
        channel.queue_delete(rabbitmq.retry_name(queue))  # first: it could hand a message back to `queue`
        channel.queue_delete(queue)
        channel.queue_delete(dead)
        channel.exchange_delete(dead)


def purge_queues(url, queue):
    """Empty `queue`, its retry queue and its dead-letter queue, declaring them if needed."""
    with broker_channel(url) as channel:
        rabbitmq.declare_topology(channel, queue)
        channel.queue_purge(rabbitmq.retry_name(queue))
        channel.queue_purge(queue)
        channel.queue_purge(rabbitmq.dead_letter_name(queue))


@contextmanager
def rabbitmq_stopped():
    """RabbitMQ's app stopped for the block, and always started again afterwards."""
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=60, capture_output=True)
    try:
        yield
    finally:
        for _attempt in range(3):  # other people's tests use this RabbitMQ too: try hard to restore it
            started = subprocess.run(["rabbitmqctl", "-q", "start_app"], timeout=120, capture_output=True)
            if started.returncode == 0:
                break
            time.sleep(2)
        started.check_returncode()


def statuses(app):
    """How many orders are in each status."""
    with app.app_context():
        return Counter(dict(db.session.execute(select(Order.status, func.count()).group_by(Order.status)).all()))


def notifications_per_order(app):
    """{order public id: number of notifications}, for every order."""
    with app.app_context():
        rows = db.session.execute(
            select(Order.public_id, func.count(Notification.id))
            .outerjoin(Notification, Notification.order_id == Order.id)
            .group_by(Order.public_id)
        ).all()
        return dict(rows)


def unpublished(app):
    """How many orders are not yet handed to RabbitMQ."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order).where(Order.published_at.is_(None)))


@contextmanager
def failing_first_attempts(app, failures):
    """Every order's processing fails (a trigger refuses its notification) until it has failed `failures` times."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text(
                    "CREATE OR REPLACE FUNCTION pipeline_test_flaky() RETURNS trigger AS $$ BEGIN "
                    f"IF (SELECT processing_attempts FROM orders WHERE id = NEW.order_id) < {int(failures)} THEN "
                    "RAISE EXCEPTION 'oven not hot yet'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            db.session.execute(
                text(
                    "CREATE TRIGGER pipeline_test_flaky BEFORE INSERT ON notifications "
                    "FOR EACH ROW EXECUTE FUNCTION pipeline_test_flaky()"
                )
            )
        else:
            db.session.execute(
                text(
                    "CREATE TRIGGER pipeline_test_flaky BEFORE INSERT ON notifications "
                    f"WHEN (SELECT processing_attempts FROM orders WHERE id = NEW.order_id) < {int(failures)} "
                    "BEGIN SELECT RAISE(ABORT, 'oven not hot yet'); END"
                )
            )
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            drop = "DROP TRIGGER IF EXISTS pipeline_test_flaky"
            db.session.execute(text(f"{drop} ON notifications" if db.engine.dialect.name == "postgresql" else drop))
            db.session.commit()


def log_times(log, pattern):
    """The timestamps (seconds) of the log lines matching `pattern`, in order; the log format starts with asctime."""
    times = []
    for line in log.splitlines():
        if re.search(pattern, line):
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            times.append(stamp.timestamp())
    return times
