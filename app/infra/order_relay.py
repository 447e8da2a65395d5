"""The outbox relay: orders committed with published_at NULL are published to RabbitMQ.

The orders table is the outbox. A relay claims and marks a batch of unpublished orders
in one UPDATE over a FOR UPDATE SKIP LOCKED subquery (so several relays never publish the
same batch at once), publishes them in one AMQP transaction (tx.commit-ok means RabbitMQ
has taken responsibility for every message in it: one round trip per batch instead of one
confirm per message), and only then commits the mark; a failed publish rolls it back. A
crash between the two only publishes an order twice, which the worker's idempotent
processing shrugs off.
"""

import logging
import time
from datetime import timedelta

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import PENDING, Order, utcnow
from . import rabbitmq
from .background import BackgroundLoop
from .backoff import Backoff

LOGGER = logging.getLogger(__name__)


_orders = Order.__table__
CLAIM = (
    update(_orders)
    .where(
        _orders.c.id.in_(
            select(_orders.c.id)
            .where(
                _orders.c.published_at.is_(None),
                _orders.c.status == PENDING,
                _orders.c.created_at <= bindparam("cutoff"),
            )
            .order_by(_orders.c.id)
            .limit(bindparam("batch_size"))
            .with_for_update(skip_locked=True)
        )
    )
    .values(published_at=bindparam("now"), updated_at=bindparam("now"))
    .returning(_orders.c.id, _orders.c.public_id)
)
# PostgreSQL: the same claim, with the mark's commit told not to wait for the disk, in one
# round trip (psycopg2 sends both statements in one query; the rows are the UPDATE's).
# Losing the mark in a database crash only publishes these orders again, which processing
# shrugs off.
CLAIM_POSTGRESQL = text(
    "SET LOCAL synchronous_commit TO OFF; "
    "UPDATE orders SET published_at = :now, updated_at = :now WHERE orders.id IN ("
    "SELECT orders.id FROM orders WHERE orders.published_at IS NULL AND orders.status = :pending "
    "AND orders.created_at <= :cutoff ORDER BY orders.id LIMIT :batch_size FOR UPDATE SKIP LOCKED) "
    "RETURNING orders.id, orders.public_id"
).bindparams(
    bindparam("now", type_=_orders.c.updated_at.type),
    bindparam("cutoff", type_=_orders.c.created_at.type),
    bindparam("pending", PENDING),
)


class Unroutable(Exception):
    """RabbitMQ returned a message: the queue is missing, so the batch is not published."""


class OutboxRelay(BackgroundLoop):
    """A thread that publishes unpublished orders when woken and every `interval` seconds.

    `min_age` leaves orders younger than that to the web process that placed them
    (the worker's relay is only the safety net). After a wake-up it waits `linger` seconds
    so that the orders of concurrent requests share a batch, or `busy_linger` when it last
    published less than a second ago: under load each web process's relay would otherwise
    publish batches of one order, and a batch costs the web process about the same CPU
    whatever its size (claim, publish, AMQP commit, database commit; the figure is in
    docs/performance.md, "What limits them").
    """

    thread_name = "outbox-relay"

    def __init__(self, app, min_age=0.0, interval=2.0, batch_size=500, linger=0.01, busy_linger=None):
        super().__init__()
        self.app = app
        self.url = app.config["RABBITMQ_URL"]
        self.queue = app.config["ORDERS_QUEUE"]
        self.min_age = min_age
        self.interval = interval
        self.batch_size = batch_size
        self.linger = linger
        self.busy_linger = linger if busy_linger is None else max(linger, busy_linger)
        self._last_published = None  # time.monotonic() of the last pass that published something
        # An idle relay still owes RabbitMQ its heartbeats (the client's value is the one used):
        # it wakes at least four times per heartbeat timeout to answer them.
        heartbeat = rabbitmq.connection_parameters(self.url).heartbeat if self.url else None
        self._keep_alive_every = heartbeat / 4 if heartbeat else None
        self._connection = None
        self._channel = None
        self._returned = []

    def _run(self):
        backoff = Backoff()
        with self.app.app_context():
            while not self._stopping.is_set():
                if self._wake.wait(self._idle_wait()):
                    self._stopping.wait(self._linger())
                self._wake.clear()
                if self._stopping.is_set():
                    break
                self._keep_alive()
                try:
                    while self.relay_batch() == self.batch_size and not self._stopping.is_set():
                        pass
                    backoff.reset()
                except Exception as error:  # the relay must outlive any failure; it retries later
                    db.session.rollback()
                    self._disconnect()
                    delay = backoff.next()
                    level = (
                        logging.WARNING
                        if isinstance(error, (*rabbitmq.CONNECTION_ERRORS, SQLAlchemyError))
                        else logging.ERROR
                    )
                    LOGGER.log(level, "outbox relay failed, retrying in %.1fs: %r", delay, error)
                    self._stopping.wait(delay)
            self._disconnect()
            db.session.remove()

    def _idle_wait(self):
        if self._connection is not None and self._keep_alive_every:
            return min(self.interval, self._keep_alive_every)
        return self.interval

    def _keep_alive(self):
        """Answer RabbitMQ's heartbeats on this thread (pika's connections are not thread-safe).

        Without it an idle relay's connection is dropped by RabbitMQ ("missed heartbeats from
        client") and the next order waits for a failed publish, a back-off and a reconnect.
        A connection found dead here is let go quietly: the next batch opens a new one at once.
        """
        if self._connection is None:
            return
        try:
            self._connection.process_data_events(0)
        except rabbitmq.CONNECTION_ERRORS as error:
            LOGGER.info("outbox relay connection lost while idle, reconnecting when needed: %r", error)
            self._disconnect()

    def _linger(self):
        busy = self._last_published is not None and time.monotonic() - self._last_published < 1.0
        return self.busy_linger if busy else self.linger

    def relay_batch(self):
        """Publish one batch of unpublished orders; return how many were published."""
        # Connected before claiming: the claim locks the orders until the commit, and a broker
        # that is slow to answer a new connection must not keep them from a cancel or the kitchen.
        channel = self._open_channel()
        cutoff = utcnow() - timedelta(seconds=self.min_age)
        claim = CLAIM_POSTGRESQL if db.engine.dialect.name == "postgresql" else CLAIM
        # Claim and mark in one statement; if publishing fails, the rollback unmarks them.
        rows = db.session.execute(claim, {"cutoff": cutoff, "now": utcnow(), "batch_size": self.batch_size}).all()
        if not rows:
            db.session.rollback()
            return 0
        try:
            self._publish(channel, [public_id for _, public_id in sorted(rows)])
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        self._last_published = time.monotonic()
        for _, public_id in rows:
            LOGGER.info("order published order_id=%s", public_id)
        return len(rows)

    def _publish(self, channel, order_ids):
        self._returned.clear()
        for order_id in order_ids:
            channel.basic_publish("", self.queue, rabbitmq.encode_order(order_id), rabbitmq.PERSISTENT, mandatory=True)
        channel.tx_commit()
        self._connection.process_data_events(0)  # deliver any basic.return sent before commit-ok
        if self._returned:
            raise Unroutable(f"{len(self._returned)} messages returned by RabbitMQ")

    def _open_channel(self):
        if self._channel is None or not self._channel.is_open:
            self._disconnect()
            self._connection = rabbitmq.connect(self.url)
            channel = self._connection.channel()
            rabbitmq.declare_topology(channel, self.queue)
            channel.add_on_return_callback(lambda *returned: self._returned.append(returned))
            channel.tx_select()
            self._channel = channel
            LOGGER.info("outbox relay connected queue=%s", self.queue)
        return self._channel

    def _disconnect(self):
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except rabbitmq.CONNECTION_ERRORS:
                pass
