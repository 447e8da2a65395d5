"""The catalogue's fixed cost per request in one process, against bare Flask serving the same bytes.

`python -m bench.in_process` builds the app (the embedded default, or with `--services` on
PostgreSQL and Redis with the two-tier cache), warms its cache, and times the cached
answers (`GET /products` JSON, `GET /` page, the HTMX fragment), the same answers with
SPEEDUPS=0, and bench/bare_app.py in interleaved rounds, printing the median ms per request
and the ratio to bare Flask.

Requests are raw WSGI calls (an environ dict → app(environ, start_response)) by default,
so the client's own cost does not dilute the ratio; `--client test` uses Werkzeug's test
client instead (how earlier figures were taken). Times are the CPU time of this thread
(`time.thread_time`): neighbours on a busy machine move them less than the wall clock.
`--profile` prints cProfile's top cumulative entries for the app's answer.
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import Client, EnvironBuilder

from . import bare_app
from .services import ensure_database

SERVICES_DATABASE_URL = os.environ.get(
    "IN_PROCESS_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/bakery_test_getfast"
)
SERVICES_REDIS_URL = os.environ.get("IN_PROCESS_REDIS_URL", "redis://127.0.0.1:6379/8")

# What each answer is asked with: an API client, a browser (its real Accept), htmx.
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FRAGMENT = {"Accept": "*/*", "HX-Request": "true"}
CASES = {
    "bare Flask /products": ("bare", "/products", JSON),
    "app GET /products JSON": ("app", "/products", JSON),
    "app GET / page": ("app", "/", BROWSER),
    "app GET / fragment": ("app", "/", FRAGMENT),
    # The same answers from the app with SPEEDUPS=0 (app/speedups.py): what the speed-ups buy.
    "SPEEDUPS=0 GET /products JSON": ("app-public", "/products", JSON),
    "SPEEDUPS=0 GET / page": ("app-public", "/", BROWSER),
    "SPEEDUPS=0 GET / fragment": ("app-public", "/", FRAGMENT),
}
BARE = "bare Flask /products"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.in_process", description=__doc__.splitlines()[0])
    parser.add_argument("--services", action="store_true", help="PostgreSQL + Redis (two-tier cache)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per case per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians reported (default 5)")
    parser.add_argument("--client", choices=("wsgi", "test"), default="wsgi", help="raw WSGI call or test client")
    parser.add_argument(
        "--profile", nargs="?", const="app GET /products JSON", metavar="CASE", help="cProfile one case instead"
    )
    parser.add_argument("--top", type=int, default=35, help="profile entries to print (default 35)")
    return parser.parse_args(argv)


def settings(services, instance):
    """The app's settings: production-like (CSRF on, default limits), on SQLite or on the services."""
    common = {"SECRET_KEY": "in-process-bench", "LOG_LEVEL": "WARNING", "RABBITMQ_URL": None}
    if services:
        return {
            **common,
            "SQLALCHEMY_DATABASE_URI": SERVICES_DATABASE_URL,
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": SERVICES_REDIS_URL,
            "CACHE_KEY_PREFIX": "bakery-in-process:",
        }
    return {**common, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bakery.db'}", "CACHE_TYPE": "SimpleCache"}


def build_app(services, instance):
    """The app with its schema migrated and the demo catalogue loaded."""
    from flask_migrate import upgrade

    from app import create_app
    from app.catalog.seed_data import load_demo
    from app.extensions import db

    if services:
        ensure_database(SERVICES_DATABASE_URL)
    app = create_app(settings(services, instance))
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        load_demo()
        db.session.remove()
    return app


class WsgiCaller:
    """Calls a WSGI app with a copy of a prepared environ; no client in between."""

    def __init__(self, app, path, headers):
        self.app = app
        self.environ = EnvironBuilder(path=path, headers=headers).get_environ()
        self.status = None

    def _start_response(self, status, headers, exc_info=None):
        self.status = status

    def __call__(self):
        environ = dict(self.environ)
        environ["wsgi.input"] = io.BytesIO(b"")
        body = self.app(environ, self._start_response)
        try:
            for _chunk in body:
                pass
        finally:
            if hasattr(body, "close"):
                body.close()
        return self.status


class TestClientCaller:
    """The same request through Werkzeug's test client."""

    def __init__(self, app, path, headers):
        self.client, self.path, self.headers = Client(app), path, headers

    def __call__(self):
        response = self.client.get(self.path, headers=self.headers)
        response.close()
        return response.status


def callers(apps, client):
    make = WsgiCaller if client == "wsgi" else TestClientCaller
    return {name: make(apps[which], path, headers) for name, (which, path, headers) in CASES.items()}


def warm(calls):
    """A few requests each: the caches fill, and every answer must be a 200."""
    for name, call in calls.items():
        for _ in range(20):
            status = call()
        if not str(status).startswith("200"):
            raise SystemExit(f"{name}: {status}")


def time_case(call, requests):
    gc.collect()
    started = time.thread_time()
    for _ in range(requests):
        call()
    return (time.thread_time() - started) * 1000 / requests


def measure(calls, requests, rounds):
    """ms per request of each case: interleaved rounds, the order rotated each round."""
    times = {name: [] for name in calls}
    names = list(calls)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(time_case(calls[name], requests))
    return times


def print_table(times, options):
    backend = "services (PostgreSQL + Redis, two-tier cache)" if options.services else "embedded (SQLite)"
    how = "raw WSGI calls" if options.client == "wsgi" else "Werkzeug test client"
    print(f"backend: {backend}; {how}; {options.rounds} rounds × {options.requests} requests, CPU ms/request")
    bare = statistics.median(times[BARE])
    width = max(len(name) for name in times)
    print(f"{'case':<{width}} {'median ms':>10} {'min':>8} {'max':>8} {'bare/app':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        ratio = "" if name == BARE else f"{bare / median:.2f}×"
        print(f"{name:<{width}} {median:>10.4f} {min(values):>8.4f} {max(values):>8.4f} {ratio:>9}")


def profile(call, requests, top):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def product_json(app):
    """The app's /products body: the bytes bare Flask serves."""
    with app.test_client() as client:
        return client.get("/products", headers=JSON).data


def main(argv=None):
    options = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-in-process-") as workdir:
        instance = Path(workdir)
        app = build_app(options.services, instance)
        (instance / "products.json").write_bytes(product_json(app))
        from app import create_app

        public = create_app({**settings(options.services, instance), "SPEEDUPS": False})
        public.instance_path = str(instance)
        apps = {"app": app, "app-public": public, "bare": bare_app.create_app(instance / "products.json")}
        calls = callers(apps, options.client)
        warm(calls)
        if options.profile:
            if options.profile not in calls:
                raise SystemExit(f"--profile: one of {', '.join(calls)}")
            profile(calls[options.profile], options.requests, options.top)
            return
        print_table(measure(calls, options.requests, options.rounds), options)


if __name__ == "__main__":
    sys.exit(main())
