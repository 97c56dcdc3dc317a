"""The programme in a real browser: filter by track and interpretation, save two overlapping sessions, see
the clash on my agenda, switch the time zone and see the times change."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


async def titles(page) -> list[str]:
    return await page.locator("#agenda-results .session-title a").all_inner_texts()


async def test_filter_save_clash_and_time_zone(page, live_server) -> None:
    url = live_server.url
    await page.goto(url + "/login?next=/agenda")
    await page.fill("#f-email", "delegate@example.org")
    await page.fill("#f-password", "ascc-demo")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/agenda$"))

    await page.click("nav.day-tabs >> text=Tue 14 Nov")
    await page.wait_for_url(re.compile(r"day=2023-11-14"))
    assert "Keynote: Asian cities connected by zero carbon" in await titles(page)

    # Filters apply in place (htmx) and the address follows them.
    await page.click("summary:has-text('Filters')")
    await page.check("label:has-text('Business and PPP') input[name=track]")
    await page.wait_for_url(re.compile(r"track=\d+"))
    await page.wait_for_function(
        "!document.querySelector('#agenda-results').textContent.includes('Networking lunch')"
    )
    assert len(await titles(page)) == 4
    await page.check("input[name=interpretation]")
    await page.wait_for_url(re.compile(r"interpretation=1"))
    await page.wait_for_function(
        "!document.querySelector('#agenda-results').textContent.includes('Business exchange: public')"
    )
    assert await titles(page) == [
        "Financing city infrastructure: World Bank and ADB",
        "Company solutions I: water supply and sewerage",
        "Company solutions II: waste management and recycling",
    ]
    # The shared address shows the same list without JavaScript state.
    shared = page.url
    await page.goto(shared)
    assert len(await titles(page)) == 3

    # Two sessions at the same time go into my agenda.
    await page.goto(url + "/agenda?day=2023-11-14")
    pair = ("Financing city infrastructure", "Company solutions I: water")
    for title in pair:
        card = page.locator("li.session-card", has_text=title)
        await card.locator("button:has-text('Add to my agenda')").click()
        await card.locator("button:has-text('In my agenda')").wait_for()
    await page.goto(url + "/my-agenda")
    assert "overlap in time" in await page.locator("[data-testid=clash-warning]").inner_text()
    for title in pair:
        assert await page.locator("li.session-card.clash", has_text=title).count() == 1

    # The time-zone switch moves the times: 09:30 in Yokohama is 07:30 in Bangkok.
    await page.goto(url + "/agenda?day=2023-11-14")
    first_start = page.locator("#agenda-results [data-testid=start]").first
    assert await first_start.inner_text() == "09:30"
    await page.select_option("#f-tz", "Asia/Bangkok")
    await page.wait_for_url(re.compile(r"tz=Asia%2FBangkok"))
    await page.wait_for_function(
        "document.querySelector('#agenda-results [data-testid=start]').textContent === '07:30'"
    )
    assert "times in Asia/Bangkok" in await page.locator("[data-testid=result-count]").inner_text()
