"""A fake RabbitMQ that is broken the way real ones break: it accepts TCP and then never speaks, or hangs up at once."""

import socket
import threading


class SilentBroker:
    """A TCP server on a free port of 127.0.0.1 that accepts every connection and never answers.

    With `hang_up=True` it closes each connection as soon as it has accepted it instead (a
    dropped connection). Use it as a context manager; `url` is an AMQP URL pointing at it.
    """

    def __init__(self, hang_up=False):
        self.hang_up = hang_up
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._held = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-broker", daemon=True)

    @property
    def port(self):
        return self._listener.getsockname()[1]

    def url(self, **query):
        """amqp://guest:guest@127.0.0.1:<port>/%2F, with `query` as its query string (pika's settings)."""
        settings = "&".join(f"{name}={value}" for name, value in query.items())
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F" + (f"?{settings}" if settings else "")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stopping.set()
        self._thread.join(5)
        for connection in self._held:
            connection.close()
        self._listener.close()

    def _serve(self):
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            if self.hang_up:
                connection.close()
            else:
                self._held.append(connection)  # open and silent until the test ends
