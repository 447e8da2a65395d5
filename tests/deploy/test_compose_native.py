"""Run what the containers run, natively, and shop through it.

The files come from what the Dockerfile COPYs into each image (less .dockerignore), laid
out in a temporary folder; the backend's and the worker's commands and environments are
taken from `docker-compose config` (as Compose would start them, with a test .env); nginx
runs the frontend image's config template; and the service host names db, redis and rabbitmq resolve to this
machine (CI adds them to /etc/hosts). Then the URLs of docs/deployment.md must work, and orders placed
while two workers run are processed once each.

Its own database, cache keys and queue: bakery_compose_test, prefix compose-native: in
Redis db 12, compose_test_orders_native (names no other suite uses, so resetting is safe).
Ports are picked free (the compose file's 3000 and 5000, both nginx, are checked in test_compose.py).
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pika
import psycopg2
import pytest
import redis

from app.catalog.seed_data import demo_products
from bench.processes import free_port
from tests.compose_tools import (
    ROOT,
    VENV_BIN,
    compose_config,
    environment,
    example_env,
    native_nginx_command,
    native_nginx_conf,
    need,
    render_nginx_template,
    stage_env,
    stage_image,
    tool,
)
from tests.helpers import services_only

pytestmark = [services_only, pytest.mark.slow]

DB_NAME = "bakery_compose_test"
REDIS_DB = 12
QUEUE = "compose_test_orders_native"
CACHE_PREFIX = "compose-native:"
TEST_ENV = {  # the test's .env: the local services' credentials, its own names
    "SECRET_KEY": "compose-native-test",
    "DB_USER": "postgres",
    "DB_PASSWORD": "unused-with-trust-auth",
    "DB_NAME": DB_NAME,
    "REDIS_URL": f"redis://redis:6379/{REDIS_DB}",
    "CACHE_KEY_PREFIX": CACHE_PREFIX,
    "ORDERS_QUEUE": QUEUE,
    "GUNICORN_WORKERS": "2",
    "ORDER_RATE_LIMIT": "",  # it places 12 orders from one address (the limit: tests/http/test_rate_limits.py)
    "ORDER_PAGE_RATE_LIMIT": "",  # and polls their statuses from it
}
JSON_ACCEPT = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def http(url, method="GET", body=None, headers=None, timeout=10):
    """(status, headers, body bytes) of one request; HTTP errors are answers too."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def reset_services():
    """A fresh database, no cached products and no queued orders from an earlier run."""
    conn = psycopg2.connect(host="db", user="postgres", dbname="postgres", connect_timeout=3)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()
    cache = redis.Redis.from_url(f"redis://redis:6379/{REDIS_DB}")
    for key in cache.scan_iter(f"{CACHE_PREFIX}*"):
        cache.delete(key)
    connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@rabbitmq:5672/%2F"))
    connection.channel().queue_delete(QUEUE)
    connection.close()


def build_images(root):
    """The app and frontend images' files under `root`; returns (app WORKDIR, frontend root).
    htmx, which the image's Node stage installs from npm, comes from `make assets` here
    (the same npm package); the image's virtualenv is this venv."""
    built_assets = {"/build/static/vendor": ROOT / "app" / "static" / "vendor"}
    other_stages = {"assets": built_assets, "builder": {}}
    app_dir = stage_image("app", root / "app-image", other_stages)
    frontend_root = root / "frontend-image"
    stage_image("frontend", frontend_root, other_stages)
    return app_dir, frontend_root


class Processes:
    """Started processes, each in its own session so its children stop with it."""

    def __init__(self, logs):
        self.logs = logs
        self.running = {}

    def start(self, name, command, env, cwd):
        with open(self.logs / f"{name}.log", "wb") as log:
            self.running[name] = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self.running[name]

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self, name, sig=signal.SIGTERM, timeout=15):
        """Signal the process (as `docker compose down` does) and return its exit code."""
        process = self.running.pop(name)
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return process.returncode

    def stop_all(self):
        for name in list(self.running):
            self.stop(name)


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def wait_until(check, timeout, what, processes=None, name=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes and processes.running[name].poll() is not None:
            pytest.fail(f"{name} exited while waiting for {what}:\n{processes.log(name)}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}" + (f":\n{processes.log(name)}" if name else ""))


def container_env(service, **extra):
    """What a container of the app image sees: the image's ENV, then the service's
    environment from Compose; PATH puts this venv where the image has its own."""
    return {
        **stage_env("app"),
        **environment(service),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/tmp"),
        **extra,
    }


def test_the_bakery_runs_as_compose_would_run_it(tmp_path, processes):
    for host in ("db", "redis", "rabbitmq"):
        try:
            address = socket.gethostbyname(host)
        except OSError:
            address = None
        need(address == "127.0.0.1", f"host name {host!r} does not resolve to 127.0.0.1 (add it to /etc/hosts)")
    nginx = tool("nginx")
    code, config, stderr = compose_config(example_env(**TEST_ENV), tmp_path)
    assert code == 0, stderr
    services = config["services"]
    app_dir, frontend_root = build_images(tmp_path)
    reset_services()

    # backend: its compose command (migrate, seed, exec gunicorn), on a free port. Clients
    # reach it only through nginx: the shop's port and the API's (the compose file's 3000, 5000).
    backend_port, frontend_port, api_port = free_port(), free_port(), free_port()
    direct_url, frontend_url = f"http://127.0.0.1:{backend_port}", f"http://127.0.0.1:{frontend_port}"
    backend_url = f"http://127.0.0.1:{api_port}"  # the API, as :5000 is in Compose
    processes.start(
        "backend",
        services["backend"]["command"],
        container_env(services["backend"], GUNICORN_BIND=f"127.0.0.1:{backend_port}"),
        app_dir,
    )
    wait_until(lambda: http(f"{direct_url}/health")[0] == 200, 60, "backend /health", processes, "backend")

    # two workers, as `docker compose up --scale worker=2` starts them once the backend is healthy.
    for index in (1, 2):
        processes.start(f"worker{index}", services["worker"]["command"], container_env(services["worker"]), app_dir)
    for index in (1, 2):  # started = has logged something (and is still running)
        wait_until(
            lambda index=index: processes.log(f"worker{index}").strip(),
            30,
            f"worker{index} to start",
            processes,
            f"worker{index}",
        )

    # frontend: nginx with the image's template, filled in from the image's ENV and the
    # compose environment as the nginx image does, on a free port, with the image's files.
    env = {**stage_env("frontend"), **environment(services["frontend"])}
    static_root = frontend_root / env["STATIC_ROOT"].lstrip("/")
    server_conf = tmp_path / "bakery.conf"
    server_conf.write_text(
        render_nginx_template(
            {
                **env,
                "BACKEND_ADDR": f"127.0.0.1:{backend_port}",
                "FRONTEND_PORT": frontend_port,
                "API_PORT": api_port,
                "STATIC_ROOT": static_root,
            },
            frontend_root / "etc/nginx/templates/default.conf.template",
        )
    )
    (tmp_path / "nginx.conf").write_text(native_nginx_conf(tmp_path, server_conf))
    processes.start(
        "frontend",
        native_nginx_command(nginx, tmp_path),
        dict(os.environ),
        tmp_path,
    )
    wait_until(lambda: http(f"{frontend_url}/nginx-health")[0] == 200, 20, "nginx", processes, "frontend")
    wait_until(lambda: http(f"{backend_url}/health")[0] == 200, 20, "nginx's API port", processes, "frontend")

    check_health_and_catalogue(backend_url, frontend_url)
    check_storefront_and_static_files(frontend_url, static_root)
    order_ids = place_orders(backend_url, frontend_url)
    check_orders_processed_once(backend_url, order_ids)

    # `docker compose down` sends SIGTERM: every process stops cleanly and in time.
    for name in ("worker1", "worker2", "backend"):
        assert processes.running[name].poll() is None, f"{name} died:\n{processes.log(name)}"
        assert processes.stop(name) == 0, processes.log(name)


def check_health_and_catalogue(backend_url, frontend_url):
    for base in (backend_url, frontend_url):
        status, _, body = http(f"{base}/health", headers=JSON_ACCEPT)
        assert status == 200 and json.loads(body)["status"] == "healthy", body
    status, _, body = http(f"{backend_url}/products", headers=JSON_ACCEPT)
    assert status == 200
    names = {product["name"] for product in json.loads(body)}
    assert names == {row["name"] for row in demo_products()}  # seeded once by the entrypoint
    status, headers, _body = http(f"{frontend_url}/products", headers={**JSON_ACCEPT, "Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"


def check_storefront_and_static_files(frontend_url, static_root):
    status, headers, body = http(f"{frontend_url}/", headers=BROWSER)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"]) == ("nosniff", "DENY")
    page = body.decode()
    assert demo_products()[0]["name"].replace("&", "&amp;") in page
    linked = set(re.findall(r"""(?:href|src)=["'](/static/[^"'?#]+)""", page))
    # Only files the image has: a missing picture is test_seed.py's business.
    static = sorted(path for path in linked if (static_root / path.lstrip("/")).is_file())
    assert static, "the storefront links no static files"
    for path in static:
        status, headers, _ = http(f"{frontend_url}{path}", headers={"Accept-Encoding": "gzip"})
        assert status == 200, path
        # nginx's own answer (Flask would say no-cache): a long cache, compressed where it pays.
        assert "max-age=604800" in headers["Cache-Control"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        if Path(path).suffix in (".css", ".js", ".svg") and (static_root / path.lstrip("/")).stat().st_size > 256:
            assert headers["Content-Encoding"] == "gzip", path
    status, headers, _ = http(f"{frontend_url}/static/no-such-file.css")
    assert status == 404 and "max-age" not in (headers["Cache-Control"] or "")


def place_orders(backend_url, frontend_url, count=12):
    """Orders through both doors: the API on :5000 and the frontend on :3000."""
    status, _, body = http(f"{backend_url}/products", headers=JSON_ACCEPT)
    product_ids = [product["id"] for product in json.loads(body)]
    order_ids = []
    for index in range(count):
        base = frontend_url if index % 2 else backend_url
        items = [{"id": product_ids[index % len(product_ids)], "quantity": 1}]
        status, headers, body = http(f"{base}/orders", "POST", {"items": items}, JSON_ACCEPT)
        assert status == 201, body
        order = json.loads(body)
        assert headers["Location"].endswith(f"/orders/{order['order_id']}")
        order_ids.append(order["order_id"])
    for base in (backend_url, frontend_url):
        status, _, body = http(f"{base}/orders/{order_ids[0]}", headers=JSON_ACCEPT)
        assert status == 200 and json.loads(body)["order_id"] == order_ids[0]
        assert http(f"{base}/order-status/does-not-exist", headers=JSON_ACCEPT)[0] == 404
    return order_ids


def check_orders_processed_once(backend_url, order_ids):
    def status_of(order_id):
        return json.loads(http(f"{backend_url}/order-status/{order_id}", headers=JSON_ACCEPT)[2])["status"]

    wait_until(
        lambda: all(status_of(order_id) == "Processing" for order_id in order_ids),
        30,
        "every order to reach Processing",
    )
    conn = psycopg2.connect(host="db", user="postgres", dbname=DB_NAME, connect_timeout=3)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT o.public_id, count(n.id) FROM orders o
                       LEFT JOIN notifications n ON n.order_id = o.id
                       WHERE o.public_id = ANY(%s) GROUP BY o.public_id""",
            (order_ids,),
        )
        counts = dict(cur.fetchall())
    conn.close()
    assert counts == dict.fromkeys(order_ids, 1)
