"""A real server (uvicorn, seeded SQLite, a real SMTP sink) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import Mailbox, _free_port
from tests.support import needs
from tests.support.live import run_command, start_server, stop_server, wait_until_up

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    mailbox: Mailbox
    env: dict[str, str]


SEEDED_AT = (
    "2023-11-01T09:00+09:00"  # the demo is seeded once, as before the conference; tests move the clock
)


@pytest.fixture(scope="session")
def seeded_demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ascc seed` once per run (the first test process to ask seeds it, under a lock, for both), copied for
    each test: every test starts from the same demo. It starts from the run's migrated template (migrating
    again would cost seconds) and runs in a fork of the servers' process, which imported the app already."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, under xdist
    path = shared / "browser-demo.db"
    with (shared / "browser-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            building = shared / "browser-demo.building.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), building)
            env = {
                **os.environ,
                "ASCC_DATABASE_URL": f"sqlite+aiosqlite:///{building}",
                "ASCC_NOW": SEEDED_AT,
            }
            run_command(["seed"], env, shared / "browser-demo.seed.log")
            for suffix in ("-wal", "-shm"):  # a WAL left beside it, if the seed did not checkpoint
                if Path(f"{building}{suffix}").exists():
                    Path(f"{building}{suffix}").rename(f"{path}{suffix}")
            building.rename(path)
    return path


@pytest.fixture
def live_server(tmp_path: Path, mailbox: Mailbox, seeded_demo: Path) -> Iterator[LiveServer]:
    port = _free_port()
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{seeded_demo}{suffix}").exists():
            shutil.copy(f"{seeded_demo}{suffix}", tmp_path / f"live.db{suffix}")
    env = {
        **os.environ,
        "ASCC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
        "ASCC_SMTP_URL": mailbox.url,
        "ASCC_BASE_URL": f"http://127.0.0.1:{port}",
        "ASCC_AUTH_RATE_LIMIT": "1000",
    }
    log = tmp_path / "server.log"
    log.write_text("")
    process = start_server(["serve", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
    except RuntimeError as error:
        stop_server(process)
        pytest.fail(str(error))
    yield LiveServer(url=url, mailbox=mailbox, env=env)
    stop_server(process)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator:
    """One Chromium per test process (starting one costs about a second of CPU); each test gets a context of
    its own, so no cookie, storage or service worker passes from one test to the next. The browser tests run
    on the session's event loop for that (tests/conftest.py marks them)."""
    needs.installed(CHROMIUM is not None, "Chromium (Debian package chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser) -> AsyncIterator:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(30_000)  # the other test process may be loading both cores meanwhile
    yield page
    for (
        other
    ) in browser.contexts:  # this one and any a test opened beside it (a calendar app, a second person)
        await other.close()
