"""A real SMTP server for the tests (aiosmtpd on a free port) that keeps every message it accepted."""

import asyncio
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keep:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, _server, _session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)  # a slow relay: a worker can be caught mid-send
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.server.lock:
            self.server.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start, stop and start again on the same port; `messages` are parsed EmailMessage objects."""

    def __init__(self, port=None, delay=0.0):
        self.port = port or free_port()
        self.delay = delay
        self.received = []
        self.lock = threading.Lock()
        self._controller = None

    def start(self):
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self):
        with self.lock:
            return [message for _, message in self.received]

    def to(self, address):
        """Messages sent to `address`."""
        with self.lock:
            return [message for rcpt, message in self.received if address in rcpt]

    def wait_for(self, count, timeout=20.0, address=None):
        """Wait until at least `count` messages (to `address`, if given) arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address) if address else self.messages
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.to(address) if address else self.messages


def mail_settings(server):
    """App settings that send to `server` and retry quickly (the back-off is the production code's)."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.port,
        "MAIL_FROM": "orders@crumb.example",
        "BAKERY_PUBLIC_URL": "https://shop.crumb.example",
        "NOTIFY_RETRY_BASE_SECONDS": 0.1,
        "NOTIFY_RETRY_MAX_SECONDS": 0.5,
        "NOTIFY_POLL_SECONDS": 0.1,
        "NOTIFY_LEASE_SECONDS": 3.0,
        "NOTIFY_MAX_ATTEMPTS": 1000,
    }


def worker_mail_env(server):
    """The same settings as environment variables, for `python -m worker` processes."""
    return dict(mail_settings(server))
