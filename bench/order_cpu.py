"""CPU per order of the request path in one process: the web side and its PostgreSQL backend.

`python -m bench.order_cpu` places orders through the app on the bench database (as the load
does: JSON, one line going round the ten products, or `--lines 3`) with Werkzeug's test
client, the outbox relay held back so that only the request runs, and reports per order the
CPU time of this process (`time.process_time`) and of the PostgreSQL backend serving its
connection (`utime + stime` from `/proc/<pid>/stat`). Medians of `--rounds` rounds. CPU
time, unlike req/s, hardly moves with the neighbours on a busy machine, so two versions of
the code can be compared by running this on each, one after the other.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from . import services
from .cpu import cpu_seconds

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def order_body(n, lines):
    return json.dumps({"items": [{"id": (n + k) % 10 + 1, "quantity": 1} for k in range(lines)]})


def measure(app, orders, rounds, lines):
    """[(web ms, PostgreSQL ms) per order] for each round."""
    from sqlalchemy import text

    from app.extensions import db

    relay = app.extensions["order_queue"].relay
    relay.start = relay.wake = lambda: None  # the request alone: the relay's share is bench.run's
    client = app.test_client()
    for n in range(20):  # first use: connections, prepared statements, caches
        assert client.post("/orders", data=order_body(n, lines), headers=HEADERS).status_code == 201
    with app.app_context():
        backend = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.commit()
    results = []
    for _ in range(rounds):
        web, database = time.process_time(), cpu_seconds(backend)
        for n in range(orders):
            response = client.post("/orders", data=order_body(n, lines), headers=HEADERS)
            assert response.status_code == 201, response.get_data(as_text=True)
        results.append(((time.process_time() - web) * 1000 / orders, (cpu_seconds(backend) - database) * 1000 / orders))
    with app.app_context():  # one connection served them all, so its backend's CPU is the orders'
        assert db.session.scalar(text("SELECT pg_backend_pid()")) == backend
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.order_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400, help="orders per round (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians reported (default 3)")
    parser.add_argument("--lines", type=int, default=1, help="products per order (default 1)")
    options = parser.parse_args(argv)
    env = services.app_env()
    services.prepare_database(Path(__file__).resolve().parent.parent, env)
    services.purge_queue()
    os.environ.update(env)
    from app import create_app

    results = measure(create_app(), options.orders, options.rounds, options.lines)
    services.purge_queue()
    web, database = (statistics.median(column) for column in zip(*results, strict=True))
    print(f"{options.lines} line(s), {options.orders} orders × {options.rounds} rounds, CPU ms per order (median):")
    print(f"  web process (test client included) {web:.2f}   PostgreSQL backend {database:.2f}")


if __name__ == "__main__":
    main()
