"""Messages between participants in a real browser: the exhibitor accepts the delegate's meeting request and
writes; the delegate sees the unread count in the menu, reads (the count clears) and replies, and the reply
arrives on the exhibitor's open page without a reload; the exhibitor blocks the delegate, whose next message
is refused with a clear message; the delegate reports the conversation and an organizer reads it (audited)."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def conference_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")


async def _menu_count(page) -> int:
    text = (await page.locator("[data-testid=unread-count]").inner_text()).strip()
    return int(text) if text else 0


async def test_messages_journey(conference_day, live_server, page) -> None:
    url = live_server.url
    # The exhibitor accepts the delegate's request: the two may now write to each other.
    await sign_in(page, url, "exhibitor@example.org", "/matching")
    await (
        page.locator("[data-testid=incoming]")
        .get_by_role("link", name=re.compile("Maria Cristina Reyes"))
        .click()
    )
    await page.click("[data-testid=accept]")
    await page.wait_for_url(re.compile(r".*/matching/meetings/\d+$"))
    await page.goto(f"{url}/messages")
    await (
        page.locator("[data-testid=partners]")
        .get_by_role("link", name=re.compile("Maria Cristina Reyes"))
        .click()
    )
    await page.wait_for_url(re.compile(r".*/messages/with/\d+$"))
    delegate_path = page.url.removeprefix(url)
    await page.fill("#f-body", "Thank you for the request! <b>Septage</b> first? 汚泥の件で")
    await page.click("main button:has-text('Send')")
    await page.wait_for_url(re.compile(r".*/messages/with/\d+#latest$"))
    assert "<b>Septage</b> first?" in await page.locator("[data-testid=message]").last.inner_text()

    # The delegate sees the count in the menu, reads, and the count goes down by one.
    await sign_in(page, url, "delegate@example.org", "/messages")
    await page.locator("[data-testid=unread-count] span").wait_for()
    before = await _menu_count(page)
    exhibitor_row = page.locator("[data-testid=conversation]", has_text="Kenji Watanabe")
    assert "Unread: 1" in await exhibitor_row.inner_text()
    await exhibitor_row.get_by_role("link", name=re.compile("Kenji Watanabe")).click()
    await page.wait_for_url(re.compile(r".*/messages/with/\d+$"))
    exhibitor_path = page.url.removeprefix(url)
    assert "Septage" in await page.locator("[data-testid=thread]").inner_text()
    await page.goto(f"{url}/messages")
    await page.wait_for_timeout(300)  # the menu's count loads after the page
    assert await _menu_count(page) == before - 1
    assert (
        "Unread"
        not in await page.locator("[data-testid=conversation]", has_text="Kenji Watanabe").inner_text()
    )

    # The exhibitor keeps the conversation open in another browser; the reply arrives there by itself.
    other = await page.context.browser.new_context()
    exhibitor_page = await other.new_page()
    # The page asks for new messages every 10 s: its clock is moved on past the next ask, not waited out.
    await exhibitor_page.clock.install()
    try:
        await sign_in(exhibitor_page, url, "exhibitor@example.org", delegate_path)
        await page.goto(f"{url}{exhibitor_path}")
        await page.fill("#f-body", "Yes, septage first — salamat po! 🙏")
        await page.click("main button:has-text('Send')")
        await page.wait_for_url(re.compile(r".*#latest$"))
        await exhibitor_page.clock.fast_forward("00:10")
        await exhibitor_page.locator("[data-testid=message]", has_text="salamat po").wait_for(timeout=20_000)

        # The exhibitor blocks the delegate: the delegate's next message is refused, and says why.
        await exhibitor_page.click("text=Block this person")
        await exhibitor_page.wait_for_url(re.compile(r".*\?done=block$"))
    finally:
        await other.close()
    await page.fill("#f-body", "Are you still there?")
    await page.click("main button:has-text('Send')")
    error = page.locator("[data-testid=body-error]")
    assert await error.inner_text() == "This person does not accept messages from you."
    assert "Are you still there?" not in await page.locator("[data-testid=thread]").inner_text()

    # The delegate reports the conversation; an organizer reads it, and the reading is in the audit log.
    await page.goto(f"{url}{exhibitor_path}")
    await page.fill("#f-reason", "Blocked me after one message; please check.")
    await page.click("text=Report this conversation")
    await page.wait_for_url(re.compile(r".*\?done=report$"))
    await sign_in(page, url, "organizer@example.org", "/organizer/messages")
    await page.locator("[data-testid=reported-conversation] a").first.click()
    await page.wait_for_url(re.compile(r".*/organizer/messages/\d+$"))
    assert "salamat po" in await page.locator("[data-testid=thread]").inner_text()
    assert "recorded in the audit log" in await page.locator("[data-testid=audited]").inner_text()
    await page.goto(f"{url}/organizer/audit")
    assert "Read a reported conversation" in await page.locator("main").inner_text()
