"""`python -m worker`: process placed orders until SIGTERM or SIGINT.

Until the RabbitMQ consumer lands, the worker polls the orders table (the outbox) for
Pending orders and runs the same processing function on each.
"""
import logging
import signal
import threading

from dotenv import load_dotenv

from app import create_app
from app.queue import InProcessQueue

LOGGER = logging.getLogger("worker")


def main():
    load_dotenv()
    app = create_app()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    poller = InProcessQueue(app, sweep_seconds=1.0)
    LOGGER.info("worker started, polling for pending orders")
    poller.start()
    stopping.wait()
    LOGGER.info("worker stopping")
    poller.stop()


if __name__ == "__main__":
    main()
