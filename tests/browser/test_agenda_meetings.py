"""My agenda in a real browser: a delegate with a business meeting on the last afternoon saves a session at the
same time, and the agenda shows the meeting among the sessions, both marked as a clash."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process

SESSION = "Thematic session 5: Water for growing cities"  # 13:30-15:00 on 15 November


@pytest.fixture
def last_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-15T10:00+09:00")


def _someone_meeting_at_half_past_one(live_server) -> tuple[str, int]:
    """A demo participant with a scheduled meeting at 13:30 on 15 November (read from the server's database)."""
    path = live_server.env["ASCC_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "select u.email, m.id from meeting m join user_account u on u.id = m.requester_id "
            "join matching_slot s on s.id = m.slot_id "
            "where m.status = 'scheduled' and s.starts_at like '2023-11-15 04:30%' order by m.id limit 1"
        ).fetchone()
    assert row, "the demo schedules meetings on the last afternoon"
    return row[0], row[1]


async def test_a_meeting_and_a_session_at_the_same_time_clash_on_my_agenda(
    last_morning, live_server, page
) -> None:
    url = live_server.url
    email, meeting_id = _someone_meeting_at_half_past_one(live_server)
    await sign_in(page, url, email, "/my-agenda")
    meeting = page.locator(f"li[data-meeting-id='{meeting_id}']")
    assert re.search(r"13:30–13:55", await meeting.inner_text())
    assert "clash" not in (await meeting.get_attribute("class") or "")

    await page.goto(url + "/agenda?day=2023-11-15")
    card = page.locator("li.session-card", has_text=SESSION)
    await card.locator("button:has-text('Add to my agenda')").click()
    await card.locator("button:has-text('In my agenda')").wait_for()

    await page.goto(url + "/my-agenda")
    assert "overlap in time" in await page.locator("[data-testid=clash-warning]").inner_text()
    assert "clash" in (await meeting.get_attribute("class") or "")
    assert "Business meeting with" in await meeting.inner_text()
    assert await page.locator("li.session-card.clash", has_text=SESSION).count() == 1
    # The meeting's link leads to its page.
    await meeting.get_by_role("link").click()
    await page.wait_for_url(re.compile(rf".*/matching/meetings/{meeting_id}$"))
