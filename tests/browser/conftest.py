"""A real server (uvicorn, seeded SQLite, a real SMTP sink) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, Mailbox, _free_port
from tests.support import needs
from tests.support.live import start_server, stop_server, wait_until_up

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


ASCC = [sys.executable, "-m", "tests.support.cheap_ascc"]
SEEDED_AT = (
    "2023-11-01T09:00+09:00"  # the demo is seeded once, as before the conference; tests move the clock
)


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ascc seed` once per test process (15 s), copied for each test: every test starts from the same demo."""
    path = tmp_path_factory.mktemp("seeded") / "demo.db"
    env = {**os.environ, "ASCC_DATABASE_URL": f"sqlite+aiosqlite:///{path}", "ASCC_NOW": SEEDED_AT}
    subprocess.run([*ASCC, "seed"], env=env, check=True, cwd=ROOT, capture_output=True)
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


@pytest.fixture
async def page() -> AsyncIterator:
    needs.installed(CHROMIUM is not None, "Chromium (Debian package chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = await browser.new_context(locale="en-US")
        page = await context.new_page()
        page.set_default_timeout(30_000)  # the other test process may be loading both cores meanwhile
        yield page
        await context.close()
        await browser.close()
