"""Open-loop load at a fixed request rate: latency counts from when a request was due."""

import http.client
import queue
import random
import threading
import time
from urllib.parse import urlsplit

from .stats import RunResult, percentile


def schedule(requests, rate, duration, seed=0):
    """(due offset in seconds, request) pairs: `rate` per second for `duration`, drawn by weight."""
    count = int(rate * duration)
    drawn = random.Random(seed).choices(requests, weights=[r.weight for r in requests], k=count)
    return [(index / rate, request) for index, request in enumerate(drawn)]


def run(base_url, requests, rate, duration, clients=32, seed=0):
    """Send the schedule from `clients` keep-alive connections; a late request waits in a queue."""
    due = queue.Queue()
    latencies, errors, lock = [], [0], threading.Lock()
    start = time.monotonic() + 0.1

    def client():
        connection = None
        while (item := due.get()) is not None:
            due_at, request = item
            try:
                connection = connection or _connect(base_url)
                connection.request(request.method, request.path, body=request.body, headers=request.headers)
                response = connection.getresponse()
                response.read()
                failed = response.status >= 400
            except (OSError, http.client.HTTPException):
                connection, failed = None, True
            with lock:
                latencies.append(time.monotonic() - due_at)
                errors[0] += failed

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for offset, request in schedule(requests, rate, duration, seed):
        time.sleep(max(0.0, start + offset - time.monotonic()))
        due.put((start + offset, request))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join(timeout=max(0.0, start + duration + 10 - time.monotonic()))
    elapsed = time.monotonic() - start
    with lock:
        ordered = sorted(latencies)
    return RunResult(
        rps=len(ordered) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        errors=errors[0] + (int(rate * duration) - len(ordered)),  # unanswered in time count as errors
        requests=len(ordered),
        extras={"p90_ms": percentile(ordered, 0.90) * 1000, "max_ms": (ordered[-1] if ordered else 0) * 1000},
    )


def _connect(base_url):
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
