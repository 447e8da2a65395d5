"""The Docker deployment as files: docker-compose.yml (as Compose normalizes it), the
Dockerfile (hadolint and a few facts), the nginx config (nginx -t) and gunicorn settings.

No Docker engine is needed; tools that are missing skip these tests, except in CI
(BAKERY_REQUIRE_COMPOSE=1). The native run of the same commands is test_compose_native.py.
"""

import json
import os
import re
import runpy
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from bench.processes import free_port
from tests.compose_tools import (
    ROOT,
    compose_config,
    dockerfile_stages,
    dockerignore_patterns,
    environment,
    example_env,
    native_nginx_command,
    native_nginx_conf,
    render_nginx_template,
    stage_env,
    tool,
)

SERVICES = {"db", "redis", "rabbitmq", "backend", "worker", "frontend", "mailpit"}
SECRETS = {"SECRET_KEY": "compose-test-secret", "DB_PASSWORD": "compose-test-password"}
GUNICORN_ONLY = ("GUNICORN_",)  # variables only the backend (gunicorn) needs


@pytest.fixture(scope="module", params=["v1", "v2"])
def implementation(request):
    """Every compose test runs with both Compose generations."""
    return request.param


@pytest.fixture(scope="module")
def config(implementation, tmp_path_factory):
    code, parsed, stderr = compose_config(example_env(**SECRETS), tmp_path_factory.mktemp("compose"), implementation)
    assert code == 0 and parsed, stderr
    return parsed


@pytest.fixture(scope="module")
def services(config):
    return config["services"]


def published(service):
    """{container port: host port} of a service, whichever syntax Compose printed."""
    ports = {}
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports[int(port["target"])] = int(port["published"])
        else:
            host, _, container = str(port).rpartition(":")
            ports[int(container.split("/")[0])] = int(host.rpartition(":")[2])
    return ports


def healthcheck_command(service):
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_the_seven_services_and_only_nginx_and_the_mail_ui_published(services):
    assert set(services) == SERVICES
    # The shop and the API are both nginx, which buffers requests; gunicorn is never published.
    assert published(services["frontend"]) == {3000: 3000, 5000: 5000}
    assert published(services["mailpit"]) == {8025: 8025}  # the catcher's web UI; its SMTP port stays inside
    for name in SERVICES - {"frontend", "mailpit"}:
        assert not services[name].get("ports"), f"{name} should not be reachable from outside"
    assert environment(services["frontend"])["API_PORT"] == "5000"
    assert environment(services["backend"])["GUNICORN_BIND"] == "0.0.0.0:8000"
    assert [str(port) for port in services["backend"]["expose"]] == ["8000"]


def test_the_backend_believes_one_proxy_and_has_the_rate_limits_on(services):
    env = environment(services["backend"])
    assert env["TRUSTED_PROXIES"] == "1"
    assert env["ORDER_RATE_LIMIT"] == "10/minute;60/hour"
    assert env["LOGIN_RATE_LIMIT"] and env["LOGIN_CLIENT_RATE_LIMIT"] and env["API_KEY_RATE_LIMIT"]
    assert env["LOGIN_ACCOUNT_RATE_LIMIT"] == "20/15 minutes;40/hour;100/day"
    assert env["PASSWORD_CHANGE_RATE_LIMIT"] and env["ORDER_PAGE_RATE_LIMIT"] == "300/minute"


@pytest.mark.parametrize(
    "name, probe",
    [
        ("db", "pg_isready"),
        ("redis", "redis-cli ping"),
        ("rabbitmq", "rabbitmq-diagnostics"),
        ("backend", "http://127.0.0.1:8000/health"),
        ("frontend", "http://127.0.0.1:3000/"),
        ("mailpit", "readyz"),
    ],
)
def test_every_long_running_service_has_a_healthcheck(services, name, probe):
    assert probe in healthcheck_command(services[name])
    assert not services[name]["healthcheck"].get("disable")


def test_start_order_waits_for_healthy_dependencies(services):
    def conditions(name):
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    healthy = "service_healthy"
    assert conditions("backend") == {"db": healthy, "redis": healthy, "rabbitmq": healthy}
    # The worker starts after the backend has migrated the database (backend healthy).
    assert conditions("worker")["backend"] == healthy
    assert conditions("worker")["rabbitmq"] == healthy
    assert conditions("frontend") == {"backend": healthy}


def test_worker_can_be_scaled_and_is_restarted(services):
    worker = services["worker"]
    assert worker["command"] == ["python", "-m", "worker"]
    for fixed in ("container_name", "ports", "hostname"):
        assert fixed not in worker, f"worker has {fixed}: `--scale worker=3` would clash"
    assert worker["restart"] in ("always", "unless-stopped", "on-failure")


def test_backend_and_worker_share_one_image(services):
    backend, worker = services["backend"], services["worker"]
    assert backend["image"] == worker["image"]
    assert backend["build"]["target"] == worker["build"]["target"] == "app"
    assert services["frontend"]["build"]["target"] == "frontend"
    # The backend's command is the entrypoint script (also the image's CMD): migrate, seed,
    # exec gunicorn.
    assert backend["command"] == ["deploy/backend-entrypoint.sh"]
    cmd = [line for line in dockerfile_stages()["app"] if line.upper().startswith("CMD ")][-1]
    assert json.loads(cmd[4:]) == backend["command"]
    script = (ROOT / "deploy" / "backend-entrypoint.sh").read_text()
    assert script.index("db upgrade") < script.index(" seed") < script.index("exec gunicorn")


def test_app_containers_reach_the_services_by_name(services):
    for name in ("backend", "worker"):
        env = environment(services[name])
        assert env["DB_HOST"] == "db"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["RABBITMQ_URL"] == "amqp://guest:guest@rabbitmq:5672/"
        assert env["SECRET_KEY"] == SECRETS["SECRET_KEY"]
        assert env["DB_PASSWORD"] == SECRETS["DB_PASSWORD"]
    db_env = environment(services["db"])
    app_env = environment(services["backend"])
    assert (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"], db_env["POSTGRES_DB"]) == (
        app_env["DB_USER"],
        app_env["DB_PASSWORD"],
        app_env["DB_NAME"],
    )
    assert environment(services["frontend"])["BACKEND_ADDR"] == "backend:8000"


def test_every_variable_of_env_example_reaches_the_app(services):
    backend, worker = environment(services["backend"]), environment(services["worker"])
    for name in example_env():
        assert name in backend, f"{name} from .env.example is not passed to the backend"
        if not name.startswith(GUNICORN_ONLY):
            assert name in worker, f"{name} from .env.example is not passed to the worker"


def test_env_file_values_win_over_the_compose_defaults(tmp_path, implementation):
    code, parsed, stderr = compose_config(
        example_env(**SECRETS, DB_NAME="shop", ORDERS_QUEUE="q2", GUNICORN_WORKERS="3"), tmp_path, implementation
    )
    assert code == 0 and parsed, stderr
    backend = environment(parsed["services"]["backend"])
    assert (backend["DB_NAME"], backend["ORDERS_QUEUE"], backend["GUNICORN_WORKERS"]) == ("shop", "q2", "3")
    assert environment(parsed["services"]["db"])["POSTGRES_DB"] == "shop"


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_secrets_have_no_default(tmp_path, implementation, secret):
    _, parsed, stderr = compose_config(example_env(**{**SECRETS, secret: ""}), tmp_path, implementation)
    # Compose v2.40 prints the error but exits 0 from `config`; either way no config comes out.
    assert not parsed
    assert f"set {secret} in .env" in stderr


def test_data_lives_in_named_volumes(config, services):
    assert {"db-data", "rabbitmq-data"} <= set(config["volumes"])
    assert any(str(v).startswith("db-data:/var/lib/postgresql/data") for v in _volumes(services["db"]))
    assert any(str(v).startswith("rabbitmq-data:/var/lib/rabbitmq") for v in _volumes(services["rabbitmq"]))
    # RabbitMQ names its data folder after the host name: it must survive a new container.
    assert services["rabbitmq"]["hostname"] == "rabbitmq"


def test_pictures_live_on_a_named_volume_the_backend_writes_and_the_frontend_only_reads(config, services):
    assert "uploads" in config["volumes"]
    folder = environment(services["backend"])["UPLOAD_FOLDER"]
    assert ("uploads", folder, False) in _mounts(services["backend"])
    assert ("uploads", stage_env("frontend")["UPLOAD_ROOT"], True) in _mounts(services["frontend"])
    assert not any(source == "uploads" for source, _, _ in _mounts(services["worker"]))


def _mounts(service):
    """(source, target, read only) of each volume, whichever syntax Compose printed."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts.append((volume["source"], volume["target"], bool(volume.get("read_only"))))
        else:
            source, target, *mode = str(volume).split(":")
            mounts.append((source, target, "ro" in mode))
    return mounts


def test_the_app_image_leaves_the_pictures_folder_to_the_apps_user():
    app = "\n".join(dockerfile_stages()["app"])
    assert "/srv/uploads" in app and "chown bakery:bakery instance /srv/uploads" in app


def _volumes(service):
    return [f"{v['source']}:{v['target']}" if isinstance(v, dict) else v for v in service.get("volumes", [])]


# --- Dockerfile ------------------------------------------------------------------------

DOCKERFILES = sorted(
    p for p in ROOT.rglob("Dockerfile*") if not {".venv", "node_modules", ".git"} & set(p.relative_to(ROOT).parts)
)


def test_there_is_a_dockerfile():
    assert DOCKERFILES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_passes(dockerfile):
    result = subprocess.run([tool("hadolint"), str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_htmx_in_node_and_runs_slim_as_non_root():
    stages = dockerfile_stages()
    assert list(stages)[-1] == "app", "`docker build .` should give the app image"
    assert stages["assets"][0].split()[1].startswith("node:")
    assert any("htmx.org/dist/htmx.min.js" in line for line in stages["assets"])
    app = "\n".join(stages["app"])
    assert "-slim" in stages["app"][0]
    assert "COPY --from=assets" in app and "COPY --from=builder /opt/venv" in app
    user = re.findall(r"^USER\s+(\S+)", app, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    # No package manager runs in the final image: no compilers, no caches.
    assert not re.search(r"apt-get|apk add|gcc|build-essential", app)
    frontend = "\n".join(stages["frontend"])
    assert "/etc/nginx/templates/" in frontend and "COPY --from=assets" in frontend


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = set(dockerignore_patterns())
    assert {".env", ".git", ".venv", "node_modules", "instance"} <= ignored


# --- nginx -----------------------------------------------------------------------------


def test_nginx_accepts_the_frontend_config(tmp_path):
    nginx = tool("nginx")
    server_conf = tmp_path / "bakery.conf"
    server_conf.write_text(
        render_nginx_template(
            {
                "BACKEND_ADDR": "127.0.0.1:8000",
                "FRONTEND_PORT": "3000",
                "API_PORT": "5000",
                "STATIC_ROOT": ROOT / "app",
                "UPLOAD_ROOT": tmp_path / "uploads",
            }
        )
    )
    (tmp_path / "nginx.conf").write_text(native_nginx_conf(tmp_path, server_conf))
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_nginx_serves_stored_pictures_from_the_volume_with_a_year_of_cache(tmp_path):
    nginx = tool("nginx")
    uploads = tmp_path / "uploads"
    (uploads / "products").mkdir(parents=True)
    (uploads / "products" / f"{'a' * 20}-400.webp").write_bytes(b"RIFF....WEBP")
    (uploads / "secret.txt").write_text("not for the web")
    port, api_port = free_port(), free_port()
    server_conf = tmp_path / "bakery.conf"
    server_conf.write_text(
        render_nginx_template(
            {
                "BACKEND_ADDR": "127.0.0.1:9",
                "FRONTEND_PORT": port,
                "API_PORT": api_port,
                "STATIC_ROOT": ROOT / "app",
                "UPLOAD_ROOT": uploads,
            }
        )
    )
    (tmp_path / "nginx.conf").write_text(native_nginx_conf(tmp_path, server_conf))
    server = subprocess.Popen(native_nginx_command(nginx, tmp_path))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                picture = urllib.request.urlopen(f"{base}/uploads/products/{'a' * 20}-400.webp", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert picture.status == 200 and picture.headers["Content-Type"] == "image/webp"
        assert picture.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert picture.headers["X-Content-Type-Options"] == "nosniff"
        for path in ("/uploads/secret.txt", "/uploads/products/../secret.txt", "/uploads/products/x.webp", "/uploads/"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=2)
            assert refused.value.code in (400, 404), path
    finally:
        server.terminate()
        server.wait(10)


def test_dockerfile_env_fills_every_nginx_template_variable():
    template = (ROOT / "deploy" / "nginx" / "bakery.conf.template").read_text()
    used = set(re.findall(r"\$\{(\w+)\}", template))
    assert used and used <= set(stage_env("frontend")), used


# --- gunicorn --------------------------------------------------------------------------


def gunicorn_settings(monkeypatch, **env):
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_WORKER_CLASS", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults_follow_the_cpu_count(monkeypatch):
    settings = gunicorn_settings(monkeypatch)
    assert settings["worker_class"] == "sync"
    assert settings["workers"] == min(2 * len(os.sched_getaffinity(0)), 8)
    assert settings["threads"] == 1
    assert settings["bind"] == "0.0.0.0:5000"


def test_gunicorn_settings_from_the_environment(monkeypatch):
    settings = gunicorn_settings(
        monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="4", GUNICORN_WORKER_CLASS="gthread"
    )
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (3, 4, "gthread")
    # Compose passes unset variables as empty strings: those mean "the default".
    empty = gunicorn_settings(monkeypatch, GUNICORN_WORKERS="", GUNICORN_WORKER_CLASS="")
    assert empty["worker_class"] == "sync" and empty["workers"] >= 1


def test_every_variable_in_env_example_has_its_comment():
    previous = ""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert previous.startswith("#"), f"no comment right above {line!r}"
        previous = line


def test_backend_and_worker_mail_to_the_catcher_by_default(services):
    for name in ("backend", "worker"):
        env = environment(services[name])
        assert (env["MAIL_SERVER"], env["MAIL_PORT"]) == ("mailpit", "1025")
