"""gunicorn settings, read automatically by `gunicorn wsgi:app` from this folder.

Chosen from `make bench` on the 2-core machine (the figures are in docs/performance.md,
"Choosing gunicorn's settings"): sync workers, two per core. Side by side in one run,
`-w 4 -k sync` served the cached catalogue closest to bare Flask, with the lowest p99, and
`-w 2 -k gthread --threads 8` furthest from it: threads of one process fight over its GIL
while cached requests are pure CPU. gthread placed more orders/s (DB waits overlap), but
browsing is most of a bakery's traffic and either is far above its order rate. Sync workers
need a buffering proxy in front against slow clients: the frontend nginx is that proxy.
Change them through the environment (GUNICORN_*), not here, so Docker and bare metal stay
alike. Command-line flags (as `make run` passes) still win over this file.
"""

import os


def _cpu_count():
    """CPUs this process may use (a container's cpuset, not the whole host)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _env(name, default):
    """The variable's value; unset or empty (as Compose passes an unset one) = default."""
    return os.environ.get(name, "").strip() or default


# 0.0.0.0 so the frontend container can reach it. Compose sets 0.0.0.0:8000 and publishes
# only nginx's ports: sync workers need a buffering proxy in front of them.
bind = _env("GUNICORN_BIND", "0.0.0.0:5000")
worker_class = _env("GUNICORN_WORKER_CLASS", "sync")
# Capped: every process keeps its own PostgreSQL pool (DB_POOL_SIZE + DB_MAX_OVERFLOW),
# and too many connections slow a small database server down (docs/performance.md, "Limits of the machine").
workers = int(_env("GUNICORN_WORKERS", min(2 * _cpu_count(), 8)))
threads = int(_env("GUNICORN_THREADS", 1))  # more than 1 turns sync into gthread
# A request that takes longer than this is stuck: every dependency has a short timeout.
timeout = int(_env("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# The heartbeat file on tmpfs, as gunicorn advises: on a container's overlay filesystem it can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # nosec B108
accesslog = "-"
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
