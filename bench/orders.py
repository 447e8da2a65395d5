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
    """Seconds until no order is Pending any more (capped at DRAIN_LIMIT_S), and the backlog at the start."""
    started = time.monotonic()
    backlog = pending = services.pending_orders()
    while pending and time.monotonic() - started < DRAIN_LIMIT_S:
        time.sleep(0.05)
        pending = services.pending_orders()
    return {"drain_s": round(time.monotonic() - started, 2), "backlog": backlog}


def scenarios():
    """The order pipeline with one worker, then with two (the second keeps running afterwards)."""
    common = dict(server="app", path="/orders", method="POST", lua=ROTATING_ORDERS, after_run=drain)
    return [
        Scenario("POST /orders", needs_worker=1, target=TARGET, **common),
        Scenario("POST /orders, 2 workers", needs_worker=2, **common),
    ]
