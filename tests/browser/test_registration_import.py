"""In a real browser: an organizer imports a city's list (Japanese, Thai and Vietnamese names, two bad rows),
the preview names each problem before anything is stored, the confirmation imports the rest in the background,
the people appear in the registrations list and their mails arrive; a delegation head registers a member."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_foundation import wait_for_mail
from tests.browser.test_registration import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process
SAMPLE = Path(__file__).parents[2] / "seed" / "registration-import-sample.csv"


@pytest.fixture
def registration_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")


async def test_import_a_city_list_and_a_head_registers_a_member(registration_open, live_server, page) -> None:
    await page.goto(live_server.url + "/lang/en?next=/")
    await sign_in(page, live_server, "organizer@example.org", "ascc-demo")
    await page.goto(live_server.url + "/organizer/registrations")
    await page.click("text=Import registrations")
    await page.set_input_files("#f-file", str(SAMPLE))
    await page.click("main button[type=submit]")
    await page.wait_for_selector("[data-testid=import-summary]")
    assert "6 rows: 4 ready to import, 2 with problems" in await page.inner_text(
        "[data-testid=import-summary]"
    )
    bad = await page.inner_text("[data-testid=import-row][data-line='6']")
    assert "E-mail: Enter a valid e-mail address." in bad or "E-mail:" in bad
    twice = await page.inner_text("[data-testid=import-row][data-line='7']")
    assert "The same address is on line 2 already." in twice and "Unknown country" in twice
    assert "Unknown category" in twice
    assert "สมชาย ประเสริฐ" in await page.inner_text("[data-testid=import-rows]")

    await page.check("#f-privacy_accepted")
    await page.click("[data-testid=confirm-form] button[type=submit]")
    await page.wait_for_selector("[data-testid=import-progress][data-status=done]", timeout=30_000)
    assert await page.inner_text("[data-testid=imported-count]") == "4"
    assert await page.inner_text("[data-testid=skipped-count]") == "2"
    account = await wait_for_mail(live_server.mailbox, "thu.nguyen@danang.example.vn", "Your registration")
    assert "/password/reset/" in account.get_content()
    await wait_for_mail(live_server.mailbox, "haruka.sato@city.yokohama.example.jp")
    await page.goto(live_server.url + "/organizer/registrations?q=Nguyen%20Thi%20Minh")
    assert "Nguyễn Thị Minh Thư" in await page.inner_text("main")

    # The head of Cebu's delegation registers a member directly.
    await sign_in(page, live_server, "delegate@example.org", "ascc-demo")
    await page.goto(live_server.url + "/delegation")
    await page.fill("#f-member_email", "ana.santos@cebu.example.ph")
    await page.fill("#f-member_name_latin", "Ana Santos")
    await page.fill("#f-member_position", "Planning Officer")
    await page.fill("#f-member_country", "PH")
    await page.check("#f-member_privacy_accepted")
    await page.click("[data-testid=member-form] button[type=submit]")
    await page.wait_for_selector("text=ana.santos@cebu.example.ph is registered in your delegation")
    await wait_for_mail(live_server.mailbox, "ana.santos@cebu.example.ph", "Your registration")
