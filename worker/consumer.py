"""The RabbitMQ consumer: manual acks after the database commit, retries after a delay, reconnect with back-off."""

import logging
import threading

from sqlalchemy import text

from app import rabbitmq
from app.backoff import Backoff
from app.database import DATABASE_DOWN
from app.extensions import db
from app.orders.processing import ACK, RETRY, DatabaseUnavailable, handle_order

LOGGER = logging.getLogger(__name__)


class OrderConsumer:
    """Consume the orders queue until stopped; several may run at once (competing consumers)."""

    def __init__(self, app, stopping=None):
        self.app = app
        self.url = app.config["RABBITMQ_URL"]
        self.queue = app.config["ORDERS_QUEUE"]
        self.retry_queue = rabbitmq.retry_name(self.queue)
        self.prefetch = app.config["WORKER_PREFETCH"]
        self.max_attempts = app.config["ORDER_MAX_ATTEMPTS"]
        self.stopping = stopping or threading.Event()
        self._connection = None
        self._retry_channel = None

    def run(self):
        """Consume until stop(); reconnect with capped back-off when RabbitMQ or the database goes away."""
        backoff = Backoff()
        with self.app.app_context():
            while not self.stopping.is_set():
                try:
                    self._consume(backoff)
                except rabbitmq.CONNECTION_ERRORS as error:
                    delay = backoff.next()
                    LOGGER.warning("rabbitmq unavailable, reconnecting in %.1fs: %r", delay, error)
                    self.stopping.wait(delay)
                except DatabaseUnavailable as error:
                    LOGGER.warning("database unavailable, consumer paused: %s", error)
                    self._wait_for_database(backoff)
            db.session.remove()
        LOGGER.info("consumer stopped queue=%s", self.queue)

    def stop(self):
        """Ask run() to return after the message in hand; safe from any thread."""
        self.stopping.set()
        connection = self._connection
        if connection is not None:
            try:
                connection.add_callback_threadsafe(lambda: None)  # wakes process_data_events now
            except rabbitmq.CONNECTION_ERRORS:
                pass

    def _consume(self, backoff):
        connection = rabbitmq.connect(self.url)
        self._connection = connection
        try:
            channel = connection.channel()
            rabbitmq.declare_topology(channel, self.queue)
            # Retries are published on a channel of their own in confirm mode, so that
            # basic_publish returns only once RabbitMQ holds the copy (or raises).
            self._retry_channel = connection.channel()
            self._retry_channel.confirm_delivery()
            channel.basic_qos(prefetch_count=self.prefetch)
            channel.basic_consume(self.queue, self._on_message)
            backoff.reset()
            LOGGER.info("consumer connected queue=%s prefetch=%d", self.queue, self.prefetch)
            while not self.stopping.is_set():
                connection.process_data_events(time_limit=0.5)
        finally:
            self._connection = self._retry_channel = None
            if connection.is_open:
                try:
                    connection.close()  # messages not acked go back to the queue for another worker
                except rabbitmq.CONNECTION_ERRORS:
                    pass

    def _on_message(self, channel, method, _properties, body):
        if self.stopping.is_set():
            return  # not started: it returns to the queue when the channel closes
        try:
            outcome = handle_order(rabbitmq.decode_order(body), self.max_attempts)
        except DatabaseUnavailable:
            channel.basic_nack(method.delivery_tag, requeue=True)
            raise
        if outcome.action == ACK:
            channel.basic_ack(method.delivery_tag)
        elif outcome.action == RETRY:
            # The copy waits out the delay in the retry queue, which hands it back to the orders
            # queue. Ack the original only once the copy is confirmed: a crash in between
            # duplicates the message (processing is idempotent), never loses it.
            self._retry_channel.basic_publish(
                "", self.retry_queue, body, rabbitmq.retry_properties(outcome.delay), mandatory=True
            )
            channel.basic_ack(method.delivery_tag)
        else:  # can never succeed: to the dead-letter queue, never round and round
            channel.basic_reject(method.delivery_tag, requeue=False)

    def _wait_for_database(self, backoff):
        while not self.stopping.is_set():
            self.stopping.wait(backoff.next())
            try:
                db.session.execute(text("SELECT 1"))
                db.session.rollback()
                return
            except DATABASE_DOWN:
                db.session.rollback()
