"""Database round trips per order on each path (request, relay, worker), counted with SQLAlchemy events.

`python -m bench.round_trips` places orders through the app on the bench database (as the
load does: JSON, one line going round the products, or three lines) and counts what each
path sends to PostgreSQL: every statement plus every COMMIT/ROLLBACK. `--show` prints the
statements of one order. No timings: a count is the same on a busy machine as on a quiet one.
"""

import argparse
import json
import re
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event

from . import services

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
BATCH = "worker, batch"
PATHS = ("request", "relay", "worker", BATCH)


class StatementLog:
    """The statements and transaction ends an engine sends while `recording()`."""

    def __init__(self, engine):
        self.lines, self.active = [], False
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", lambda _conn: self._end("COMMIT"))
        event.listen(engine, "rollback", lambda _conn: self._end("ROLLBACK"))

    def _statement(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        if self.active:
            self.lines.append(re.sub(r"\s+", " ", statement).strip())

    def _end(self, what):
        if self.active:
            self.lines.append(what)

    @contextmanager
    def recording(self):
        self.lines, self.active = [], True
        try:
            yield self.lines
        finally:
            self.active = False


def order_body(n, lines):
    return json.dumps({"items": [{"id": (n + k) % 10 + 1, "quantity": 1} for k in range(lines)]})


def measure(app, orders=20, lines=1):
    """{path: round trips per order} averaged over `orders` orders, and one order's statements per path."""
    from app.extensions import db
    from app.orders.processing import handle_orders, process_order

    relay = app.extensions["order_queue"].relay
    relay.start = relay.wake = lambda: None  # the relay runs below, by hand, so its statements are its own
    with app.app_context():
        log = StatementLog(db.engine)
    client = app.test_client()
    client.post("/orders", data=order_body(0, lines), headers=HEADERS)  # first use: seeds, caches
    totals, sample = Counter(), {}
    for n in range(1, orders + 1):
        with log.recording() as request_lines:
            response = client.post("/orders", data=order_body(n, lines), headers=HEADERS)
        assert response.status_code == 201, response.get_data(as_text=True)
        order_id = response.get_json()["order_id"]
        with app.app_context():
            with log.recording() as relay_lines:
                relay.relay_batch()
            with log.recording() as worker_lines:
                process_order(order_id)
            db.session.remove()
        for path, lines_sent in (("request", request_lines), ("relay", relay_lines), ("worker", worker_lines)):
            totals[path] += len(lines_sent)
            sample[path] = list(lines_sent)
    # The worker with a backlog: the messages it has in hand go through handle_orders as one batch.
    batch = []
    for n in range(1, orders + 1):
        response = client.post("/orders", data=order_body(n, lines), headers=HEADERS)
        batch.append(response.get_json()["order_id"])
    with app.app_context():
        relay.relay_batch()
        with log.recording() as batch_lines:
            assert sum(len(group) for group in handle_orders(batch, max_attempts=5)) == orders
        db.session.remove()
    totals[BATCH], sample[BATCH] = len(batch_lines), list(batch_lines)
    relay._disconnect()
    return {path: totals[path] / orders for path in PATHS}, sample


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.round_trips", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--show", action="store_true", help="print the statements of the last order on each path")
    options = parser.parse_args(argv)
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = services.app_env()
    services.prepare_database(root, env)
    services.purge_queue()
    import os

    os.environ.update(env)
    from app import create_app

    app = create_app()
    print(
        f"| order | request | relay (one order per batch) | worker (one message) | worker ({options.orders} messages"
        " in one batch) |\n|---|---:|---:|---:|---:|"
    )
    for lines in (1, 3):
        per_order, sample = measure(app, options.orders, lines)
        figures = " | ".join(f"{per_order[path]:.2f}" for path in PATHS)
        print(f"| {lines} line(s) | {figures} |")
        if options.show:
            for path, statements in sample.items():
                print(f"\n{path}:")
                for statement in statements:
                    print(f"  {statement[:160]}")
    services.purge_queue()


if __name__ == "__main__":
    main()
