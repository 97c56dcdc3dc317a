"""The year-round network in a real browser, months after the demo edition: a member finds another in the
directory by a Vietnamese search (applied in place), proposes two times for an online meeting, and the
other member gets the request by mail and accepts one of the times."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def between_editions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2024-03-01T09:00+09:00")


async def test_member_finds_another_and_requests_a_meeting(between_editions, live_server, page) -> None:
    url = live_server.url
    await sign_in(page, url, "delegate@example.org", "/network")
    assert "12 members" in await page.locator("[data-testid=member-count]").inner_text()
    await page.fill("#f-q", "chống ngập")  # typed: htmx swaps the results in place
    await page.locator(
        "[data-testid=member-count]", has_text=re.compile(r"^1 member$")
    ).wait_for()  # (CSP: no eval)
    assert "q=" in page.url  # the search is in the address, shareable
    await page.locator("[data-testid=member] h2 a").click()
    await page.wait_for_url(re.compile(r".*/network/members/\d+$"))
    assert "Le Quang Vinh" in await page.locator("h1").inner_text()

    await page.fill("#f-slot_1", "2024-02-20T10:00")  # in the past: refused, nothing sent
    await page.click("text=Send the request")
    assert "This time has passed" in await page.locator("#e-slot_1").inner_text()
    await page.fill("#f-slot_1", "2024-03-05T10:00")
    await page.fill("#f-slot_2", "2024-03-06T14:30")
    await page.fill("#f-message", "Drainage and flood control: could we compare notes? 排水の件で")
    await page.click("text=Send the request")
    await page.wait_for_url(re.compile(r".*/network/meetings/\d+\?done=requested$"))
    meeting_path = page.url.removeprefix(url).split("?")[0]
    assert "Requested" in await page.locator("[data-testid=status]").inner_text()

    await sign_in(page, url, "vinh.lq@danang.example.org", meeting_path)
    # Proposed in Manila's time (UTC+8), shown in Da Nang's (UTC+7).
    assert "Tuesday 5 March 2024, 09:00" in await page.locator("main").inner_text()
    await page.check("input[name=slot][value='1']")
    await page.click("text=Accept this time")
    await page.wait_for_url(re.compile(r".*\?done=accept$"))
    assert "Accepted" in await page.locator("[data-testid=status]").inner_text()
    assert (
        "The video room opens here 15 minutes before the meeting." in await page.locator("main").inner_text()
    )
    for _ in range(50):  # the mail sender delivers in the background
        if live_server.mailbox.to("vinh.lq@danang.example.org"):
            break
        await page.wait_for_timeout(100)
    subjects = [str(m["Subject"]) for m in live_server.mailbox.to("vinh.lq@danang.example.org")]
    assert any("Network meeting request" in s for s in subjects)
