"""Closed-loop load with wrk: the command line, a Lua script for bodies, and its output parsed."""

import json
import re
import subprocess

from .stats import RunResult

WRK = "wrk"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def lua_script(method, body=None, headers=None):
    """A wrk script that sends `method` with `body` and `headers` on every request."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def command(url, duration, connections, threads, headers=None, script=None):
    """The wrk argv for one timed run with latency percentiles."""
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script:
        argv += ["-s", str(script)]
    return [*argv, url]


def parse(output):
    """Req/s, p50/p99 latency in ms, errors and request count from wrk's --latency output."""
    rps = _RPS.search(output)
    if rps is None:
        raise ValueError(f"not wrk output: {output[-300:]!r}")
    latency = {pct: float(value) * _UNITS_MS[unit] for pct, value, unit in _LATENCY.findall(output)}
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET_ERRORS.search(output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    requests = _REQUESTS.search(output)
    return RunResult(
        rps=float(rps.group(1)),
        p50_ms=latency.get("50", 0.0),
        p99_ms=latency.get("99", 0.0),
        errors=errors,
        requests=int(requests.group(1)) if requests else 0,
    )


def run(argv, duration):
    """Run wrk once, bounded in time, and parse what it printed."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout[-300:]}")
    return parse(done.stdout)
