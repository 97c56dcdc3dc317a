"""A newcomer in a real browser: language switch, sign up, confirm by mail, sign in, sign out."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.support.web import link_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


async def wait_for_mail(mailbox, address: str, subject: str = ""):
    """The newest mail to `address` whose subject contains `subject`, waiting up to 10 s for it."""
    for _ in range(100):
        found = [m for m in mailbox.to(address) if subject in str(m["Subject"])]
        if found:
            return found[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


async def test_home_language_sign_up_verify_sign_in_sign_out(live_server, page) -> None:
    await page.goto(live_server.url + "/")
    await page.wait_for_selector("h1")
    assert "12th Asia Smart City Conference (Y-SHIP 2023)" in await page.inner_text("h1")

    await page.click("text=日本語")
    assert await page.inner_text("h1") == "第12回アジア・スマートシティ会議（Y-SHIP 2023）"
    assert await page.get_attribute("html", "lang") == "ja"
    await page.click("text=開催回")  # the choice sticks on the next page
    assert await page.get_attribute("html", "lang") == "ja"
    await page.click("text=English")
    assert await page.get_attribute("html", "lang") == "en"

    await page.click("header >> text=Create account")
    await page.wait_for_url(live_server.url + "/signup")
    await page.fill("#f-email", "Thu.Nguyen@example.org")
    await page.fill("#f-password", "a long enough password")
    await page.fill("#f-name_latin", "Nguyen Thi Minh Thu")
    await page.fill("#f-name_local", "Nguyễn Thị Minh Thư 👩🏽‍💼")
    await page.fill("#f-organization", "Da Nang City")
    await page.select_option("#f-country", "VN")
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Check your mail")

    message = await wait_for_mail(live_server.mailbox, "thu.nguyen@example.org")
    await page.goto(live_server.url + link_in(message.get_content(), "/verify/"))
    await page.wait_for_selector("text=Address confirmed")

    await page.click('main a[href="/login"]')
    await page.fill("#f-email", "thu.nguyen@example.org")
    await page.fill("#f-password", "a long enough password")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/account/?$"))
    assert "Nguyễn Thị Minh Thư 👩🏽‍💼" in await page.inner_text("main")

    await page.click("text=Sign out")
    await page.wait_for_url(live_server.url + "/")
    await page.goto(live_server.url + "/account")
    assert "/login?next=/account" in page.url


async def test_sign_up_errors_are_shown_beside_the_fields(live_server, page) -> None:
    await page.goto(live_server.url + "/signup")
    await page.fill("#f-email", "not an address")
    await page.fill("#f-password", "short")
    await page.fill("#f-name_latin", "Somchai Jaidee")
    await page.fill("#f-name_local", "สมชาย ใจดี")
    await page.click("button[type=submit]")
    assert "valid e-mail address" in await page.inner_text("#e-email")
    assert "at least 8 characters" in await page.inner_text("#e-password")
    assert await page.input_value("#f-name_local") == "สมชาย ใจดี"
    assert await page.get_attribute("#f-email", "aria-invalid") == "true"
