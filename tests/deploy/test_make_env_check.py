"""`make run` beside a .env made for Docker Compose stops with one line instead of a traceback.

`cp .env.example .env` is the first step of Docker Compose; that file names the Compose host
names (db, redis, rabbitmq), and wsgi.py, the worker and the flask command all read .env. The
Makefile refuses `make run`, `make db` and `make staff` while .env names them.
"""

import os
import shutil
import subprocess

import pytest

from tests.compose_tools import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def project(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "requirements-dev.txt", "package.json"):
        (tmp_path / name).touch()
    return tmp_path


def make(project, *goals):
    # Without the outer make's variables (the suite may run under `make test`), make prints no
    # "Entering directory" lines of its own.
    env = {name: value for name, value in os.environ.items() if name not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(["make", "-n", *goals], cwd=project, capture_output=True, text=True, timeout=30, env=env)


def test_without_a_env_make_run_goes_ahead(project):
    assert make(project, "run").returncode == 0


@pytest.mark.parametrize("goal", ["run", "db", "staff user=ana"])
def test_the_compose_env_stops_make_run_with_one_line(project, goal):
    shutil.copy(ROOT / ".env.example", project / ".env")
    result = make(project, *goal.split())
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ".env is for Docker Compose" in lines[0] and "docker compose up" in lines[0]


@pytest.mark.parametrize(
    "line",
    [
        "DB_HOST=db",
        'DB_HOST="db"',
        "export DB_HOST=db",
        "DATABASE_URL=postgresql://bakery:secret@db:5432/bakery",
        "REDIS_URL=redis://redis:6379/0",
        "RABBITMQ_URL=amqp://guest:guest@rabbitmq:5672/",
    ],
)
def test_each_compose_host_name_is_noticed(project, line):
    (project / ".env").write_text(f"# a comment\n{line}\n")
    assert make(project, "run").returncode != 0


def test_a_env_pointing_at_this_machine_is_fine(project):
    text = (ROOT / ".env.example").read_text()
    text = (
        text.replace("DB_HOST=db", "DB_HOST=127.0.0.1")
        .replace("//redis:", "//127.0.0.1:")
        .replace("@rabbitmq:", "@127.0.0.1:")
    )
    (project / ".env").write_text(text)
    assert make(project, "run").returncode == 0
    (project / ".env").write_text("DB_HOST=dbserver.example\nREDIS_URL=redis://redis-1.example:6379/0\n")
    assert make(project, "run").returncode == 0


def test_other_targets_ignore_the_env(project):
    shutil.copy(ROOT / ".env.example", project / ".env")
    assert make(project, "help").returncode == 0
