"""Background work on the Redis queue, as an organizer sees it: with ASCC_REDIS_URL set, a badge sheet waits
in the queue until an `ascc worker` process (a real subprocess) draws it; the worker stops cleanly on
SIGTERM; the dashboard warns while no worker listens; when Redis does not answer, the web worker draws the sheet itself rather than failing."""

from __future__ import annotations

import asyncio
import os
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.app import create_app
from ascc.db import create_engine
from tests.badges.conftest import PASSWORD, build_badges
from tests.support import needs
from tests.support.live import start_server
from tests.support.pdf import pdf_text
from tests.support.services import private_redis
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form

# A Redis database of its own, and one test process for the module: all of it shares one queue.
QUEUE_REDIS = "redis://127.0.0.1:6379/11"
pytestmark = pytest.mark.xdist_group("redis_jobs")


@pytest.fixture
def redis_settings(make_settings):
    try:
        Redis.from_url(QUEUE_REDIS).flushdb()
    except RedisConnectionError:
        needs.service(False, "Redis is not reachable at 127.0.0.1:6379")
    return make_settings(redis_url=QUEUE_REDIS)


@pytest.fixture
async def organizer(settings) -> None:
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await build_badges(session)
        await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
        )
        await session.commit()
    await engine.dispose()


def start_worker(settings, log: Path) -> BaseProcess:
    """`ascc worker` in a process of its own, forked from one that imported the application already (a new
    interpreter spends 3-4 s of CPU importing it); its output, stdout and stderr, goes to `log`."""
    environment = {
        **os.environ,
        "ASCC_DATABASE_URL": settings.database_url,
        "ASCC_REDIS_URL": settings.redis_url or "",
        "ASCC_BASE_URL": settings.base_url,
    }
    log.write_text("")
    return start_server(["worker", "--concurrency", "2"], environment, log)


def stop_worker(worker: BaseProcess) -> int | None:
    """SIGTERM, as an operator's service manager sends it; the exit code once it has stopped."""
    worker.terminate()
    worker.join(timeout=30)
    return worker.exitcode


async def wait_for_sheet(client, progress_url: str, tries: int = 150) -> str:
    for _ in range(tries):
        page = await client.get(progress_url)
        if 'data-status="done"' in page.text or 'data-status="failed"' in page.text:
            return page.text
        await asyncio.sleep(0.1)
    return page.text


async def test_a_queued_badge_sheet_waits_for_the_worker_process_which_draws_it(
    redis_settings, organizer, tmp_path
) -> None:
    async with AsyncTestClient(app=create_app(redis_settings), base_url="http://testserver.local") as client:
        await sign_in(client, "org@example.org", PASSWORD)
        started = await post_form(client, "/organizer/badges/prints", {"layout": "a6", "category": ""})
        progress_url = started.headers["location"]
        await asyncio.sleep(1.0)
        before_worker = await client.get(progress_url)
        queue_length = Redis.from_url(QUEUE_REDIS).llen("saq:ascc:queued")
        dashboard_before = await client.get("/organizer")

        worker = start_worker(redis_settings, tmp_path / "worker.log")
        try:
            page = await wait_for_sheet(client, progress_url, tries=300)
            pdf = await client.get(progress_url + "/badges.pdf")
            dashboard_after = await client.get("/organizer")
        finally:
            exit_code = stop_worker(worker)
    log = (tmp_path / "worker.log").read_text()
    assert started.status_code == 303
    assert 'data-status="done"' not in before_worker.text and queue_length == 1
    assert 'data-status="done"' in page, log[-2000:]
    assert "5badgesin" in text_of(page).replace(" ", "")
    assert "MariaReyes" in pdf_text(pdf.content).replace(" ", "")
    assert 'data-testid="no-worker"' in dashboard_before.text
    assert 'data-testid="no-worker"' not in dashboard_after.text
    assert exit_code == 0, log[-2000:]
    assert "Traceback" not in log


async def test_without_a_reachable_redis_the_web_worker_draws_the_sheet_itself(
    make_settings, organizer, free_port
) -> None:
    nowhere = make_settings(redis_url=f"redis://127.0.0.1:{free_port}/0")  # nothing listens there
    async with AsyncTestClient(app=create_app(nowhere), base_url="http://testserver.local") as client:
        await sign_in(client, "org@example.org", PASSWORD)
        started = await post_form(client, "/organizer/badges/prints", {"layout": "a4", "category": ""})
        page = await wait_for_sheet(client, started.headers["location"])
    assert started.status_code == 303
    assert 'data-status="done"' in page and "5badgesin" in text_of(page).replace(" ", "")


def test_the_worker_command_explains_that_it_needs_redis(settings, tmp_path) -> None:
    environment = {**os.environ, "ASCC_DATABASE_URL": settings.database_url, "ASCC_REDIS_URL": ""}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    done = start_server(["worker"], environment, out, err)
    done.join(timeout=60)
    stderr = err.read_text()
    assert done.exitcode == 1
    assert "ASCC_REDIS_URL is not set" in stderr and "Traceback" not in stderr


async def listening(worker: BaseProcess, log: Path) -> None:
    """Until the worker says it listens for jobs (up to a minute on a loaded machine), then a moment more for it
    to ask the queue for its first job."""
    for _ in range(600):
        if "listening for background jobs" in log.read_text() or not worker.is_alive():
            break
        await asyncio.sleep(0.1)
    assert worker.is_alive(), log.read_text()[-2000:]
    await asyncio.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def test_the_worker_waits_out_a_redis_outage_quietly_then_draws_the_sheet(
    make_settings, organizer, free_port, tmp_path
) -> None:
    settings = make_settings(redis_url=f"redis://127.0.0.1:{free_port}/0")
    with private_redis(free_port, tmp_path):
        worker = start_worker(settings, tmp_path / "worker.log")
        await listening(worker, tmp_path / "worker.log")
    try:
        before = cpu_seconds(worker.pid)
        await asyncio.sleep(4.0)  # Redis is away
        busy = cpu_seconds(worker.pid) - before
        with private_redis(free_port, tmp_path):
            async with AsyncTestClient(
                app=create_app(settings), base_url="http://testserver.local"
            ) as client:
                await sign_in(client, "org@example.org", PASSWORD)
                started = await post_form(
                    client, "/organizer/badges/prints", {"layout": "a6", "category": ""}
                )
                page = await wait_for_sheet(client, started.headers["location"], tries=300)
    finally:
        stop_worker(worker)
    log = (tmp_path / "worker.log").read_text()
    assert busy < 1.0, f"the worker used {busy:.1f} s of CPU in 4 s without Redis"
    assert 'data-status="done"' in page, log[-2000:]
    assert "Redis is away" in log and "Redis is back" in log
    assert "Traceback" not in log  # housekeeping rounds are skipped quietly meanwhile
