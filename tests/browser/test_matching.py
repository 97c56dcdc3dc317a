"""Business matching in a real browser: a city official requests a meeting with a company from a
recommendation, the company accepts, the organizer runs "Schedule all" and watches it finish, and both see
the same time and table on their pages."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.test_marketplace import sign_in
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def morning_of_day_three(monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo edition lies in 2023: on its last morning the afternoon's matching slots are still ahead.
    monkeypatch.setenv("ASCC_NOW", "2023-11-15T10:00+09:00")


async def test_request_accept_schedule_all_same_table(morning_of_day_three, live_server, page) -> None:
    url = live_server.url
    people = json.loads((ROOT / "seed" / "participants.json").read_text("utf-8"))["participants"]
    email_of = {p["name_latin"]: p["email"] for p in people}

    await sign_in(page, url, "delegate@example.org", "/matching")
    first = page.locator("[data-testid=recommendations] li").first
    assert "Why:" in await first.locator("[data-testid=reason]").inner_text()
    company_name = await first.locator("h3 a").inner_text()
    await first.get_by_role("link", name="Request a meeting").click()
    await page.fill("#f-message", "Septage dewatering for Cebu: could we talk? 汚泥の件で")
    await page.check("input[name=priority][value=must]")
    await page.click("text=Send request")
    await page.wait_for_url(re.compile(r".*/matching/meetings/\d+$"))
    meeting_url = page.url
    assert "Requested · Must meet" in await page.locator("[data-testid=status]").inner_text()

    await sign_in(page, url, email_of[company_name], "/matching")
    incoming = page.locator("[data-testid=incoming]")
    await incoming.get_by_role("link", name=re.compile("Maria Cristina Reyes")).click()
    await page.wait_for_url(meeting_url)
    assert "could we talk" in await page.locator("[data-testid=message]").inner_text()
    await page.click("[data-testid=accept]")  # no time picked: the organizers' run finds the best one
    await page.wait_for_url(meeting_url)
    assert "Accepted" in await page.locator("[data-testid=status]").inner_text()

    await sign_in(page, url, "organizer@example.org", "/organizer/matching/")
    capacity = await page.locator("[data-testid=capacity]").inner_text()
    assert "accepted meetings wait for a time" in capacity
    await page.click("[data-testid=schedule-all]")
    result = page.locator("[data-testid=run-result]")  # htmx polls the run's box until it is done
    await result.wait_for(timeout=60_000)
    assert "Proven optimal." in await result.inner_text()

    places = []
    for email in ("delegate@example.org", email_of[company_name]):
        await sign_in(page, url, email, meeting_url.removeprefix(url))
        assert "Scheduled" in await page.locator("[data-testid=status]").inner_text()
        places.append(
            (
                await page.locator("[data-testid=meeting-when]").inner_text(),
                await page.locator("[data-testid=meeting-place]").inner_text(),
            )
        )
    assert places[0] == places[1]
    assert re.search(r"Wednesday 15 November 2023, 1[3-5]:[03]0", places[0][0])
    assert re.search(r"(Table \d+, Hall B|Online room)", places[0][1])
