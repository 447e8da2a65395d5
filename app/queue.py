"""Hand placed orders to the worker: RabbitMQ when configured, else an in-process queue.

Both expose the same small interface: publish(order_id), check(), start(), stop().
"""
import logging
import queue
import threading
from datetime import timedelta

from sqlalchemy import select

from .extensions import db
from .models import PENDING, Order, utcnow

LOGGER = logging.getLogger(__name__)


class InProcessQueue:
    """A thread in this process runs the worker's own processing code on each order.

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

    def join(self):
        """Block until every published order has been processed (used by tests and scripts)."""
        self._orders.join()

    def check(self):
        alive = self._thread is None or self._thread.is_alive()
        return ("ok", "in-process") if alive else ("down", "consumer thread stopped")

    def _run(self):
        from worker.processing import process_order  # the worker's code, shared

        with self.app.app_context():
            self._sweep(process_order)
        while not self._stopping.is_set():
            try:
                order_id = self._orders.get(timeout=self.sweep_seconds)
            except queue.Empty:
                with self.app.app_context():
                    self._sweep(process_order)
                continue
            try:
                if order_id is not None:
                    with self.app.app_context():
                        process_order(order_id)
            except Exception:
                LOGGER.exception("order processing failed order_id=%s", order_id)
            finally:
                self._orders.task_done()

    def _sweep(self, process_order):
        try:
            self._process_stale(process_order)
        except Exception:
            db.session.rollback()
            LOGGER.exception("sweep for unprocessed orders failed")

    def _process_stale(self, process_order):
        cutoff = utcnow() - timedelta(seconds=self.sweep_seconds)
        stale = db.session.scalars(
            select(Order.public_id).where(Order.status == PENDING, Order.created_at < cutoff).limit(500)
        ).all()
        for order_id in stale:
            try:
                process_order(order_id)
            except Exception:
                LOGGER.exception("order processing failed order_id=%s", order_id)


def create_order_queue(app):
    """The queue this app publishes to, chosen by configuration."""
    return InProcessQueue(app)
