"""A daemon thread with a loop that can be woken and stopped: the outbox relay and the email sender."""

import threading


class BackgroundLoop:
    """Runs `_run()` in one daemon thread, started lazily; `_wake` and `_stopping` drive its loop.

    Subclasses set `thread_name` and write `_run()`, which waits on `self._wake` and returns
    once `self._stopping` is set.
    """

    thread_name = "background-loop"

    def __init__(self):
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._started = threading.Lock()
        self._thread = None

    def start(self):
        """Start the thread once; later calls do nothing (it starts again if it ever died)."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._started:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
                self._thread.start()

    def wake(self):
        """Ask for a pass now instead of at the next interval."""
        self._wake.set()

    def stop(self, timeout=5):
        """Stop after the work in hand; wait up to `timeout` seconds for the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        raise NotImplementedError
