"""POST /orders through the whole pipeline: accepted orders/s, then how long until all are Processing.

Run with one worker and with two (`python -m bench.run --only "POST /orders"`). Each timed
run places as many orders as wrk manages in --duration seconds (≥ 2,000 at the target
rate); after it, the drain time is how long the workers took to move every order out of
Pending, counted from wrk's last request.
"""

import json
import time

from . import services
from .scenario import Scenario, Target

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# One item per order, going round the seeded demo products (ids 1-10): with every order on
# one product, its stock row's lock would be the bottleneck, not the pipeline.
ROTATING_ORDERS = """
wrk.method = "POST"
%s
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"items": [{"id": %%d, "quantity": 1}]}', n %% 10 + 1))
end
""" % "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in HEADERS.items())
DRAIN_LIMIT_S = 60.0
TARGET = Target(min_rps=1000, max_p99_ms=100, zero_errors=True, max_extras={"drain_s": 5.0})


def drain(_ctx):
    """After a run: seconds until no order is Pending (capped at DRAIN_LIMIT_S), the backlog then, orders placed."""
    started = time.monotonic()
    backlog = pending = services.pending_orders()
    while pending and time.monotonic() - started < DRAIN_LIMIT_S:
        time.sleep(0.05)
        pending = services.pending_orders()
    drained = round(time.monotonic() - started, 2)
    total = services.count_orders()
    placed, _placed_before[0] = total - _placed_before[0], total
    return {"drain_s": drained, "backlog": backlog, "orders": placed}


_placed_before = [0]  # orders counted after the previous run (the warm-up's land in the first run)


def scenarios():
    """The order pipeline with one worker, then with two (the second keeps running afterwards)."""
    common = {"server": "app", "path": "/orders", "method": "POST", "lua": ROTATING_ORDERS, "after_run": drain}
    return [
        Scenario("POST /orders", needs_worker=1, target=TARGET, **common),
        Scenario("POST /orders, 2 workers", needs_worker=2, **common),
    ]


def drain_backlog(count, workers):
    """Seconds `workers` fresh worker processes take to move a backlog of `count` published orders to Processing."""
    import sys
    import tempfile
    from pathlib import Path

    import pika

    from app.rabbitmq import PERSISTENT, encode_order

    from .processes import Process

    root = Path(__file__).resolve().parent.parent
    env = services.app_env()
    services.prepare_database(root, env)
    services.purge_queue()
    with services.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO orders (public_id, status, total, published_at, processing_attempts, created_at, updated_at)"
            " SELECT md5(random()::text || n)::varchar(22), 'Pending', 1.00, now(), 0, now(), now()"
            " FROM generate_series(1, %s) n RETURNING public_id",
            (count,),
        )
        order_ids = [row[0] for row in cur.fetchall()]
    conn.close()
    connection = pika.BlockingConnection(pika.URLParameters(services.RABBITMQ_URL))
    channel = connection.channel()
    channel.tx_select()
    for order_id in order_ids:
        channel.basic_publish("", services.ORDERS_QUEUE, encode_order(order_id), PERSISTENT)
    channel.tx_commit()
    connection.close()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        processes = [
            Process(f"worker-{n}", [sys.executable, "-m", "worker"], Path(tmp) / f"worker-{n}.log", env=env, cwd=root)
            for n in range(workers)
        ]
        try:
            while services.pending_orders() and time.monotonic() - started < DRAIN_LIMIT_S:
                time.sleep(0.05)
            return time.monotonic() - started
        finally:
            for process in processes:
                process.stop()


if __name__ == "__main__":
    for workers in (1, 2):
        seconds = drain_backlog(2000, workers)
        print(
            f"backlog of 2000 orders, {workers} worker(s): all Processing after {seconds:.1f} s "
            f"({2000 / seconds:.0f} orders/s, worker start-up included)"
        )
