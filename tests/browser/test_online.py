"""Live Q&A in real browsers: an online attendee asks from the watch page, a moderator approves it, another
attendee sees it appear without reloading, and that attendee's vote updates the count on the first page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LAUNCH_ARGS

pytestmark = pytest.mark.asyncio(loop_scope="session")  # one Chromium per process

QUESTION = "How many cities have published a VLR? 🙏 ベトナムの事例も知りたいです"


@pytest.fixture(autouse=True)
def during_the_sdgs_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-15T11:50+09:00")


async def signed_in(browser, url: str, email: str, path: str):
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(f"{url}/login?next={path}")
    await page.fill("#f-email", email)
    await page.fill("#f-password", "ascc-demo")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(".*" + re.escape(path) + "$"))
    await page.goto(f"{url}/lang/en?next={path}")
    return page


async def test_a_question_is_asked_approved_seen_and_voted_live(live_server, page) -> None:
    assert LAUNCH_ARGS  # the page fixture's browser is reused for the other people's contexts
    await page.goto(f"{live_server.url}/now")
    panel = await page.locator("[data-testid=live-now] a").first.get_attribute("href")
    assert await page.locator("[data-testid=live-now]").inner_text() != ""
    browser = page.context.browser

    asker = await signed_in(browser, live_server.url, "online@example.org", f"{panel}/watch?channel=floor")
    frame = asker.locator("[data-testid=player] iframe")
    assert (await frame.get_attribute("src")).startswith("https://www.youtube-nocookie.com/embed/")
    await asker.wait_for_selector("[data-live-room][data-connected='1']")
    await asker.fill("#f-question", QUESTION)
    ask = asker.locator("[data-testid=ask-form] button[type=submit]")
    await ask.scroll_into_view_if_needed()
    await ask.click()
    mine = asker.locator("[data-testid=question]", has_text=QUESTION)
    await mine.wait_for()
    assert "waiting for a moderator" in await mine.inner_text()

    other = await signed_in(browser, live_server.url, "delegate@example.org", f"{panel}/qa")
    await other.wait_for_selector("[data-live-room][data-connected='1']")
    assert await other.locator("[data-testid=question]", has_text=QUESTION).count() == 0

    moderator = await signed_in(browser, live_server.url, "organizer@example.org", f"{panel}/qa/moderate")
    pending = moderator.locator("[data-testid=question]", has_text=QUESTION)
    await pending.locator("[data-testid=approve]").click()
    await pending.locator("[data-testid=question-status]", has_text="approved").wait_for()

    seen = other.locator("[data-testid=question]", has_text=QUESTION)
    await seen.wait_for()  # arrived over the event stream: no reload
    await seen.locator("button.vote").click()
    await other.wait_for_function(
        "text => [...document.querySelectorAll('[data-testid=question]')].some(q => q.textContent.includes(text) && q.classList.contains('voted'))",
        arg=QUESTION,
    )
    # The vote reaches the asker's page.
    await asker.wait_for_function(
        "text => [...document.querySelectorAll('[data-testid=question]')].some(q => q.textContent.includes(text) && q.querySelector('[data-testid=votes]').textContent.trim() === '1')",
        arg=QUESTION,
    )
    assert "waiting for a moderator" not in await mine.inner_text()
    # The organizers close the questions: the asker's form goes at once.
    await moderator.goto(f"{live_server.url}/organizer/online/sessions/{panel.rsplit('/', 1)[1]}")
    await moderator.locator("[data-testid=settings-form] input[name=qa_open]").uncheck()
    await moderator.locator("[data-testid=settings-form] button[type=submit]").click()
    await asker.locator("[data-testid=qa-closed]").wait_for()
    assert await asker.locator("[data-testid=ask-form]").is_hidden()
