"""The interface a scenario module implements: `scenarios()` returns a list of Scenario.

A module listed in run.SCENARIO_MODULES (bench.catalog, bench.orders, bench.traffic) is
imported if present; each Scenario names the server it loads, the request (or a mix for a
fixed-rate load), optional hooks and the target it must reach.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The servers the runner can start; a scenario names one of them.
SERVERS = ("static", "bare", "app", "app-public", "app-no-redis", "frontend", "reference")

# A scenario named like another plus this runs the same load on "app-public": the app with
# SPEEDUPS=0 (app/speedups.py). The report sets each such pair side by side.
WITHOUT_SPEEDUPS = ", SPEEDUPS=0"


@dataclass(frozen=True)
class Target:
    """Figures a scenario must reach; a field left at None (or empty) is not checked."""

    ratio_of: str | None = None  # name of the scenario this one's req/s is divided by
    min_ratio: float | None = None
    min_rps: float | None = None
    max_p99_ms: float | None = None
    zero_errors: bool = False
    max_extras: dict = field(default_factory=dict)  # e.g. {"drain_s": 5.0}, from after_run


@dataclass(frozen=True)
class Request:
    """One kind of request in a fixed-rate mix, drawn in proportion to its weight."""

    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    weight: float = 1.0


@dataclass
class Context:
    """What hooks receive: where each started server listens, the app's environment, the options."""

    urls: dict  # server name -> base URL, e.g. {"app": "http://127.0.0.1:40123"}
    app_env: dict  # DATABASE_URL, REDIS_URL, RABBITMQ_URL, ORDERS_QUEUE the app and worker run with
    options: object  # the parsed command line (duration, runs, rate, ...)
    workdir: Path  # a temporary folder removed at the end
    processes: dict = field(default_factory=dict)  # process name -> bench.processes.Process started so far


@dataclass(frozen=True)
class Scenario:
    """One figure: a load applied to one server, repeated `--runs` times after a warm-up."""

    name: str
    server: str
    path: str = "/products"
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str | None = None
    lua: str | None = None  # a whole wrk script instead (e.g. a request() varying the body); wins over body
    target: Target | None = None
    needs_worker: int = 0  # run this many `python -m worker` processes (kept running to the end)
    prepare: Callable[[Context], None] | None = None  # before the warm-up
    after_run: Callable[[Context], dict] | None = None  # after each run: extra figures, e.g. drain_s
    mix: Callable[[Context], list] | None = None  # list[Request]: a fixed-rate load instead of wrk
    # {group: [pids]} whose CPU time (bench/cpu.py) is divided by the orders of each run
    cpu_groups: Callable[[Context], dict] | None = None
    # Scenarios with the same key (and next to each other) take turns run by run, so that a
    # baseline and what is compared with it see the same moments of a noisy machine.
    interleave: str | None = None
