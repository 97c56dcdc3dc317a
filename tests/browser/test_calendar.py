"""Calendars in a real browser: the delegate goes from their agenda to their calendar feed, the feed (fetched
as a calendar app would) holds their sessions, tour and meetings; a new address stops the old one at once;
moving a meeting on its page sends both parties an updated invitation by mail."""

from __future__ import annotations

import re

import icalendar
import pytest

from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def conference_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")


async def test_subscribe_rotate_and_move_a_meeting(conference_morning, live_server, page) -> None:
    url = live_server.url
    await sign_in(page, url, "delegate@example.org", "/my-agenda")
    await page.click("[data-testid=calendar-link]")
    await page.wait_for_url(re.compile(r".*/calendar$"))
    feed_url = await page.input_value("[data-testid=feed-url]")
    webcal = await page.get_attribute("[data-testid=webcal-link]", "href")
    assert webcal == feed_url.replace("http://", "webcal://")

    calendar_app = await page.context.browser.new_context()  # no cookies, like a calendar app
    feed = await calendar_app.request.get(feed_url)
    assert feed.status == 200
    events = icalendar.Calendar.from_ical(await feed.body()).walk("VEVENT")
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any(s.startswith("Keynote") for s in summaries)
    assert any(s.startswith("Site visit B") for s in summaries)
    assert sum(s.startswith("Business meeting") for s in summaries) >= 1

    await page.click("[data-testid=rotate]")
    await page.locator("[data-testid=rotated]").wait_for()
    new_url = await page.input_value("[data-testid=feed-url]")
    assert new_url != feed_url
    assert (await calendar_app.request.get(feed_url)).status == 404
    assert (await calendar_app.request.get(new_url)).status == 200
    await calendar_app.close()

    # The last business meeting (on the last day; earlier ones of the demo are already held), moved.
    await page.locator("[data-testid=feed-items] a[href*='/matching/meetings/']").last.click()
    before = await page.locator("[data-testid=meeting-when]").inner_text()
    live_server.mailbox.messages.clear()
    await page.locator("[data-testid=move] select").select_option(index=0)
    await page.locator("[data-testid=move] button").click()
    await page.wait_for_load_state()
    after = await page.locator("[data-testid=meeting-when]").inner_text()
    assert after != before
    for _ in range(100):  # the outbox sends in the background
        moved = [m for m in live_server.mailbox.messages if "Meeting moved" in str(m["Subject"])]
        if len(moved) == 2:
            break
        await page.wait_for_timeout(100)
    assert len(moved) == 2
    for message in moved:
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "REQUEST"
        event = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
        assert int(event["SEQUENCE"]) > 0
