"""The gunicorn settings shared by the bare-Flask baseline and the app, from one place.

With a gunicorn.conf.py in the project root, both servers load it (it reads GUNICORN_*
from the environment); without one, DEFAULT_FLAGS apply. `--gunicorn "..."` flags come last
and win, as on gunicorn's own command line.
"""

import os
import runpy
import shlex
from dataclasses import dataclass
from pathlib import Path

from gunicorn.config import Config

CONF_FILE = "gunicorn.conf.py"
DEFAULT_FLAGS = "--workers {cores} --worker-class gthread --threads 8"


@dataclass(frozen=True)
class GunicornSettings:
    """Flags passed to every gunicorn the benchmark starts, and what they amount to."""

    flags: tuple
    source: str
    workers: int
    worker_class: str
    threads: int

    def describe(self):
        """One line for the report."""
        return (
            f"{self.workers} workers, {self.worker_class}, {self.threads} threads "
            f"({self.source}: {' '.join(self.flags)})"
        )


def resolve(root, override="", cores=None):
    """The settings for this run: the project's config file or the defaults, then `override`."""
    conf = Path(root) / CONF_FILE
    if conf.exists():
        flags, source = ["--config", str(conf)], f"{CONF_FILE} with GUNICORN_* from the environment"
    else:
        flags, source = shlex.split(DEFAULT_FLAGS.format(cores=cores or os.cpu_count())), "defaults"
    if override:
        flags, source = flags + shlex.split(override), source + " + --gunicorn"
    config = effective_config(flags, conf if conf.exists() else None)
    return GunicornSettings(tuple(flags), source, config.workers, config.worker_class_str, config.threads)


def effective_config(flags, conf=None):
    """gunicorn's own Config after the config file and then the flags, as gunicorn itself does."""
    config = Config()
    if conf is not None:
        for name, value in runpy.run_path(str(conf)).items():
            if name in config.settings:
                config.set(name, value)
    parsed = config.parser().parse_args([*flags, "app:app"])
    for name, value in vars(parsed).items():
        if value is not None and name in config.settings and name != "config":
            config.set(name, value)
    return config


def command(python, settings, app_uri, port):
    """argv for gunicorn serving `app_uri` on 127.0.0.1:`port` with these settings."""
    return [python, "-m", "gunicorn", *settings.flags, "--bind", f"127.0.0.1:{port}", app_uri]
