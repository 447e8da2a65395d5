"""CPU time per order, summed over every process involved, from /proc before and after a run.

Busy neighbours on a shared machine move req/s a lot, but the CPU seconds a process spends
on an order barely move, so this is the figure to compare. Each group is a set of pids
found when the snapshot is taken (a process started during the run counts from zero):
the server's gunicorn master and workers, the worker service, the PostgreSQL backends of
its connections (told apart by `application_name`), RabbitMQ and Redis. RabbitMQ and
Redis are shared with whatever else runs on the machine, so their share is an upper bound.
"""

import os
from pathlib import Path

import psycopg2

from .memory import children

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
# Process groups in the order the report lists them.
GROUPS = ("gunicorn", "worker", "postgres", "rabbitmq", "redis")


def cpu_seconds(pid, proc=PROC):
    """User + system CPU seconds of one process (all its threads); 0.0 if it is gone."""
    try:
        fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def tree(pid, proc=PROC):
    """`pid` and its children (gunicorn's master and workers)."""
    return [pid, *children(pid, proc)]


def by_name(name, proc=PROC):
    """The pids whose command name (comm) is `name`, e.g. beam.smp or redis-server."""
    found = []
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                found.append(int(comm.parent.name))
        except OSError:
            continue
    return found


def backends(dsn, application_names):
    """The PostgreSQL backend pids serving connections with one of these application_names."""
    try:
        conn = psycopg2.connect(dsn, connect_timeout=3)
    except psycopg2.Error:
        return []
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)", (list(application_names),))
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def snapshot(groups):
    """{group: {pid: cpu seconds}} for `groups` = {group: [pids]}."""
    return {group: {pid: cpu_seconds(pid) for pid in pids} for group, pids in groups.items()}


def spent(before, after):
    """{group: CPU seconds spent between two snapshots}; pids new in `after` count from zero."""
    return {
        group: sum(max(0.0, seconds - before.get(group, {}).get(pid, 0.0)) for pid, seconds in pids.items())
        for group, pids in after.items()
    }


def per_order_ms(seconds_by_group, orders):
    """{group: CPU ms per order, …, "total": …}; empty when no order was placed."""
    if orders <= 0:
        return {}
    out = {group: 1000.0 * seconds / orders for group, seconds in seconds_by_group.items()}
    out["total"] = sum(out.values())
    return out
