"""Keep the embedded default's files to the app's own user: instance/ (the secret key, the SQLite
database, uploads) at 0700 and the database file at 0600, even when it was made before with 0644."""

import os
from pathlib import Path

from sqlalchemy.engine import make_url


def keep_private(instance_path, database_uri):
    os.makedirs(instance_path, exist_ok=True)
    os.chmod(instance_path, 0o700)
    path = sqlite_file(database_uri)
    # A folder that does not exist stays so: SQLite then fails to open it, as it should.
    if path is None or not path.parent.is_dir():
        return
    # Made here before SQLite opens it, so it never exists readable by others; SQLite gives
    # its journal and WAL files the database file's mode.
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def sqlite_file(database_uri):
    """The SQLite database's file, or None (PostgreSQL, or SQLite in memory)."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)
