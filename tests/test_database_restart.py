"""PostgreSQL restarted while people save sessions to their agendas, on a PostgreSQL server of the test's own
(so that nothing else on the machine loses its database): while it is away the platform answers 503 with
Retry-After, never a 500; once it is back the same app serves writes again by itself; and every save it
acknowledged is in the database."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.app import create_app
from ascc.config import Settings
from ascc.programme.models import AgendaEntry
from tests.conftest import ON_CI
from tests.support.copy_database import copy_rows

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str) -> subprocess.CompletedProcess:
    # PostgreSQL refuses to run as root; the test's own cluster runs as the system's postgres user.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=60)


@pytest.fixture
def private_postgres(free_port: int) -> Iterator[tuple[str, Path]]:
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        if ON_CI:
            pytest.fail("PostgreSQL 15's server programs are required on CI")
        pytest.skip("PostgreSQL 15's server programs are not installed")
    folder = Path(tempfile.mkdtemp(prefix="ascc-pg-"))  # pytest's folders are closed to other users
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    options = f"-p {free_port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_postgres(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"
    )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{free_port}/postgres", data
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


async def _prepare(url: str, demo: Path) -> list[str]:
    """The demo edition (the run's seeded demo, its rows copied), and API tokens of twenty delegates."""
    await asyncio.to_thread(db.upgrade, url)
    await copy_rows(f"sqlite+aiosqlite:///{demo}", url)
    engine = db.create_engine(url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        people = (await session.scalars(select(User).where(User.role == "delegate").limit(20))).all()
        tokens = [
            (await accounts.create_api_token(session, person.id, "restart test"))[0] for person in people
        ]
        await session.commit()
    await engine.dispose()
    return tokens


async def test_a_database_restart_costs_503s_for_seconds_and_no_acknowledged_write(
    private_postgres, demo_template
) -> None:
    url, data = private_postgres
    tokens = await _prepare(url, demo_template.path)
    settings = Settings(
        database_url=url, auth_rate_limit_per_minute=100_000, base_url="http://testserver.local"
    )
    acknowledged: set[tuple[int, int]] = set()
    statuses: list[tuple[float, int]] = []
    stop = asyncio.Event()

    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        listed = (await client.get("/api/v1/sessions?per_page=100")).json()["items"]
        session_ids = [item["id"] for item in listed if item["status"] != "cancelled"]

        async def attendee(n: int) -> None:
            me = {"Authorization": f"Bearer {tokens[n]}"}
            user_id = (await client.get("/api/v1/me", headers=me)).json()["id"]
            for session_id in itertools.cycle(session_ids[n % 3 :: 3]):  # saving again answers 200
                if stop.is_set():
                    return
                answer = await client.post(f"/api/v1/me/agenda/{session_id}", headers=me)
                statuses.append((time.monotonic(), answer.status_code))
                if answer.status_code in (200, 201):
                    acknowledged.add((user_id, session_id))
                elif answer.status_code == 503:
                    assert answer.headers["retry-after"] == "5" and answer.json()["error"] == "unavailable"
                await asyncio.sleep(0.02)

        people = [asyncio.create_task(attendee(n)) for n in range(len(tokens))]
        await asyncio.sleep(1.0)
        restarted_at = time.monotonic()
        await asyncio.to_thread(
            # With its log in a file: a server writing to our pipe would keep pg_ctl's output open.
            _as_postgres,
            *(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(data.parent / "log"),
                "-m",
                "fast",
                "-w",
                "restart",
            ),
        )
        back_at = time.monotonic()
        await asyncio.sleep(4.0)
        stop.set()
        await asyncio.gather(*people)

    engine = db.create_engine(url)
    async with async_sessionmaker(engine)() as session:
        stored = set((await session.execute(select(AgendaEntry.user_id, AgendaEntry.session_id))).tuples())
    await engine.dispose()
    after = [code for at, code in statuses if at > back_at + 2]
    assert {code for _, code in statuses} <= {200, 201, 503}
    assert any(code == 503 for at, code in statuses if at >= restarted_at)  # the restart was noticed
    assert after and set(after) <= {200, 201}  # and is over without restarting the app
    assert acknowledged <= stored
