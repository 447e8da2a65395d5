"""A client that sends its headers and then stalls its body must not freeze the API.

gunicorn's sync workers (as Compose runs them) each serve one connection at a time: a few
stalled bodies used to hold every worker of the published :5000 until gunicorn's timeout.
Now both public ports are the frontend's nginx, which reads each body whole before passing
it on. This test runs that nginx config natively in front of gunicorn (sync workers, the
project's gunicorn.conf.py) on the embedded SQLite default, stalls a few bodies, and checks
that other requests are still answered. A control first shows the same stall freezing
gunicorn when it faces clients directly.
"""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from bench.processes import free_port
from tests.compose_tools import ROOT, VENV_BIN, native_nginx_command, native_nginx_conf, render_nginx_template, tool

pytestmark = pytest.mark.slow

WORKERS = 2
STALLED_HEAD = (
    'POST /orders HTTP/1.1\r\nHost: bakery\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"items": ['
)
STALLED_CHUNKED = (
    "POST /orders HTTP/1.1\r\nHost: bakery\r\nContent-Type: application/json\r\n"
    'Transfer-Encoding: chunked\r\n\r\n5\r\n{"ite'
)


def get(url, timeout):
    """(status, body) of a GET; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_json(url, body, timeout):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the server exited ({process.returncode})")
        try:
            get(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stall(port, head):
    """A connection that has sent its headers and part of its body, and then nothing."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(head.encode())
    return conn


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """gunicorn (sync workers, gunicorn.conf.py) and the frontend nginx in front of it; yields the ports."""
    nginx = tool("nginx")
    tmp_path = tmp_path_factory.mktemp("stalled")
    backend, shop, api = free_port(), free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SECRET_KEY": "stalled-clients-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bakery.db'}",
        "GUNICORN_BIND": f"127.0.0.1:{backend}",
        "GUNICORN_WORKERS": str(WORKERS),
        "GUNICORN_WORKER_CLASS": "sync",
        "GUNICORN_THREADS": "1",
        "ORDER_RATE_LIMIT": "",
        "TRUSTED_PROXIES": "1",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([VENV_BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([VENV_BIN / "flask", "--app", "wsgi", "seed"], cwd=ROOT, env=env, check=True, timeout=120)
    logs = tmp_path / "gunicorn.log"
    with open(logs, "wb") as log:
        gunicorn = subprocess.Popen(
            [VENV_BIN / "gunicorn", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server_conf = tmp_path / "bakery.conf"
    server_conf.write_text(
        render_nginx_template(
            {
                "BACKEND_ADDR": f"127.0.0.1:{backend}",
                "FRONTEND_PORT": shop,
                "API_PORT": api,
                "STATIC_ROOT": ROOT / "app",
                "UPLOAD_ROOT": tmp_path / "uploads",
            }
        )
    )
    (tmp_path / "nginx.conf").write_text(native_nginx_conf(tmp_path, server_conf))
    frontend = subprocess.Popen(native_nginx_command(nginx, tmp_path))
    try:
        wait_until_up(f"http://127.0.0.1:{backend}/health", gunicorn)
        wait_until_up(f"http://127.0.0.1:{api}/nginx-health", frontend)
        yield {"backend": backend, "shop": shop, "api": api}
    finally:
        frontend.terminate()
        gunicorn.terminate()
        frontend.wait(10)
        gunicorn.wait(30)


def test_stalled_bodies_freeze_gunicorn_when_it_faces_clients_directly(stack):
    """The finding, reproduced: as many stalled bodies as workers and nobody else is served."""
    stalled = [stall(stack["backend"], STALLED_HEAD) for _ in range(WORKERS + 1)]
    try:
        time.sleep(0.5)  # let the workers pick them up
        with pytest.raises(OSError):  # a timeout: no worker is free to answer
            get(f"http://127.0.0.1:{stack['backend']}/health", timeout=3)
    finally:
        for conn in stalled:
            conn.close()


def test_behind_the_compose_nginx_stalled_bodies_hold_up_nobody(stack):
    stalled = [stall(stack["api"], STALLED_HEAD) for _ in range(4)]
    stalled += [stall(stack["api"], STALLED_CHUNKED) for _ in range(2)]
    stalled += [stall(stack["shop"], STALLED_HEAD) for _ in range(2)]
    try:
        time.sleep(0.5)
        api, shop = f"http://127.0.0.1:{stack['api']}", f"http://127.0.0.1:{stack['shop']}"
        # Generous timeouts: this checks that answers come at all, not how fast.
        for _ in range(5):
            assert get(f"{api}/health", timeout=10)[0] == 200
            assert get(f"{shop}/", timeout=10)[0] == 200
        status, body = get(f"{api}/products", timeout=10)
        assert status == 200
        product = json.loads(body)[0]["id"]
        status, body = post_json(f"{api}/orders", {"items": [{"id": product, "quantity": 1}]}, timeout=10)
        assert status == 201, body
        order_id = json.loads(body)["order_id"]
        assert json.loads(get(f"{api}/order-status/{order_id}", timeout=10)[1])["order_id"] == order_id
    finally:
        for conn in stalled:
            conn.close()
