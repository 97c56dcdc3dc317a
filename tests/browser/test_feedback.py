"""Session feedback in a real browser: after the conference a delegate saves a session they attended and rates it."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def after_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-16T10:00+09:00")


def _a_session_held_in_the_room(live_server) -> int:
    path = live_server.env["ASCC_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "select id from programme_session where status = 'published' and format != 'online' order by starts_at "
            "limit 1"
        ).fetchone()
    assert row
    return int(row[0])


async def test_a_delegate_rates_a_session_after_it_ended(after_the_conference, live_server, page) -> None:
    url = live_server.url
    session_id = _a_session_held_in_the_room(live_server)
    await sign_in(page, url, "delegate@example.org", f"/sessions/{session_id}")
    box = page.locator("[data-testid=feedback-box]")
    save = page.locator(f"[data-testid=save-{session_id}]")
    if await save.get_attribute("aria-pressed") == "false":
        # Not in the agenda: the box says why; saving the session they attended opens the form.
        assert "in your agenda" in await box.locator("[data-testid=feedback-refusal]").inner_text()
        await save.click()
        await page.wait_for_selector(f"[data-testid=save-{session_id}][aria-pressed=true]")
        await page.reload()
    form = box.locator("[data-testid=feedback-form]")  # loaded into the session page by htmx
    await form.locator("input[name=rating][value='4']").check()
    await form.locator("textarea[name=comment]").fill("通訳が分かりやすかったです 🙏")
    await form.locator("button[type=submit]").click()
    assert "Thank you" in await page.locator("[data-testid=feedback-saved]").inner_text()
    assert "Your rating: 4 of 5" in await page.locator("[data-testid=feedback-mine]").inner_text()
    assert await page.locator("textarea[name=comment]").input_value() == "通訳が分かりやすかったです 🙏"
