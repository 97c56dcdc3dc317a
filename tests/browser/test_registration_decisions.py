"""In a real browser: an organizer rejects a press registration with a reason, after a confirmation step, and
reopens it from the rejected list; the reporter gets both mails and ends up confirmed."""

from __future__ import annotations

import pytest

from tests.browser.test_foundation import wait_for_mail
from tests.browser.test_registration import fill_registration, make_account, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process
REPORTER = "kenji.watanabe@shimbun.example.org"


@pytest.fixture
def registration_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's registration (and press accreditation) is open on 20 October 2023."""
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")


async def test_reject_with_a_reason_then_reopen(registration_open, live_server, page) -> None:
    make_account(live_server, REPORTER, "Kenji Watanabe")
    await page.goto(live_server.url + "/lang/en?next=/")
    await sign_in(page, live_server, REPORTER)
    await page.goto(live_server.url + "/register")
    await fill_registration(page, "Yokohama Shimbun", category="press")  # press waits for approval
    assert await page.inner_text("[data-testid=status]") == "Waiting for approval"

    # Reject asks first: who, how many, and a reason for the mail.
    await sign_in(page, live_server, "organizer@example.org", "ascc-demo")
    await page.goto(live_server.url + "/organizer/registrations?status=pending&q=Watanabe")
    await page.click(f"[data-testid='row-{REPORTER}'] button[value^=reject]")
    await page.wait_for_selector(f"[data-testid='affected-{REPORTER}']")
    assert "Reject 1 registration(s)?" in await page.inner_text("[data-testid=decision-count]")
    await page.fill("#f-reason", "Press accreditation needs a letter from your editor.")
    await page.click("[data-testid=confirm-decision]")
    await page.wait_for_selector("text=1 registrations updated.")
    rejected = await wait_for_mail(live_server.mailbox, REPORTER, "About your registration")
    assert "Press accreditation needs a letter from your editor." in rejected.get_content()

    # The editor's letter arrives: the organizer reopens the registration from the rejected list.
    await page.goto(live_server.url + "/organizer/registrations?status=rejected&q=Watanabe")
    assert "Reason: Press accreditation needs a letter" in await page.inner_text(
        f"[data-testid='row-{REPORTER}']"
    )
    await page.click(f"[data-testid='row-{REPORTER}'] button[value^=reopen]")
    await page.wait_for_selector(f"[data-testid='affected-{REPORTER}']")
    await page.fill("#f-reason", "Thank you for the letter.")
    await page.click("[data-testid=confirm-decision]")
    await page.wait_for_selector("text=1 registrations updated.")
    confirmed = await wait_for_mail(live_server.mailbox, REPORTER, "Registration confirmed")
    assert "Thank you for the letter." in confirmed.get_content()

    await sign_in(page, live_server, REPORTER)
    await page.goto(live_server.url + "/registration")
    assert await page.inner_text("[data-testid=status]") == "Confirmed"
