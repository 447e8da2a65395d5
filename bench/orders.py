"""POST /orders through the whole pipeline: accepted orders/s, then how long until all are Processing.

Run with one worker and with two (`python -m bench.run --only "POST /orders"`). Each timed
run places as many orders as wrk manages in --duration seconds (≥ 2,000 at the target
rate); after it, the drain time is how long the workers took to move every order out of
Pending, counted from wrk's last request.
"""

import dataclasses
import json
import time

from . import cpu, reference_app, services
from .scenario import WITHOUT_SPEEDUPS, Scenario, Target

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_HEADER_LINES = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in HEADERS.items())


def orders_script(lines=1, hot=False):
    """A wrk script posting orders of `lines` different products going round the ten demo products
    (ids 1-10), or, `hot`, every order for product 1 (its stock row's lock is then the bottleneck)."""
    if hot:
        body = json.dumps({"items": [{"id": 1, "quantity": 1}]})
        return f'wrk.method = "POST"\n{_HEADER_LINES}\nwrk.body = {json.dumps(body)}\n'
    parts = ", ".join('{"id": %d, "quantity": 1}' for _ in range(lines))
    ids = ", ".join(f"(n + {k}) % 10 + 1" for k in range(lines))
    return f"""
wrk.method = "POST"
{_HEADER_LINES}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{{"items": [{parts}]}}', {ids}))
end
"""


ROTATING_ORDERS = orders_script()
DRAIN_LIMIT_S = 60.0
REFERENCE = "POST /orders reference (raw psycopg2, confirm on the request path)"
TARGET = Target(ratio_of=REFERENCE, min_ratio=1.5, max_p99_ms=100, zero_errors=True, max_extras={"drain_s": 5.0})


def drain(_ctx):
    """After a run: seconds until no order is Pending (capped at DRAIN_LIMIT_S), the backlog then, orders placed."""
    started = time.monotonic()
    backlog = pending = services.pending_orders()
    while pending and time.monotonic() - started < DRAIN_LIMIT_S:
        time.sleep(0.05)
        pending = services.pending_orders()
    drained = round(time.monotonic() - started, 2)
    total, batches = services.count_orders(), services.count_relay_batches()
    placed, _placed_before[0] = total - _placed_before[0], total
    relayed, _batches_before[0] = batches - _batches_before[0], batches
    # Each relay pass marks its whole batch with one published_at: orders per pass, all relays together.
    per_batch = round(placed / relayed, 1) if relayed > 0 else 0.0
    return {"drain_s": drained, "backlog": backlog, "orders": placed, "per_batch": per_batch}


_placed_before = [0]  # orders counted after the previous run (the warm-up's land in the first run)
_batches_before = [0]  # relay batches likewise


def drain_reference(_ctx):
    """The reference's drain: seconds until its consumer has taken every order."""
    started = time.monotonic()
    conn = services.connect()
    try:
        backlog = pending = reference_app.pending(conn)
        while pending and time.monotonic() - started < DRAIN_LIMIT_S:
            time.sleep(0.05)
            pending = reference_app.pending(conn)
    finally:
        conn.close()
    return {"drain_s": round(time.monotonic() - started, 2), "backlog": backlog}


def _shared(groups):
    """RabbitMQ and Redis: one server each, shared by everything on the machine."""
    return {**groups, "rabbitmq": cpu.by_name("beam.smp"), "redis": cpu.by_name("redis-server")}


def bakery_cpu(server="app"):
    """The bakery's processes: gunicorn (master and workers) of `server`, every worker service, their backends."""

    def groups(ctx):
        workers = [pid for name, p in ctx.processes.items() if name.startswith("worker") for pid in cpu.tree(p.pid)]
        return _shared(
            {
                "gunicorn": cpu.tree(ctx.processes[server].pid),
                "worker": workers,
                "postgres": cpu.backends(services.dsn(), [services.APP_NAME[server]]),
            }
        )

    return groups


def reference_cpu(ctx):
    """The reference's processes: its gunicorn, its consumer, their backends."""
    return _shared(
        {
            "gunicorn": cpu.tree(ctx.processes["reference"].pid),
            "worker": cpu.tree(ctx.processes["reference-consumer"].pid),
            "postgres": cpu.backends(services.dsn(), [services.APP_NAME["reference"]]),
        }
    )


def scenarios():
    """Each order shape on the reference and on the bakery (one worker), in turns; then two workers."""
    found = []
    for label, script in (
        ("", ROTATING_ORDERS),
        (", 3 products", orders_script(lines=3)),
        (", one hot product", orders_script(hot=True)),
    ):
        common = {"path": "/orders", "method": "POST", "lua": script, "interleave": f"orders{label}"}
        reference = REFERENCE.replace(" reference", f"{label} reference", 1)
        found += [
            Scenario(reference, "reference", after_run=drain_reference, cpu_groups=reference_cpu, **common),
            Scenario(
                f"POST /orders{label}",
                "app",
                needs_worker=1,
                after_run=drain,
                cpu_groups=bakery_cpu(),
                target=dataclasses.replace(TARGET, ratio_of=reference),
                **common,
            ),
        ]
        if not label:  # what the speed-ups buy on the order path, in the same turns
            found.append(
                Scenario(
                    f"POST /orders{WITHOUT_SPEEDUPS}",
                    "app-public",
                    needs_worker=1,
                    after_run=drain,
                    cpu_groups=bakery_cpu("app-public"),
                    **common,
                )
            )
    found.append(
        Scenario(
            "POST /orders, 2 workers",
            "app",
            path="/orders",
            method="POST",
            lua=ROTATING_ORDERS,
            needs_worker=2,
            after_run=drain,
            cpu_groups=bakery_cpu(),
        )
    )
    return found


def drain_backlog(count, workers):
    """Seconds `workers` fresh worker processes take to move a backlog of `count` published orders to Processing."""
    import sys
    import tempfile
    from pathlib import Path

    import pika

    from app.infra.rabbitmq import PERSISTENT, encode_order

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
