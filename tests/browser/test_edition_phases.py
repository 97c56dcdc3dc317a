"""One edition through its year in a real browser, the server's clock moved with ASCC_NOW: before registration
opens, while it is open (a person registers), after it closed (refused with the way on: a late-registration
code made by an organizer), the conference days (Live now), and after (Ended on …, no meeting requests; an
organizer still registers a guest)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.browser.test_registration import fill_registration, make_account, sign_in
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


class Clock:
    """The demo's database served at one moment after another: a new server process for each (the clock of a
    process is its ASCC_NOW)."""

    def __init__(self, database: Path, log: Path) -> None:
        self.url_of_db = f"sqlite+aiosqlite:///{database}"
        self.database, self.log = database, log
        self.server: AbstractContextManager[str] | None = None
        self.url = ""

    @property
    def env(self) -> dict[str, str]:
        import os

        return {**os.environ, "ASCC_DATABASE_URL": self.url_of_db}

    def at(self, now: str) -> str:
        self.stop()
        self.server = live_server(self.url_of_db, self.log, ASCC_NOW=now)
        self.url = self.server.__enter__()
        return self.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.__exit__(None, None, None)
            self.server = None

    def user_id(self, email: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return connection.execute("select id from user_account where email = ?", (email,)).fetchone()[0]


@pytest.fixture
def clock(seeded_demo: Path, tmp_path: Path) -> Iterator[Clock]:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{seeded_demo}{suffix}").exists():
            shutil.copy(f"{seeded_demo}{suffix}", tmp_path / f"phases.db{suffix}")
    moving = Clock(tmp_path / "phases.db", tmp_path / "server.log")
    yield moving
    moving.stop()


async def phase_on_home(page, url: str) -> str:
    await page.goto(url + "/")
    return (await page.inner_text("[data-testid=edition-phase]")).strip()


async def test_an_edition_through_its_phases(clock, page) -> None:
    server = SimpleNamespace(env=clock.env)
    make_account(server, "early.bird@cebu.example.org", "Liza Ramos")
    make_account(server, "late.comer@davao.example.org", "Ramon Cruz")
    make_account(server, "guest.of.honour@makati.example.org", "Abby Binay")

    # August: registration is announced, not open.
    url = clock.at("2023-08-20T10:00+09:00")
    server.url = url
    await page.goto(url + "/lang/en?next=/")
    assert await phase_on_home(page, url) == "Registration opens on 1 September 2023"
    await sign_in(page, server, "early.bird@cebu.example.org")
    await page.goto(url + "/register")
    standing = await page.inner_text("[data-testid=registration-standing]")
    assert "Registration opens on 1 September 2023." in standing
    assert await page.locator("#f-privacy_accepted").count() == 0

    # October: open until 10 November; Liza registers.
    url = server.url = clock.at("2023-10-20T10:00+09:00")
    assert await phase_on_home(page, url) == "Registration open until 10 November 2023"
    await sign_in(page, server, "early.bird@cebu.example.org")
    await page.goto(url + "/register")
    assert "Registration open until 10 November 2023." in await page.inner_text(
        "[data-testid=registration-standing]"
    )
    assert "Press: open until 12 November 2023" in await page.inner_text("[data-testid=category-windows]")
    await fill_registration(page, "Cebu City")
    assert await page.inner_text("[data-testid=status]") == "Confirmed"

    # 12 November: closed. Ramon is refused, with the way on; the organizer makes him a late code; it works.
    url = server.url = clock.at("2023-11-12T10:00+09:00")
    assert await phase_on_home(page, url) == "Registration closed on 10 November 2023"
    await sign_in(page, server, "late.comer@davao.example.org")
    await page.goto(url + "/register")
    assert "late-registration code" in await page.inner_text("[data-testid=registration-standing]")
    await page.check("input[name=mode][value=in_person]")
    await page.fill("#f-organization", "Davao City")
    await page.select_option("#f-country", "PH")
    await page.select_option("select[name^=q_]", "yes")
    await page.check("#f-privacy_accepted")
    await page.click("main button[type=submit]")
    await page.wait_for_selector("#e-code")
    assert "Registration closed on 10 November 2023" in await page.inner_text("#e-code")

    await sign_in(page, server, "organizer@example.org", "ascc-demo")
    await page.goto(url + "/lang/en?next=/organizer/registration-settings")
    assert await page.input_value("#f-registration_closes_on") == "2023-11-10"
    await page.fill("#f-note", "Ramon Cruz, Davao (late)")
    await page.check("#f-late")
    await page.click("form[action='/organizer/registration-settings/codes'] button[type=submit]")
    code = (await page.inner_text("[data-testid=new-code]")).strip()

    await sign_in(page, server, "late.comer@davao.example.org")
    await page.goto(url + "/register")
    await page.fill("#f-code", code)
    await fill_registration(page, "Davao City")
    assert await page.inner_text("[data-testid=status]") == "Confirmed"

    # The conference days.
    url = server.url = clock.at("2023-11-14T10:00+09:00")
    assert await phase_on_home(page, url) == "Live now"

    # December: ended. No meeting requests; the organizer still registers a guest.
    url = server.url = clock.at("2023-12-01T10:00+09:00")
    assert await phase_on_home(page, url) == "Ended on 15 November 2023"
    await sign_in(page, server, "early.bird@cebu.example.org")
    await page.goto(url + "/register")
    assert await page.locator("#f-privacy_accepted").count() == 0
    await page.goto(f"{url}/matching/people/{clock.user_id('exhibitor@example.org')}")
    closed = await page.inner_text("[data-testid=requests-closed]")
    assert "The conference ended on 15 November 2023: no new meeting requests." in closed
    assert await page.locator("text=Send request").count() == 0

    await sign_in(page, server, "organizer@example.org", "ascc-demo")
    await page.goto(url + "/lang/en?next=/organizer/registrations")
    await page.click("text=Register a person")
    await page.fill("#f-email", "guest.of.honour@makati.example.org")
    await page.check("input[name=mode][value=in_person]")
    await page.fill("#f-organization", "Makati City")
    await page.select_option("#f-country", "PH")
    await page.select_option("select[name^=q_]", "yes")
    await page.check("#f-privacy_accepted")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/organizer/registrations\?q="))
    assert "Abby Binay" in await page.inner_text("main table")
