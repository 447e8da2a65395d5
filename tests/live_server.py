"""gunicorn serving the app on a free port, on the test backend: for tests that need a real HTTP server."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from bench.processes import free_port, wait_http
from tests.helpers import ON_SERVICES

ROOT = Path(__file__).resolve().parent.parent


def server_env(settings):
    """The test settings as the environment variables the app reads."""
    env = {k: v for k, v in os.environ.items() if k not in ("DB_HOST", "REDIS_URL", "RABBITMQ_URL")}
    env.update(
        DATABASE_URL=settings["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="browser-test-secret",
        ORDERS_QUEUE=settings.get("ORDERS_QUEUE", "orders"),
        LOG_LEVEL="WARNING",
        UPLOAD_FOLDER=settings["UPLOAD_FOLDER"],
        # These servers take many orders and logins from one address; on the services the
        # limiter's counts in Redis outlive each server. The limits have their own tests.
        ORDER_RATE_LIMIT="",
        API_KEY_RATE_LIMIT="",
        LOGIN_RATE_LIMIT="",
        LOGIN_CLIENT_RATE_LIMIT="",
        LOGIN_ACCOUNT_RATE_LIMIT="",
        PASSWORD_CHANGE_RATE_LIMIT="",
        ORDER_PAGE_RATE_LIMIT="",
        MAX_ITEMS_PER_CLIENT_PER_DAY="0",
        MAX_ORDERS_PER_CLIENT_PER_SLOT="0",
    )
    if ON_SERVICES:
        env.update(
            REDIS_URL=settings["CACHE_REDIS_URL"],
            CACHE_KEY_PREFIX=settings["CACHE_KEY_PREFIX"],
            RABBITMQ_URL=settings["RABBITMQ_URL"],
        )
    return env


@contextlib.contextmanager
def serve(settings, log_path, threads=4, extra_env=None):
    """Yield the base URL of gunicorn (1 worker) over the test database; on the services a worker takes the orders.

    `extra_env` adds or replaces environment variables of both processes (e.g. a RABBITMQ_URL).
    """
    port = free_port()
    env = {**server_env(settings), **(extra_env or {})}
    processes = []
    log = open(log_path, "w")  # noqa: SIM115 (closed in the finally below)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    processes.append(
        subprocess.Popen(
            [*command, "--threads", str(threads), "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    )
    if ON_SERVICES:
        # On the real services orders go through the broker: a worker must take them.
        processes.append(
            subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/products", 30, processes[0])
        except RuntimeError as error:
            log.flush()
            raise RuntimeError(f"{error}; server log:\n{Path(log_path).read_text()[-3000:]}") from None
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
