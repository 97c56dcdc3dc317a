"""Site visits in a real browser: a delegate ranks three courses, the organizer allocates, the delegate sees
the result; a seated participant cancels and the first person waiting is promoted and mailed."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.test_foundation import wait_for_mail
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def before_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo ballot closes on 8 Nov 2023: the server runs on 5 Nov (requested before live_server)."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


async def sign_in(page, url: str, email: str) -> None:
    # Leave the page first: a response still arriving from it would set the session cookie again after the
    # clearing, and /login would then redirect a signed-in person away (seen under load).
    await page.goto("about:blank")
    await page.context.clear_cookies()
    await page.goto(url + "/login?next=/tours")
    await page.fill("#f-email", email)
    await page.fill("#f-password", "ascc-demo")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/tours$"))
    await page.goto(url + "/lang/en?next=/tours")  # the organizer's account prefers Japanese


async def manifest(page, url: str, course_id: str) -> list[tuple[str, str]]:
    """(name, status) rows of a course's manifest, seats first, then the waiting list in order."""
    await page.goto(f"{url}/organizer/tours/courses/{course_id}/manifest")
    rows = []
    for row in await page.locator("tbody tr").all():
        cells = await row.locator("td").all_inner_texts()
        rows.append((cells[1].split("\n")[0].strip(), cells[6].strip()))
    return rows


async def test_rank_allocate_cancel_promote(before_the_deadline, live_server, page) -> None:
    url = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(page, url, "delegate@example.org")
    ranking = page.locator("form.ranking").first
    options = await ranking.locator("select[name=rank_1] option").all()
    courses = {(await o.inner_text()).split(" · ")[0]: await o.get_attribute("value") for o in options[1:]}
    for n, code in enumerate(("A2", "A3", "A1"), start=1):
        await ranking.locator(f"select[name=rank_{n}]").select_option(courses[code])
    await ranking.locator("button[type=submit]").click()
    await page.wait_for_url(re.compile(r"notice=ranked"))
    assert "Your 3 choice(s) are saved" in await page.locator("[data-testid=ranked]").inner_text()

    await sign_in(page, url, "organizer@example.org")
    await page.goto(url + "/organizer/tours/")
    await page.fill("input[name=seed]", "browser-test")
    await page.check(
        "input[name=close_early]"
    )  # the demo ballot's deadline is 8 Nov; the server's clock says 5 Nov
    await page.click("button:has-text('Allocate')")
    await page.wait_for_url(re.compile(r"notice=allocated"))
    result = await page.locator("[data-testid^=allocation-]").inner_text()
    assert "got their first choice" in result and "browser-test" in result
    rows = await manifest(page, url, courses["A1"])
    seated = [name for name, status in rows if status == "Seat"]
    waiting = [name for name, status in rows if status.startswith("Waiting list")]
    assert len(seated) == 25 and waiting

    await sign_in(page, url, "delegate@example.org")
    tour_a = page.locator("section.tour", has_text="Tour A:")
    statuses = await tour_a.locator("[data-testid^=status-]").all_inner_texts()
    assert len(statuses) == 1 and ("You have a seat" in statuses[0] or "waiting list" in statuses[0])

    # A seated participant gives up A1: the first person waiting gets the seat and a mail.
    people = {
        p["name_latin"]: p["email"]
        for p in json.loads((ROOT / "seed" / "participants.json").read_text())["participants"]
    }
    leaving = next(name for name in seated if name in people)
    await sign_in(page, url, people[leaving])
    await page.locator(f"#course-{courses['A1']} button:has-text('Cancel my booking')").click()
    await page.wait_for_url(re.compile(r"notice=cancelled"))
    await sign_in(page, url, "organizer@example.org")
    rows = await manifest(page, url, courses["A1"])
    assert (waiting[0], "Seat") in rows and leaving not in [name for name, _ in rows]
    await wait_for_mail(live_server.mailbox, people[waiting[0]], "you have a seat")
