"""The servers under test, each started on a free port the first time a scenario needs it."""

import os
import sys
import urllib.request

from . import gunicorn_settings, nginx, reference_app, services
from .processes import Process, free_port


class Skip(Exception):
    """A scenario cannot run here (e.g. no frontend config); the reason is reported."""


class ServerPool:
    """Starts servers on demand, remembers their pids, and stops them all in `close()`."""

    def __init__(self, root, workdir, settings, app_env):
        self.root, self.workdir, self.settings, self.app_env = root, workdir, settings, app_env
        self.urls, self.processes = {}, {}
        self._starters = {
            "static": self._static,
            "bare": self._bare,
            "app": self._app,
            "app-public": self._app_public,
            "app-no-redis": self._app_no_redis,
            "frontend": self._frontend,
            "reference": self._reference,
        }

    def url(self, name):
        """The base URL of server `name`, starting it (and what it depends on) if needed."""
        if name not in self.urls:
            port = free_port()
            self.urls[name] = f"http://127.0.0.1:{port}"
            try:
                self._starters[name](name, port)
            except Exception:
                del self.urls[name]
                failed = self.processes.pop(name, None)
                if failed is not None:  # a later scenario may retry; this one must not linger
                    failed.stop()
                raise
        return self.urls[name]

    def start_workers(self, count=1):
        """`python -m worker` on the bench services, until `count` of them run ("worker", "worker-2", …)."""
        for number in range(1, count + 1):
            name = "worker" if number == 1 else f"worker-{number}"
            if name not in self.processes:
                self.processes[name] = Process(
                    name,
                    [sys.executable, "-m", "worker"],
                    self.workdir / f"{name}.log",
                    env=self.app_env,
                    cwd=self.root,
                )

    def product_json(self):
        """The app's /products JSON bytes, saved for the baselines to serve."""
        path = self.workdir / "products.json"
        if not path.exists():
            request = urllib.request.Request(self.url("app") + "/products", headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                path.write_bytes(response.read())
        return path

    def close(self):
        """Stop every process, the worker first so it finishes what it holds."""
        for name in sorted(self.processes, key=lambda n: not n.startswith("worker")):
            self.processes[name].stop()

    def _spawn(self, name, argv, env=None, health="/products"):
        process = Process(name, argv, self.workdir / f"{name}.log", env=env, cwd=self.root)
        self.processes[name] = process
        process.wait_http(self.urls[name] + health)

    def _gunicorn(self, name, port, app_uri, env):
        self._spawn(name, gunicorn_settings.command(sys.executable, self.settings, app_uri, port), env)

    def _app(self, name, port):
        self._gunicorn(name, port, "wsgi:app", self.app_env)

    def _app_public(self, name, port):
        env = {**self.app_env, "SPEEDUPS": "0", "PGAPPNAME": services.APP_NAME["app-public"]}
        self._gunicorn(name, port, "wsgi:app", env)

    def _app_no_redis(self, name, port):
        self._gunicorn(name, port, "wsgi:app", {**self.app_env, "REDIS_URL": services.DEAD_REDIS_URL})

    def _bare(self, name, port):
        env = {**os.environ, "BENCH_BODY_FILE": str(self.product_json())}
        self._gunicorn(name, port, "bench.bare_app:create_app()", env)

    def _reference(self, name, port):
        """The plain reference order service (bench/reference_app.py), its tables and queue, and its consumer."""
        env = services.reference_env()
        conn = services.connect()
        try:
            reference_app.prepare(conn, env["REFERENCE_QUEUE"], env["REFERENCE_RABBITMQ_URL"], services.RESTOCK)
        finally:
            conn.close()
        app_uri = "bench.reference_app:create_app()"
        self._spawn(name, gunicorn_settings.command(sys.executable, self.settings, app_uri, port), env, "/health")
        self.processes["reference-consumer"] = Process(
            "reference-consumer",
            [sys.executable, "-m", "bench.reference_app", "consume"],
            self.workdir / "reference-consumer.log",
            env=env,
            cwd=self.root,
        )

    def _static(self, name, port):
        body = self.product_json()
        conf = self.workdir / "static.conf"
        conf.write_text(nginx.static_config(self.workdir, port, body))
        self._spawn(name, nginx.command(self.workdir, conf))

    def _frontend(self, name, port):
        source = nginx.find_frontend_config(self.root)
        if source is None:
            raise Skip("no frontend config")
        backend = self.url("app").removeprefix("http://")
        conf = self.workdir / "frontend.conf"
        (self.workdir / "cache").mkdir(exist_ok=True)  # nginx makes only the last level of a cache path
        conf.write_text(nginx.frontend_config(source.read_text(), self.workdir, port, backend, self.root / "app"))
        self._spawn(name, nginx.command(self.workdir, conf))
