"""Every setting is documented once: each variable the code reads from the environment is in
.env.example and in the one table of docs/configuration.md, and neither names one it does not read.

The code's settings are the names `load_config` and its helpers read in app/config.py
(`env.get("NAME"...)`, `env["NAME"]`) and the ones gunicorn.conf.py reads (`_env("NAME"...)`).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _string_arg(node):
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def names_read(path, reader):
    """Names read as env.get("NAME"), env["NAME"] (reader "env") or _env("NAME") (reader "_env")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Name)
                and func.value.id == reader
            ) or (isinstance(func, ast.Name) and func.id == reader):
                name = _string_arg(node)
                if name and NAME.match(name):
                    names.add(name)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == reader:
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and NAME.match(key.value):
                names.add(key.value)
    return names


def code_settings():
    return names_read(ROOT / "app" / "config.py", "env") | names_read(ROOT / "gunicorn.conf.py", "_env")


def env_example_settings():
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def documented_settings():
    """The backticked names in the first column of the table rows in docs/configuration.md."""
    names = set()
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            names.update(n for n in re.findall(r"`([^`]+)`", cells[1]) if NAME.match(n))
    return names


def test_the_parser_finds_settings_read_in_every_way():
    settings = code_settings()
    assert {"DATABASE_URL", "DB_HOST", "DB_PASSWORD"} <= settings  # database_url(): env.get and env[...]
    assert {"REDIS_URL", "CACHE_KEY_PREFIX"} <= settings  # cache_settings()
    assert {"SECRET_KEY", "MAX_ITEM_QUANTITY", "UPLOAD_FOLDER", "BAKERY_HOURS"} <= settings  # load_config()
    assert {"GUNICORN_WORKERS", "GUNICORN_BIND"} <= settings  # gunicorn.conf.py


def test_every_setting_is_in_env_example():
    missing = code_settings() - env_example_settings()
    assert not missing, f"read by the code but not in .env.example: {sorted(missing)}"


def test_env_example_names_only_settings_the_code_reads():
    unknown = env_example_settings() - code_settings()
    assert not unknown, f"in .env.example but read by no code: {sorted(unknown)}"


def test_every_setting_is_in_the_configuration_table():
    missing = code_settings() - documented_settings()
    assert not missing, f"read by the code but not in docs/configuration.md: {sorted(missing)}"


def test_the_configuration_table_names_only_settings_the_code_reads():
    unknown = documented_settings() - code_settings()
    assert not unknown, f"in docs/configuration.md but read by no code: {sorted(unknown)}"


def test_the_readme_has_no_settings_table_of_its_own():
    readme = (ROOT / "README.md").read_text()
    assert "docs/configuration.md" in readme
    assert "| `DB_POOL_SIZE`" not in readme and "| variable |" not in readme
