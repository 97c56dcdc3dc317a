"""Backup and restore as an operator does them with `ascc db backup` / `ascc db restore`, on SQLite (also
while the platform writes) and on PostgreSQL: what was there at the backup comes back, what came after goes."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts.models import User
from ascc.cli import main
from tests.factories import make_user
from tests.support import needs


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


async def _people(url: str) -> set[str]:
    engine = db.create_engine(url)
    async with async_sessionmaker(engine)() as session:
        emails = set(await session.scalars(select(User.email)))
    await engine.dispose()
    return emails


async def _add(url: str, email: str) -> None:
    engine = db.create_engine(url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await make_user(session, email, name="Nguyễn Thị Lan")
    await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_backup_then_restore_brings_back_what_was_there(backend, request, tmp_path, monkeypatch) -> None:
    if backend == "postgres":
        needs.installed(shutil.which("pg_dump") is not None, "pg_dump (Debian package postgresql-client)")
    url = request.getfixturevalue(f"{backend}_url")
    monkeypatch.setenv("ASCC_DATABASE_URL", url)
    asyncio.run(_add(url, "before@example.org"))
    target = tmp_path / "backups" / "ascc.backup"
    assert "backup written to" in run("db", "backup", str(target))
    asyncio.run(_add(url, "after@example.org"))
    assert {"before@example.org", "after@example.org"} <= asyncio.run(_people(url))
    run("db", "restore", str(target), "--yes")
    people = asyncio.run(_people(url))
    assert "before@example.org" in people and "after@example.org" not in people


def test_a_backup_never_overwrites_and_a_bad_file_is_refused(sqlite_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_DATABASE_URL", sqlite_url)
    asyncio.run(_add(sqlite_url, "kept@example.org"))
    target = tmp_path / "one.backup"
    run("db", "backup", str(target))
    again = CliRunner().invoke(main, ["db", "backup", str(target)])
    assert again.exit_code != 0 and "exists" in again.output
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"not a database" * 100)
    refused = CliRunner().invoke(main, ["db", "restore", str(garbage), "--yes"])
    assert refused.exit_code != 0 and "not a sound SQLite database" in refused.output
    assert asyncio.run(_people(sqlite_url)) == {"kept@example.org"}  # nothing was replaced


async def test_sqlite_backup_is_consistent_while_the_platform_writes(sqlite_url, tmp_path) -> None:
    from ascc.backup import backup

    engine = db.create_engine(sqlite_url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    stop = asyncio.Event()
    first_written = asyncio.Event()

    async def writer() -> None:
        n = 0
        while not stop.is_set():
            async with maker() as session:
                await make_user(session, f"busy{n}@example.org")
            first_written.set()
            n += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    await asyncio.wait_for(first_written.wait(), timeout=60)  # a slow machine hashes passwords slowly
    target = tmp_path / "live.backup"
    await asyncio.to_thread(backup, sqlite_url, target)
    stop.set()
    await task
    await engine.dispose()
    copy = f"sqlite+aiosqlite:///{target}"
    engine = db.create_engine(copy)
    async with async_sessionmaker(engine)() as session:
        count = await session.scalar(select(func.count(User.id)))
    await engine.dispose()
    assert count and count > 0  # a sound database with the rows committed before the copy
    assert Path(target).stat().st_size > 0
