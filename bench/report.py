"""Targets checked, ratios to the baselines, the Markdown tables and the results JSON."""

import dataclasses
import json
from dataclasses import dataclass

from .catalog import BARE, STATIC
from .cpu import GROUPS
from .memory import LIMITS_MB
from .scenario import WITHOUT_SPEEDUPS
from .stats import CLOSED_LOOP, Summary


@dataclass(frozen=True)
class Skipped:
    """A scenario that did not run, and why."""

    name: str
    reason: str


def header(meta, options):
    """Machine, load, gunicorn settings and load parameters, above the tables."""
    machine, after = meta["machine"], meta["loadavg_after"][0]
    lines = [
        f"{machine['cores']} cores, {machine['cpu']}; "
        f"load average before {machine['loadavg'][0]:.2f}, after {after:.2f}"
    ]
    if max(machine["loadavg"][0], after) > machine["cores"] / 2:
        lines.append(
            "warning: the machine was busy; compare figures only within this run, and rerun on a quiet machine"
        )
    lines.append(f"gunicorn: {meta['gunicorn']}")
    lines.append(
        f"wrk -t{options.threads} -c{options.connections}, {options.runs} × {options.duration} s after "
        f"{options.warmup} s warm-up; mixed traffic at {options.rate} req/s\n"
    )
    return "\n".join(lines)


def short(name):
    """A row name without its parenthesis or qualifier, for target texts."""
    return name.split(" (")[0].split(",")[0]


def ratio(row, base):
    """row req/s over base req/s, or None when either is missing or not a closed-loop figure."""
    if not all(isinstance(r, Summary) and r.mode == CLOSED_LOOP for r in (row, base)) or base.rps <= 0:
        return None
    return row.rps / base.rps


def evaluate(target, row, by_name):
    """(what the target asks, True/False, or None when it cannot be judged)."""
    checks = []
    if target.ratio_of is not None:
        value = ratio(row, by_name.get(target.ratio_of))
        measured = "" if value is None or target.ratio_of in (BARE, STATIC) else f" (is {value:.2f}×)"
        checks.append((f"≥ {target.min_ratio}× {short(target.ratio_of)}{measured}", _at_least(value, target.min_ratio)))
    if target.min_rps is not None:
        checks.append((f"≥ {target.min_rps:,.0f} req/s", row.rps >= target.min_rps))
    if target.max_p99_ms is not None:
        checks.append((f"p99 < {target.max_p99_ms:g} ms", row.p99_ms < target.max_p99_ms))
    if target.zero_errors:
        checks.append(("0 errors", row.errors == 0))
    for key, limit in target.max_extras.items():
        checks.append((f"{key} ≤ {limit:g}", row.extras[key] <= limit if key in row.extras else None))
    results = [ok for _, ok in checks]
    return ", ".join(text for text, _ in checks), None if None in results else all(results)


def _at_least(value, minimum):
    return None if value is None else value >= minimum


def verdict(met):
    """met / not met / n/a."""
    return {True: "met", False: "**not met**", None: "n/a"}[met]


def _times(value):
    return "–" if value is None else f"{value:.2f}×"


def scenario_table(rows, targets):
    """The Markdown table of every scenario; `targets` maps a row name to its Target."""
    by_name = {row.name: row for row in rows}
    lines = [
        "| scenario | req/s (median) | min–max | p50 ms | p99 ms | errors | × bare Flask | × nginx | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        if isinstance(row, Skipped):
            lines.append(f"| {row.name} | {row.reason} | | | | | | | | |")
            continue
        target_text, met = evaluate(targets[row.name], row, by_name) if targets.get(row.name) else ("", None)
        lines.append(
            f"| {_label(row)} | {row.rps:,.0f} | {row.rps_min:,.0f}–{row.rps_max:,.0f} | {row.p50_ms:.2f} | "
            f"{row.p99_ms:.2f} | {row.errors} | {_times(ratio(row, by_name.get(BARE)))} | "
            f"{_times(ratio(row, by_name.get(STATIC)))} | {target_text} | {verdict(met) if target_text else ''} |"
        )
    return "\n".join(lines)


def _label(row):
    """The row name, with its load mode (if not closed loop) and its extra figures."""
    notes = [row.mode] if row.mode != CLOSED_LOOP else []
    notes += [f"{key} {value:.2f}" for key, value in sorted(row.extras.items())]
    return f"{row.name} ({', '.join(notes)})" if notes else row.name


def cpu_table(rows):
    """CPU ms per order by process group, for the scenarios that counted it."""
    counted = [row for row in rows if isinstance(row, Summary) and row.cpu_ms]
    if not counted:
        return ""
    lines = [
        "| CPU ms per order | " + " | ".join(GROUPS) + " | total |",
        "|---|" + "---:|" * (len(GROUPS) + 1),
    ]
    for row in counted:
        cells = [f"{row.cpu_ms[g]:.2f}" if g in row.cpu_ms else "" for g in (*GROUPS, "total")]
        lines.append(f"| {row.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speedups_table(rows):
    """Each scenario run with and without the speed-ups (SPEEDUPS=0), side by side."""
    by_name = {row.name: row for row in rows if isinstance(row, Summary)}
    pairs = [
        (by_name[name.removesuffix(WITHOUT_SPEEDUPS)], row)
        for name, row in by_name.items()
        if name.endswith(WITHOUT_SPEEDUPS) and name.removesuffix(WITHOUT_SPEEDUPS) in by_name
    ]
    if not pairs:
        return ""
    lines = [
        "| with and without the speed-ups | req/s on | req/s off | on ÷ off | × bare Flask on / off "
        "| CPU ms per order on / off |",
        "|---|---:|---:|---:|---|---|",
    ]
    bare = by_name.get(BARE)
    for on, off in pairs:
        cpu_ms = f"{on.cpu_ms['total']:.2f} / {off.cpu_ms['total']:.2f}" if on.cpu_ms and off.cpu_ms else ""
        lines.append(
            f"| {on.name} | {on.rps:,.0f} | {off.rps:,.0f} | {_times(ratio(on, off))} | "
            f"{_times(ratio(on, bare))} / {_times(ratio(off, bare))} | {cpu_ms} |"
        )
    return "\n".join(lines)


def limit_for(label):
    """The memory limit (MB) that applies to a process label, if any."""
    return next((limit for prefix, limit in LIMITS_MB.items() if label.startswith(prefix)), None)


def memory_table(peaks):
    """Peak RSS per process kind against the issue's limits."""
    lines = ["| process | peak RSS MB | limit MB | met |", "|---|---:|---:|---|"]
    for label, value in sorted(peaks.items()):
        limit = limit_for(label)
        met = verdict(value < limit) if limit else ""
        lines.append(f"| {label} | {value:.1f} | {limit or ''} | {met} |")
    return "\n".join(lines)


def as_json(meta, rows, targets, peaks):
    """Everything measured, with each target's verdict, as a JSON document."""
    by_name = {row.name: row for row in rows}
    out = []
    for row in rows:
        entry = {"kind": "skipped" if isinstance(row, Skipped) else "measured", **dataclasses.asdict(row)}
        if isinstance(row, Summary):
            entry["x_bare"], entry["x_nginx"] = ratio(row, by_name.get(BARE)), ratio(row, by_name.get(STATIC))
        if isinstance(row, Summary) and targets.get(row.name):
            entry["target"], entry["met"] = evaluate(targets[row.name], row, by_name)
        out.append(entry)
    memory = {label: {"peak_rss_mb": value, "limit_mb": limit_for(label)} for label, value in peaks.items()}
    return json.dumps({**meta, "scenarios": out, "memory": memory}, indent=2)
