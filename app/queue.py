"""Hand placed orders to the worker: RabbitMQ when configured, else an in-process queue.

Both expose the same small interface: publish(order_id), check(), start(), stop().
"""
import logging
import queue
import threading
from datetime import timedelta

from sqlalchemy import select

from . import rabbitmq
from .extensions import db
from .models import PENDING, Order, utcnow
from .orders.processing import handle_order
from .outbox import OutboxRelay

LOGGER = logging.getLogger(__name__)


class InProcessQueue:
    """A thread in this process runs the same processing as the worker (app/orders/processing.py).

    Orders left Pending (the process stopped before processing them) are swept up
    every `sweep_seconds`, so the orders table is the outbox here too.
    """

    def __init__(self, app, sweep_seconds=5.0):
        self.app = app
        self.sweep_seconds = sweep_seconds
        self._orders = queue.Queue()
        self._thread = None
        self._started = threading.Lock()
        self._stopping = threading.Event()

    def start(self):
        """Start the consumer thread once; later calls do nothing."""
        with self._started:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="order-consumer", daemon=True)
                self._thread.start()

    def stop(self, timeout=5):
        self._stopping.set()
        self._orders.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def publish(self, order_id):
        self.start()
        self._orders.put(order_id)

    def check(self):
        alive = self._thread is None or self._thread.is_alive()
        return ("ok", "in-process") if alive else ("down", "consumer thread stopped")

    def _run(self):
        with self.app.app_context():
            self._sweep()
        while not self._stopping.is_set():
            try:
                order_id = self._orders.get(timeout=self.sweep_seconds)
            except queue.Empty:
                with self.app.app_context():
                    self._sweep()
                continue
            if order_id is not None:
                with self.app.app_context():
                    self._handle(order_id)

    def _handle(self, order_id):
        try:
            # RETRY needs nothing here: the order stays Pending and the next sweep retries it.
            handle_order(order_id, self.app.config["ORDER_MAX_ATTEMPTS"])
        except Exception:
            LOGGER.exception("order processing failed order_id=%s", order_id)

    def _sweep(self):
        try:
            cutoff = utcnow() - timedelta(seconds=self.sweep_seconds)
            stale = db.session.scalars(
                select(Order.public_id).where(Order.status == PENDING, Order.created_at < cutoff).limit(500)
            ).all()
        except Exception:
            db.session.rollback()
            LOGGER.exception("sweep for unprocessed orders failed")
            return
        for order_id in stale:
            self._handle(order_id)


class RabbitMQQueue:
    """Orders go to RabbitMQ through the outbox relay; `python -m worker` consumes them.

    publish() only wakes this process's relay thread: the request never waits for
    RabbitMQ, and an order placed while RabbitMQ is down is published once it is back.
    """

    def __init__(self, app):
        self.url = app.config["RABBITMQ_URL"]
        self.queue = app.config["ORDERS_QUEUE"]
        self.relay = OutboxRelay(app)

    def start(self):
        """Start the relay thread (lazily, so it starts in each forked web worker)."""
        self.relay.start()

    def stop(self, timeout=5):
        """Stop this process's relay thread."""
        self.relay.stop(timeout)

    def publish(self, order_id):
        """Wake the relay: it publishes every unpublished order, this one included."""
        self.relay.start()
        self.relay.wake()

    def check(self):
        """A real round trip to RabbitMQ on a short-lived connection of its own."""
        try:
            rabbitmq.ping(self.url, self.queue)
        except rabbitmq.CONNECTION_ERRORS as error:
            return "down", repr(error)
        return "ok", "rabbitmq"


def create_order_queue(app):
    """The queue this app publishes to, chosen by configuration."""
    if app.config.get("RABBITMQ_URL"):
        return RabbitMQQueue(app)
    return InProcessQueue(app)
