"""Settings are read once, in load_config; overrides come before what is derived from them."""

import flask
import pytest

from app import create_app
from app.config import load_config, with_installed_driver

POSTGRES = "postgresql+psycopg2://bakery@db.invalid:5432/bakery"


def test_a_given_secret_key_leaves_the_instance_folder_alone(tmp_path):
    assert load_config(tmp_path, env={"SECRET_KEY": "from-env"})["SECRET_KEY"] == "from-env"
    assert load_config(tmp_path, env={}, overrides={"SECRET_KEY": "from-overrides"})["SECRET_KEY"] == "from-overrides"
    assert not (tmp_path / "secret_key").exists()


def test_create_app_with_a_secret_key_in_overrides_writes_no_key_file(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app({**settings, "SECRET_KEY": "given-by-a-test"})
    try:
        assert app.instance_path == str(tmp_path)
        assert app.config["SECRET_KEY"] == "given-by-a-test"
        assert not (tmp_path / "secret_key").exists()
    finally:
        app.extensions["order_queue"].stop()


def test_without_a_key_one_is_kept_in_the_instance_folder(tmp_path):
    first = load_config(tmp_path, env={})["SECRET_KEY"]
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert load_config(tmp_path, env={})["SECRET_KEY"] == first


@pytest.mark.parametrize(
    "written",
    ["postgres://bakery@db.invalid:5432/bakery", "postgresql://bakery@db.invalid:5432/bakery", POSTGRES],
)
def test_a_postgres_url_as_hosts_write_it_uses_the_installed_driver(tmp_path, written):
    config = load_config(tmp_path, env={"DATABASE_URL": written, "SECRET_KEY": "k"})
    assert config["SQLALCHEMY_DATABASE_URI"] == POSTGRES


def test_other_database_urls_are_left_as_written():
    assert with_installed_driver("sqlite:///bakery.db") == "sqlite:///bakery.db"


def test_pool_sizes_and_log_level_come_from_the_environment(tmp_path):
    config = load_config(
        tmp_path,
        env={
            "DATABASE_URL": POSTGRES,
            "DB_POOL_SIZE": "3",
            "DB_MAX_OVERFLOW": "7",
            "LOG_LEVEL": "warning",
            "SECRET_KEY": "k",
        },
    )
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 3
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["max_overflow"] == 7
    assert config["LOG_LEVEL"] == "WARNING"


def test_overrides_change_the_derived_settings(tmp_path):
    config = load_config(
        tmp_path,
        env={"SECRET_KEY": "k"},
        overrides={
            "SQLALCHEMY_DATABASE_URI": POSTGRES,
            "DB_POOL_SIZE": 2,
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "redis://127.0.0.1:6379/3",
        },
    )
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 2
    assert "statement_timeout" in config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    assert config["CACHE_REDIS_URL"].startswith("redis://127.0.0.1:6379/3?")
    assert "socket_timeout=0.25" in config["CACHE_REDIS_URL"]


def test_engine_options_given_as_an_override_win(tmp_path):
    given = {"connect_args": {"timeout": 1}}
    config = load_config(tmp_path, env={"SECRET_KEY": "k"}, overrides={"SQLALCHEMY_ENGINE_OPTIONS": given})
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == given
