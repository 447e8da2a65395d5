"""Figures of one run, and the summary of several runs of one scenario."""

import statistics
from dataclasses import dataclass, field

CLOSED_LOOP = "closed loop"  # wrk: as fast as the connections go; only such figures are compared


@dataclass(frozen=True)
class RunResult:
    """What one timed run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses plus socket errors and timeouts
    requests: int
    extras: dict = field(default_factory=dict)
    cpu_ms: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """Several runs of one scenario: medians, the req/s range, errors added up."""

    name: str
    rps: float
    rps_min: float
    rps_max: float
    p50_ms: float
    p99_ms: float
    errors: int
    runs: int
    extras: dict = field(default_factory=dict)
    mode: str = CLOSED_LOOP
    cpu_ms: dict = field(default_factory=dict)  # CPU ms per order by process group (median of the runs)


def percentile(sorted_values, fraction):
    """The value below which `fraction` of the sorted values lie (nearest rank)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.4999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(name, runs, mode=CLOSED_LOOP):
    """Median req/s and latencies over the runs, min–max req/s, total errors, median extras."""
    extras = _medians([run.extras for run in runs])
    return Summary(
        name=name,
        rps=statistics.median(run.rps for run in runs),
        rps_min=min(run.rps for run in runs),
        rps_max=max(run.rps for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        errors=sum(run.errors for run in runs),
        runs=len(runs),
        extras=extras,
        mode=mode,
        cpu_ms=_medians([run.cpu_ms for run in runs]),
    )


def _medians(dicts):
    """{key: median of the values under key} over dicts that may lack some keys."""
    return {key: statistics.median(d[key] for d in dicts if key in d) for key in {key for d in dicts for key in d}}
