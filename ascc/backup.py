"""Backup and restore of the database, for `ascc db backup` and `ascc db restore`.

SQLite: the online backup API copies a consistent snapshot page by page while the platform keeps serving
(readers and writers go on; a write during the copy makes SQLite restart the step, never a torn file).
PostgreSQL: `pg_dump --format=custom` (a consistent snapshot in one transaction) and `pg_restore --clean`,
from the PostgreSQL client tools (Debian: postgresql-client), with the address taken from the settings.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """What went wrong, in words an operator can act on."""


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg(database_url: str) -> tuple[list[str], dict[str, str]]:
    """The connection options for the client tools; the password goes in the environment, not argv."""
    url = make_url(database_url)
    options = [
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--dbname",
        url.database or "",
    ]
    if url.username:
        options += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return options, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def backup(database_url: str, target: Path) -> int:
    """Write a backup of the database to `target` (refused if it exists); returns its size in bytes."""
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        source = _sqlite_path(database_url)
        if not source.exists():
            raise BackupError(f"{source} does not exist")
        live, copy = sqlite3.connect(source), sqlite3.connect(target)
        try:
            live.backup(copy, pages=1024)  # in steps, so writers are never held up for long
        finally:
            copy.close()
            live.close()
    else:
        options, env = _pg(database_url)
        done = subprocess.run(  # noqa: S603 (fixed tool, options from the settings)
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *options],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return target.stat().st_size


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup. Stop the platform first: the restore is not a merge."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if database_url.startswith("sqlite"):
        saved = sqlite3.connect(source)
        try:
            try:
                sound = saved.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError:
                sound = False
            if not sound:
                raise BackupError(f"{source} is not a sound SQLite database")
            live = sqlite3.connect(_sqlite_path(database_url))
            try:
                saved.backup(live)
            finally:
                live.close()
        finally:
            saved.close()
    else:
        options, env = _pg(database_url)
        done = subprocess.run(  # noqa: S603
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *options,
                str(source),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
