"""`make bench`: start the baselines and the app on 127.0.0.1, load each scenario, print the table.

Scenario modules (see bench/scenario.py for the interface) are imported in SCENARIO_MODULES
order; a missing one is reported as skipped. Everything started is stopped at the end, also
on Ctrl-C, SIGTERM, errors and the --time-limit.
"""

import argparse
import dataclasses
import importlib
import os
import re
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import cpu, fixed_rate, gunicorn_settings, memory, report, services, wrk
from .scenario import Context
from .servers import ServerPool, Skip
from .stats import CLOSED_LOOP, summarise

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_MODULES = ("bench.catalog", "bench.orders", "bench.traffic")


class TimeLimit(BaseException):
    """The whole run took longer than --time-limit."""


def parse_args(argv=None):
    """The command line; --quick shrinks every duration for a smoke run."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured run (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per scenario; the median is reported")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--rate", type=int, default=200, help="req/s of the fixed-rate mixed traffic (default 200)")
    parser.add_argument(
        "--gunicorn", default="", help='extra gunicorn flags for app and bare Flask, e.g. "-w 2 -k gthread --threads 8"'
    )
    parser.add_argument(
        "--only", action="append", default=[], help="run scenarios whose name contains this (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run of 1 s, 1 s warm-up")
    parser.add_argument("--time-limit", type=int, default=900, help="stop everything after this many seconds")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.warmup, options.runs = 1, 1, 1
    return options


def load_scenarios(modules=SCENARIO_MODULES, only=()):
    """(scenarios from the modules present, notes on the modules that are not)."""
    found, notes = [], []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            notes.append(f"skipped: {name.replace('.', '/')}.py not present")
            continue
        found += [s for s in module.scenarios() if not only or any(part in s.name for part in only)]
    return found, notes


def load_function(scenario, url, ctx):
    """A function running the scenario's load for a number of seconds and returning a RunResult."""
    if scenario.mix is not None:
        requests = scenario.mix(ctx)
        return lambda seconds: fixed_rate.run(url, requests, ctx.options.rate, seconds)
    script = None
    if scenario.lua is not None or scenario.method != "GET" or scenario.body is not None:
        script = ctx.workdir / (re.sub(r"\W+", "-", scenario.name).strip("-") + ".lua")
        script.write_text(scenario.lua or wrk.lua_script(scenario.method, scenario.body))
    options = ctx.options
    return lambda seconds: wrk.run(
        wrk.command(url + scenario.path, seconds, options.connections, options.threads, scenario.headers, script),
        seconds,
    )


def measure(scenario, pool, ctx, options):
    """Warm up, then --runs timed runs of one scenario; the summary of those runs."""
    return measure_group([scenario], pool, ctx, options)[0]


def measure_group(scenarios, pool, ctx, options):
    """Warm each scenario up, then --runs rounds in which each runs once in turn; their summaries."""
    loads = [_prepared(scenario, pool, ctx, options) for scenario in scenarios]
    runs = [[] for _ in scenarios]
    for _ in range(options.runs):
        for scenario, load, done in zip(scenarios, loads, runs, strict=True):
            done.append(one_run(scenario, load, ctx, options))
    return [
        summarise(s.name, r, f"fixed rate {options.rate} req/s" if s.mix is not None else CLOSED_LOOP)
        for s, r in zip(scenarios, runs, strict=True)
    ]


def _prepared(scenario, pool, ctx, options):
    url = pool.url(scenario.server)
    if scenario.needs_worker:
        pool.start_workers(int(scenario.needs_worker))
    if scenario.prepare is not None:
        scenario.prepare(ctx)
    load = load_function(scenario, url, ctx)
    load(options.warmup)
    return load


def one_run(scenario, load, ctx, options):
    """One timed run, its after_run figures and, if the scenario says which processes, CPU ms per order."""
    before = cpu.snapshot(scenario.cpu_groups(ctx)) if scenario.cpu_groups else None
    result = load(options.duration)
    if scenario.after_run is not None:
        result = dataclasses.replace(result, extras={**result.extras, **scenario.after_run(ctx)})
    if before is not None:  # after after_run: the worker's share of draining the backlog counts too
        spent = cpu.spent(before, cpu.snapshot(scenario.cpu_groups(ctx)))
        result = dataclasses.replace(result, cpu_ms=cpu.per_order_ms(spent, result.requests - result.errors))
    return result


def in_turns(scenarios):
    """The scenarios as groups to measure together: neighbours sharing an `interleave` key, else alone."""
    groups = []
    for scenario in scenarios:
        if groups and scenario.interleave is not None and groups[-1][-1].interleave == scenario.interleave:
            groups[-1].append(scenario)
        else:
            groups.append([scenario])
    return groups


def _one_line(error, limit=300):
    """An exception's message (a process log tail included) on one table-safe line."""
    return " / ".join(line.strip() for line in str(error).splitlines() if line.strip())[:limit].replace("|", "/")


def sample_memory(tracker, pool):
    """Peak RSS of the gunicorn workers of each server and of the worker service, so far."""
    for name in ("app", "app-public", "app-no-redis", "bare", "reference"):
        if name in pool.processes:
            tracker.sample(f"gunicorn worker ({name})", memory.children(pool.processes[name].pid))
    if "worker" in pool.processes:
        pid = pool.processes["worker"].pid
        tracker.sample("worker service", [pid, *memory.children(pid)])


def machine():
    """Cores, CPU model and load average, for the report."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {"cores": os.cpu_count(), "cpu": model, "loadavg": os.getloadavg()}


def run_all(scenarios, options, settings):
    """Every scenario, in order, on servers started as needed; (rows, memory peaks)."""
    env = services.app_env()
    rows, tracker = [], memory.PeakTracker()
    with tempfile.TemporaryDirectory(prefix="bakery-bench-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # nginx workers run as another user and read files here
        services.prepare_database(ROOT, env)
        services.flush_cache()
        services.purge_queue()
        pool = ServerPool(ROOT, workdir, settings, env)
        ctx = Context(pool.urls, env, options, workdir, pool.processes)
        try:
            for group in in_turns(scenarios):
                print(f"… {' / '.join(s.name for s in group)}", file=sys.stderr, flush=True)
                try:
                    rows += measure_group(group, pool, ctx, options)
                except Skip as reason:
                    rows += [report.Skipped(s.name, f"skipped: {reason}") for s in group]
                except Exception as error:  # one broken scenario must not lose the others' figures
                    rows += [report.Skipped(s.name, f"failed: {_one_line(error)}") for s in group]
                sample_memory(tracker, pool)
        finally:
            pool.close()
    return rows, tracker.peaks


def _raise(exception):
    """A signal handler that raises `exception` in the main thread."""

    def handler(_signum, _frame):
        raise exception

    return handler


def main(argv=None):
    """Run the benchmark, print the tables, write bench/results/<time>.json."""
    options = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    signal.signal(signal.SIGTERM, _raise(KeyboardInterrupt))
    signal.signal(signal.SIGALRM, _raise(TimeLimit))
    signal.alarm(options.time_limit)
    settings = gunicorn_settings.resolve(ROOT, options.gunicorn)
    scenarios, notes = load_scenarios(only=options.only)
    started, before, began = datetime.now(UTC), machine(), time.monotonic()
    rows, peaks = run_all(scenarios, options, settings)
    signal.alarm(0)
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - began),
        "machine": before,
        "loadavg_after": os.getloadavg(),
        "gunicorn": settings.describe(),
        "options": {k: str(v) for k, v in vars(options).items()},
        "notes": notes,
    }
    targets = {s.name: s.target for s in scenarios}
    print("\n" + report.header(meta, options))
    print(report.scenario_table(rows, targets) + "\n")
    print(report.cpu_table(rows) + "\n")
    print(report.speedups_table(rows) + "\n")
    print(report.memory_table(peaks))
    print("\n".join(notes))
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(report.as_json(meta, rows, targets, peaks))
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    except TimeLimit:
        sys.exit("stopped: --time-limit reached; every process started was stopped")
