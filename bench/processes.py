"""Child processes of the benchmark: free ports, start in their own group, wait, stop.

`free_port` and `wait_http` are the only copies: the tests use them too (bench needs
nothing but the standard library here, and must never import tests).
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url, timeout=30.0, process=None):
    """Wait until `url` answers (any HTTP status); RuntimeError if `process` (a Popen) exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"exited ({process.returncode}) before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


class Process:
    """A child in its own process group, its output in a log file, stopped with all its children."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop(), after the process)
        self.popen = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )

    @property
    def pid(self):
        return self.popen.pid

    def log_tail(self, lines=15):
        """The last lines the process wrote, for error messages."""
        with open(self.log_path, "rb") as log:
            return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")

    def wait_http(self, url, timeout=30.0):
        """Wait until `url` answers (any HTTP status); fail early if the process dies."""
        try:
            wait_http(url, timeout, self.popen)
        except RuntimeError as error:
            raise RuntimeError(f"{self.name}: {error}:\n{self.log_tail()}") from None

    def stop(self, timeout=10.0):
        """SIGTERM to the whole group, SIGKILL if it is still there after `timeout`."""
        if self.popen.poll() is None:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        _signal_group(self.pid, signal.SIGKILL)  # children the leader left behind
        self._log.close()


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass
