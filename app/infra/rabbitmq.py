"""RabbitMQ in one place: connection settings, the queue topology, the message format.

The publisher (app/infra/order_relay.py), the consumer (worker/consumer.py), the CLI and /health all go
through here, so they agree on names, queue arguments and timeouts.
"""

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pika
from pika.adapters.utils.connection_workflow import AMQPConnectorException
from pika.exceptions import AMQPError

# Anything pika raises when the broker is down, the socket drops or a channel is closed.
# AMQPConnectorException is not an AMQPError: BlockingConnection raises its subclasses as
# they are when a broker accepts TCP but never finishes the handshake
# (AMQPConnectorStackTimeout) or hangs up in the middle of it.
CONNECTION_ERRORS = (AMQPError, AMQPConnectorException, OSError)

# Short timeouts so a dead broker gives an error at once, never a hang; heartbeats so a
# silently dropped connection is noticed. Values set in the URL's query string win.
CONNECTION_DEFAULTS = {
    "heartbeat": 30,
    "socket_timeout": 2,
    "stack_timeout": 5,
    "blocked_connection_timeout": 10,
    "connection_attempts": 1,
}

# The /health probe's, shorter still and set whatever the URL says: it must answer within
# about a second. The heartbeat ends a probe whose broker goes silent after the handshake.
PROBE_TIMEOUTS = {"socket_timeout": 0.5, "stack_timeout": 0.75, "blocked_connection_timeout": 0.75, "heartbeat": 1}

# RabbitMQ dead-letters a message after this many deliveries without an ack: the backstop
# for a message that kills the worker outright (the worker's own count of failed attempts,
# kept on the order, normally ends things well before).
DELIVERY_LIMIT = 20
PERSISTENT = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, content_type="application/json")


def connection_parameters(url, **overrides):
    """pika parameters for `url`, with our short timeouts unless the URL sets its own."""
    parameters = pika.URLParameters(url)
    in_url = parse_qs(urlsplit(url).query)
    for name, value in {**CONNECTION_DEFAULTS, **overrides}.items():
        if name not in in_url:
            setattr(parameters, name, value)
    return parameters


def connect(url, **overrides):
    """A new blocking connection; one per thread, never shared."""
    return pika.BlockingConnection(connection_parameters(url, **overrides))


def dead_letter_name(queue):
    """The dead-letter exchange and queue that go with `queue` (e.g. orders.dead)."""
    return f"{queue}.dead"


def retry_name(queue):
    """The queue where `queue`'s messages wait out their retry delay (e.g. orders.retry)."""
    return f"{queue}.retry"


def declare_topology(channel, queue):
    """Declare the orders queue, its dead-letter exchange and queue, and its retry queue; safe to repeat.

    Quorum queues: RabbitMQ's durable type, which counts deliveries itself
    (x-delivery-limit) and writes every message to disk before confirming it.
    """
    dead = dead_letter_name(queue)
    channel.exchange_declare(dead, exchange_type="fanout", durable=True)
    channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(dead, dead)
    channel.queue_declare(
        queue,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": dead,
            "x-delivery-limit": DELIVERY_LIMIT,
        },
    )
    # Nobody consumes the retry queue: a message published there with an `expiration`
    # (retry_properties) is dead-lettered back to `queue` through the default exchange once
    # it has waited that long. At-least-once dead-lettering (quorum queues, RabbitMQ ≥ 3.10)
    # keeps it until `queue` has it; it needs reject-publish overflow, moot without a length limit.
    channel.queue_declare(
        retry_name(queue),
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def retry_properties(delay):
    """Properties of a message that should wait `delay` seconds in the retry queue (at least 1 ms)."""
    return pika.BasicProperties(
        delivery_mode=pika.DeliveryMode.Persistent,
        content_type="application/json",
        expiration=str(max(1, round(delay * 1000))),
    )


def encode_order(order_id):
    """The message body for an order."""
    return json.dumps({"order_id": order_id}).encode()


def decode_order(body):
    """The order id in a message body, or None if the body is not one of our messages."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    order_id = message.get("order_id") if isinstance(message, dict) else None
    return order_id if isinstance(order_id, str) and order_id else None


def retries_waiting(url, queue):
    """How many of `queue`'s messages are waiting out a retry delay."""
    connection = connect(url)
    try:
        channel = connection.channel()
        declare_topology(channel, queue)
        return channel.queue_declare(retry_name(queue), passive=True).method.message_count
    finally:
        if connection.is_open:
            connection.close()


def ping(url, queue):
    """Connect, make sure the topology is there and close: raises if RabbitMQ is unusable.

    With the probe's own short timeouts, whatever the URL says: a broker that accepts TCP and
    then says nothing fails it within PROBE_TIMEOUTS["stack_timeout"] seconds.
    """
    parameters = connection_parameters(url)
    for name, value in PROBE_TIMEOUTS.items():
        setattr(parameters, name, value)
    connection = pika.BlockingConnection(parameters)
    try:
        declare_topology(connection.channel(), queue)
    finally:
        if connection.is_open:
            connection.close()


class SharedProbe:
    """ping() for /health, at most one at a time per process, its verdict shared for `fresh_for` seconds.

    Health checks must not hold what shoppers need: when a verdict is stale, one caller starts
    a probe in a thread of its own and waits for it at most `wait` seconds; callers meanwhile
    get the last verdict at once (only the very first ones wait for the same probe). The
    verdict is ("ok", detail) or ("down", detail).
    """

    def __init__(self, url, queue, fresh_for=1.0, wait=1.0):
        self.url = url
        self.queue = queue
        self.fresh_for = fresh_for
        self.wait = wait
        self._lock = threading.Lock()
        self._verdict = None
        self._checked_at = 0.0
        self._probe_done = None  # an Event while a probe is in flight

    def verdict(self):
        """The latest verdict, asking RabbitMQ first if it is older than `fresh_for` seconds."""
        with self._lock:
            if self._verdict is not None and time.monotonic() - self._checked_at < self.fresh_for:
                return self._verdict
            if self._probe_done is None:
                self._probe_done = threading.Event()
                threading.Thread(
                    target=self._probe, args=(self._probe_done,), name="rabbitmq-probe", daemon=True
                ).start()
            elif self._verdict is not None:
                return self._verdict  # someone is asking RabbitMQ right now: the last word stands until then
            probe_done = self._probe_done
        if probe_done.wait(self.wait):
            return self._verdict
        with self._lock:
            self._record(("down", f"no answer within {self.wait:g} s"))
            return self._verdict

    def _probe(self, done):
        try:
            ping(self.url, self.queue)
            verdict = ("ok", "rabbitmq")
        except Exception as error:  # whatever it is, RabbitMQ cannot be used right now
            verdict = ("down", repr(error))
        with self._lock:
            self._record(verdict)
            self._probe_done = None
        done.set()

    def _record(self, verdict):
        self._verdict, self._checked_at = verdict, time.monotonic()


def dead_letters(url, queue, requeue=False):
    """The bodies in `queue`'s dead-letter queue; left there, or with requeue=True sent back to `queue`."""
    connection = connect(url)
    try:
        channel = connection.channel()
        declare_topology(channel, queue)
        channel.confirm_delivery()
        bodies = []
        while True:
            method, _, body = channel.basic_get(dead_letter_name(queue))
            if method is None:
                break
            bodies.append(body)
            if requeue:
                channel.basic_publish("", queue, body, PERSISTENT, mandatory=True)  # waits for the confirm
                channel.basic_ack(method.delivery_tag)
        return bodies  # closing the connection returns the messages not acked to the dead-letter queue
    finally:
        if connection.is_open:
            connection.close()
