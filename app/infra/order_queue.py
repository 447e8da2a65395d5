"""Hand placed orders to the worker: RabbitMQ when configured, else an in-process queue.

Both expose the same small interface: publish(order_id), check(), start(), stop().
"""

import heapq
import logging
import queue
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import PENDING, Order, utcnow
from ..orders.processing import RETRY, handle_order, waiting_for_retry
from . import rabbitmq
from .order_relay import OutboxRelay

LOGGER = logging.getLogger(__name__)


class InProcessQueue:
    """A thread in this process runs the same processing as the worker (app/orders/processing.py).

    Orders left Pending (the process stopped before processing them) are swept up
    every `sweep_seconds`, so the orders table is the outbox here too. A failed order
    is tried again after its back-off (retry_delay), never sooner, by the sweep too.
    """

    def __init__(self, app, sweep_seconds=5.0):
        self.app = app
        self.sweep_seconds = sweep_seconds
        self._orders = queue.Queue()
        self._retries = []  # heap of (monotonic time due, order id); only the consumer thread touches it
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
        sender = self.app.extensions.get("notification_sender")
        if sender is not None:
            sender.wake()  # emails left unsent by an earlier run go out now, not at the next order
        with self.app.app_context():
            self._sweep()
        next_sweep = time.monotonic() + self.sweep_seconds
        while not self._stopping.is_set():
            now = time.monotonic()
            if self._retries and self._retries[0][0] <= now:
                order_id = heapq.heappop(self._retries)[1]
            elif now >= next_sweep:
                with self.app.app_context():
                    self._sweep()
                next_sweep = time.monotonic() + self.sweep_seconds
                continue
            else:
                wake = min(next_sweep, self._retries[0][0]) if self._retries else next_sweep
                try:
                    order_id = self._orders.get(timeout=wake - now)
                except queue.Empty:
                    continue
            if order_id is not None:
                with self.app.app_context():
                    self._handle(order_id)

    def _handle(self, order_id):
        try:
            outcome = handle_order(order_id, self.app.config["ORDER_MAX_ATTEMPTS"])
        except Exception:
            LOGGER.exception("order processing failed order_id=%s", order_id)
            return
        if outcome.action == RETRY:
            heapq.heappush(self._retries, (time.monotonic() + outcome.delay, order_id))

    def _sweep(self):
        try:
            now = utcnow()
            cutoff = now - timedelta(seconds=self.sweep_seconds)
            stale = db.session.execute(
                select(Order.public_id, Order.processing_attempts, Order.updated_at)
                .where(Order.status == PENDING, Order.created_at < cutoff)
                .order_by(Order.id)
                .limit(500)
            ).all()
            db.session.rollback()
        except Exception:
            db.session.rollback()
            LOGGER.exception("sweep for unprocessed orders failed")
            return
        scheduled = {order_id for _, order_id in self._retries}
        for order_id, attempts, last_failed_at in stale:
            # A failed order is retried when its back-off is over: by the heap if this process
            # failed it, else (failed before a restart, or by another process) by a later sweep.
            if order_id not in scheduled and not waiting_for_retry(attempts, last_failed_at, now):
                self._handle(order_id)


class RabbitMQQueue:
    """Orders go to RabbitMQ through the outbox relay; `python -m worker` consumes them.

    publish() only wakes this process's relay thread: the request never waits for
    RabbitMQ, and an order placed while RabbitMQ is down is published once it is back.
    """

    def __init__(self, app):
        self.url = app.config["RABBITMQ_URL"]
        self.queue = app.config["ORDERS_QUEUE"]
        self.relay = OutboxRelay(app, busy_linger=app.config["OUTBOX_BUSY_LINGER_SECONDS"])
        self.probe = rabbitmq.SharedProbe(self.url, self.queue)

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
        """A real round trip to RabbitMQ on a short-lived connection of its own, shared by concurrent checks."""
        return self.probe.verdict()


def create_order_queue(app):
    """The queue this app publishes to, chosen by configuration."""
    if app.config.get("RABBITMQ_URL"):
        return RabbitMQQueue(app)
    return InProcessQueue(app)
