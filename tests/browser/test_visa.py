"""The visa invitation letter journey in a real browser (issue #28 item 2): the delegate asks with passport data,
the download is refused until approved, the organizer approves it with another request in one go, the delegate
downloads the PDF, the public page says valid; after the organizer revokes it, revoked, and nothing personal."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_tours import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the conference (requested before live_server)."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


async def test_ask_approve_in_bulk_download_and_verify(before, live_server, page) -> None:
    url = live_server.url
    await sign_in(page, url, "delegate@example.org")
    await page.goto(url + "/registration")
    await page.get_by_test_id("visa-link").click()
    await page.fill("#f-passport_number", "ｐ１２３４５６７")  # full-width, as a Japanese keyboard types
    await page.fill("#f-date_of_birth", "1980-05-17")
    await page.select_option("#f-nationality", "PH")
    await page.locator("[data-testid=visa-form] button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/registration/visa\?done=requested$"))
    assert await page.get_by_test_id("visa-status").inner_text() == "Awaiting review"
    assert "ends in …67" in await page.get_by_test_id("visa-passport").inner_text()
    reference = (await page.get_by_test_id("visa-reference").inner_text()).strip()
    early = await page.goto(f"{url}/registration/visa/{reference}/letter.pdf")
    assert early is not None and early.status == 409
    assert "once an organizer has approved it" in await page.locator("main").inner_text()

    await sign_in(page, url, "organizer@example.org")
    await page.goto(url + "/organizer/visa-letters")
    queue = page.get_by_test_id("visa-queue")
    row = queue.locator("tr", has_text=reference)
    assert "P1234567" in await row.inner_text() and "17 May 1980" in await row.inner_text()
    assert await queue.locator("input[name=ids]").count() == 3  # the demo's two, and this one
    await row.locator("input[name=ids]").check()
    await queue.locator("input[name=ids]").first.check()
    await page.get_by_test_id("visa-approve-selected").click()
    await page.wait_for_url(re.compile(r"done=approved&n=2$"))
    assert "2 letter(s) approved" in await page.get_by_test_id("visa-approved").inner_text()

    await sign_in(page, url, "delegate@example.org")
    await page.goto(url + "/registration/visa")
    assert await page.get_by_test_id("visa-status").inner_text() == "Approved"
    href = await page.get_by_test_id("visa-download").get_attribute("href")
    pdf = await page.request.get(url + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF-")
    await page.goto(f"{url}/letters/verify/{reference}")
    assert await page.get_by_test_id("verify-status").inner_text() == "Valid"

    await sign_in(page, url, "organizer@example.org")
    await page.goto(url + "/organizer/visa-letters?status=approved")
    await (
        page.locator("[data-testid=visa-queue] tr", has_text=reference)
        .get_by_role("button", name="Revoke")
        .click()
    )
    await page.wait_for_url(re.compile(r"done=revoked$"))
    await page.goto("about:blank")
    await page.context.clear_cookies()  # a consulate's officer, not signed in
    await page.goto(f"{url}/letters/verify")
    await page.fill("#f-reference", reference.lower())
    await page.get_by_role("button", name="Verify").click()
    assert await page.get_by_test_id("verify-status").inner_text() == "Revoked"
    shown = await page.locator("main").inner_text()
    assert reference in shown
    for personal in ("Maria", "Reyes", "1234567", "1980", "Philippines"):
        assert personal not in shown, personal
