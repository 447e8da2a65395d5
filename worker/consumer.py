"""The RabbitMQ consumer: manual acks after the database commit, retries after a delay, reconnect with back-off.

Messages delivered together are handled as one batch (one transaction for all of them,
app/orders/processing.py handle_orders), then acked together.
"""

import logging
import threading
from typing import NamedTuple

from sqlalchemy import text

from app.exceptions import DATABASE_DOWN
from app.extensions import db
from app.infra import rabbitmq
from app.infra.backoff import Backoff
from app.orders.processing import ACK, RETRY, DatabaseUnavailable, handle_orders

LOGGER = logging.getLogger(__name__)


class Delivery(NamedTuple):
    tag: int
    body: bytes


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
        self._in_hand = []  # deliveries received, not yet handled (filled by _on_message)

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
        """Ask run() to return after the messages being processed (the rest go back); safe from any thread."""
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
                connection.process_data_events(time_limit=0.5)  # returns as soon as a message is in
                if self._in_hand and not self.stopping.is_set():
                    connection.process_data_events(time_limit=0)  # and those already arrived with it
                    self._handle_in_hand(channel)
        finally:
            self._connection = self._retry_channel = None
            self._in_hand = []  # not acked: they go back to the queue with the connection
            if connection.is_open:
                try:
                    connection.close()  # messages not acked go back to the queue for another worker
                except rabbitmq.CONNECTION_ERRORS:
                    pass

    def _on_message(self, _channel, method, _properties, body):
        self._in_hand.append(Delivery(method.delivery_tag, body))

    def _handle_in_hand(self, channel):
        """Handle the deliveries in hand (at most a prefetch's worth) as one batch, in order."""
        batch, self._in_hand = self._in_hand[: self.prefetch], self._in_hand[self.prefetch :]
        groups = handle_orders([rabbitmq.decode_order(delivery.body) for delivery in batch], self.max_attempts)
        done = 0
        try:
            for outcomes in groups:
                self._settle(channel, batch[done : done + len(outcomes)], outcomes)
                done += len(outcomes)
                if self.stopping.is_set():
                    break  # the rest are not started: they return to the queue when the channel closes
        except DatabaseUnavailable:
            for delivery in batch[done:]:
                channel.basic_nack(delivery.tag, requeue=True)
            raise
        finally:
            groups.close()

    def _settle(self, channel, deliveries, outcomes):
        """Ack, retry or dead-letter each delivery as its outcome says; all acks go in one frame."""
        if all(outcome.action == ACK for outcome in outcomes):
            channel.basic_ack(deliveries[-1].tag, multiple=True)  # every earlier delivery is settled already
            return
        for delivery, outcome in zip(deliveries, outcomes, strict=True):
            self._settle_one(channel, delivery, outcome)

    def _settle_one(self, channel, delivery, outcome):
        if outcome.action == ACK:
            channel.basic_ack(delivery.tag)
        elif outcome.action == RETRY:
            # The copy waits out the delay in the retry queue, which hands it back to the orders
            # queue. Ack the original only once the copy is confirmed: a crash in between
            # duplicates the message (processing is idempotent), never loses it.
            self._retry_channel.basic_publish(
                "", self.retry_queue, delivery.body, rabbitmq.retry_properties(outcome.delay), mandatory=True
            )
            channel.basic_ack(delivery.tag)
        else:  # can never succeed: to the dead-letter queue, never round and round
            channel.basic_reject(delivery.tag, requeue=False)

    def _wait_for_database(self, backoff):
        while not self.stopping.is_set():
            self.stopping.wait(backoff.next())
            try:
                db.session.execute(text("SELECT 1"))
                db.session.rollback()
                return
            except DATABASE_DOWN:
                db.session.rollback()
