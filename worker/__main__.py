"""`python -m worker`: process placed orders until SIGTERM or SIGINT, then exit 0.

With RABBITMQ_URL set it consumes the orders queue and also runs an outbox relay as a
safety net (orders left unpublished for a few seconds are published by it). Without
RabbitMQ it polls the orders table for Pending orders instead. Either way a notification
sender thread delivers the customers' emails (app/notifications/sender.py).
"""

import logging
import signal
import sys
import threading

LOGGER = logging.getLogger("worker")
# The web process that placed an order publishes it at once; the worker's relay only
# picks up orders that have waited this long (their web process died or RabbitMQ was down).
RELAY_MIN_AGE = 5.0


def main():
    stopping = threading.Event()
    # First thing, before the slow imports and create_app(): a SIGTERM during start-up must
    # stop the worker cleanly (exit 0), not kill it by the signal. Only set a flag here: the
    # message in hand is finished before the loop notices.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    from dotenv import load_dotenv

    from app import create_app

    load_dotenv()
    app = create_app()
    if stopping.is_set():
        LOGGER.info("worker stopped during start-up")
        return 0
    LOGGER.info("worker started queue=%s", app.config["ORDERS_QUEUE"] if app.config["RABBITMQ_URL"] else "in-process")
    # Beside the consumer: the thread that delivers the emails the orders' changes recorded.
    sender = app.extensions["notification_sender"]
    sender.start()
    try:
        if app.config["RABBITMQ_URL"]:
            consume(app, stopping)
        else:
            poll(app, stopping)
    finally:
        sender.stop()
    LOGGER.info("worker stopped")
    return 0


def consume(app, stopping):
    """Consume RabbitMQ until stopped, with the outbox relay beside it."""
    from app.infra.order_relay import OutboxRelay
    from worker.consumer import OrderConsumer

    relay = OutboxRelay(app, min_age=RELAY_MIN_AGE, interval=RELAY_MIN_AGE)
    relay.start()
    try:
        OrderConsumer(app, stopping).run()
    finally:
        relay.stop()


def poll(app, stopping):
    """No RabbitMQ: process Pending orders found in the database, every second."""
    from app.infra.order_queue import InProcessQueue

    poller = InProcessQueue(app, sweep_seconds=1.0)
    poller.start()
    stopping.wait()
    poller.stop()


if __name__ == "__main__":
    sys.exit(main())
