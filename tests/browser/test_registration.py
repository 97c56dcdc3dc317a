"""A delegation in a real browser: register, invite, accept, approve, switch to online, promote the next person."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from tests.browser.test_foundation import wait_for_mail
from tests.support.live import run_command
from tests.support.web import link_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process
PASSWORD = "a long enough password"


def make_account(server, email: str, name: str, role: str = "delegate") -> None:
    """`ascc users create`, run as an operator would, in a fork of a process that imported the app already."""
    with tempfile.TemporaryDirectory() as folder:
        run_command(
            ["users", "create", email, "--role", role, "--name", name, "--password", PASSWORD],
            server.env,
            Path(folder) / "users-create.log",
        )


async def sign_in(page, server, email: str, password: str = PASSWORD) -> None:
    if await page.locator("header button:has-text('Sign out')").count():
        await page.click("header button:has-text('Sign out')")
        await page.wait_for_url(server.url + "/")
    await page.goto(server.url + "/login")
    await page.fill("#f-email", email)
    await page.fill("#f-password", password)
    await page.click("main button[type=submit]")
    await page.wait_for_load_state()


async def fill_registration(page, organization: str | None, category: str = "city_official") -> None:
    await page.check("input[name=mode][value=in_person]")
    await page.select_option("#f-category", category)
    if organization is not None:
        await page.fill("#f-organization", organization)
    await page.select_option("#f-country", "PH")
    await page.select_option("select[name^=q_]", "yes")  # the edition's required reception question
    await page.check("#f-privacy_accepted")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/registration(\?new=1)?$"))


@pytest.fixture
def registration_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's registration is open from 1 September to 10 November 2023: the server runs on 20 October."""
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")


async def test_delegation_approval_switch_and_promotion(registration_open, live_server, page) -> None:
    for email, name in (
        ("mayor.office@tagbilaran.example.org", "Jerry Trenas"),
        ("ana@tagbilaran.example.org", "Ana Lopez"),
        ("ben@tagbilaran.example.org", "Ben Cruz"),
        ("waiter@minato.example.org", "Kenji Mori"),
    ):
        make_account(live_server, email, name)

    # The organizer makes city officials need approval and leaves exactly one in-person place.
    await page.goto(
        live_server.url + "/lang/en?next=/"
    )  # everyone here reads English (the organizer prefers ja)
    await sign_in(page, live_server, "organizer@example.org", "ascc-demo")
    await page.goto(live_server.url + "/organizer/registration-settings")
    hint = await page.inner_text("#h-in_person_capacity")
    confirmed = int(re.search(r"(\d+) confirmed", hint).group(1))
    await page.fill("#f-in_person_capacity", str(confirmed + 1))
    await page.check("input[name=approval_categories][value=city_official]")
    await page.click("form[action='/organizer/registration-settings'] button[type=submit]")
    await page.wait_for_selector("text=Saved.")

    # The head of the Tagbilaran delegation registers in person and invites two colleagues.
    await sign_in(page, live_server, "mayor.office@tagbilaran.example.org")
    await page.goto(live_server.url + "/register")
    await fill_registration(page, "Tagbilaran City")
    assert await page.inner_text("[data-testid=status]") == "Waiting for approval"
    await page.click("text=Lead my city's delegation")
    await page.wait_for_url(live_server.url + "/delegation")
    for email in ("ana@tagbilaran.example.org", "ben@tagbilaran.example.org"):
        await page.fill("#f-email", email)
        await page.click("form[action='/delegation/invite'] button[type=submit]")
        await page.wait_for_selector(f"text=Invitation sent to {email}.")

    # One colleague accepts through the link in her mail.
    invitation = await wait_for_mail(live_server.mailbox, "ana@tagbilaran.example.org")
    await sign_in(page, live_server, "ana@tagbilaran.example.org")
    await page.goto(live_server.url + link_in(invitation.get_content(), "/invite/"))
    assert "You are invited to join the delegation of Tagbilaran City." in await page.inner_text("main")
    await fill_registration(page, organization=None)

    # The organizer approves the head: the last in-person place is theirs.
    await sign_in(page, live_server, "organizer@example.org", "ascc-demo")
    await page.goto(live_server.url + "/organizer/registrations?status=pending&q=Trenas")
    await page.click("[data-testid='row-mayor.office@tagbilaran.example.org'] button[value^=approve]")
    # Approving asks first, naming who is affected.
    await page.wait_for_selector("[data-testid='affected-mayor.office@tagbilaran.example.org']")
    await page.click("[data-testid=confirm-decision]")
    await page.wait_for_selector("text=1 registrations updated.")

    # A company participant arrives: the edition is full, so they wait.
    await sign_in(page, live_server, "waiter@minato.example.org")
    await page.goto(live_server.url + "/register")
    await fill_registration(page, "Minato Water Engineering Co., Ltd.", category="company")
    assert await page.inner_text("[data-testid=position]") == "You are number 1 on the waiting list."

    # The head switches to online; the waiting person gets the place and a mail.
    await sign_in(page, live_server, "mayor.office@tagbilaran.example.org")
    await page.goto(live_server.url + "/registration")
    assert await page.inner_text("[data-testid=status]") == "Confirmed"
    await page.click("text=Attend online instead")
    await page.wait_for_selector("text=Your attendance mode is changed.")
    assert await page.inner_text("[data-testid=mode]") == "Online"
    promoted = await wait_for_mail(live_server.mailbox, "waiter@minato.example.org", "A place is free")
    assert "now confirmed" in promoted.get_content()
    await page.goto(live_server.url + "/delegation")
    roster = await page.inner_text("main table")
    assert "Ana Lopez" in roster and "ben@tagbilaran.example.org" in roster

    await sign_in(page, live_server, "waiter@minato.example.org")
    await page.goto(live_server.url + "/registration")
    assert await page.inner_text("[data-testid=status]") == "Confirmed"
