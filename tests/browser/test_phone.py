"""The platform on a phone (375×812), in English and in Japanese (issue #25): the check-in page, registering,
searching the agenda, booking a site visit and giving its ID number. On every page nothing is wider than the
screen and the menu button opens the menu (by touch and by keyboard); on the check-in page the code field is
in view without scrolling, no privacy banner pushes it down, and the heading stays on one line.

Screenshots of every page (and of the open menu) are kept in tests/browser/artifacts/phone/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process

ARTIFACTS = Path(__file__).parent / "artifacts" / "phone"
IN_VIEW = "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
LINES = "el => { const r = document.createRange(); r.selectNodeContents(el); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; }"


@pytest.fixture
def registration_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """5 November 2023: registration and Tour B are open (requested before live_server)."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


async def looks_right(page, lang: str, name: str, keyboard: bool = False) -> None:
    """Nothing overflows sideways; the menu is folded, opens from its button and closes again; screenshots."""
    await page.wait_for_load_state()
    widths = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], (name, widths)
    nav = page.locator("#main-menu")
    assert not await nav.is_visible(), name
    await page.evaluate("window.scrollTo(0, 0)")  # a page may open at an anchor further down
    button = page.locator("[data-testid=menu-button]")
    assert await button.evaluate(IN_VIEW), name
    assert await button.get_attribute("aria-expanded") == "false", name
    if keyboard:
        await button.focus()
        await page.keyboard.press("Enter")
    else:
        await button.click()
    await page.locator("[data-testid=menu-button][aria-expanded=true]").wait_for()  # set on the toggle event
    assert await nav.is_visible(), name
    assert await nav.locator("a[href='/agenda']").evaluate(IN_VIEW), name
    await page.screenshot(path=ARTIFACTS / f"{lang}-{name}-menu.png")
    await page.keyboard.press("Escape")
    await page.locator("[data-testid=menu-button][aria-expanded=false]").wait_for()
    assert not await nav.is_visible(), name
    assert await button.evaluate("el => el === document.activeElement"), name  # the keyboard stays in place
    await page.screenshot(path=ARTIFACTS / f"{lang}-{name}.png", full_page=True)


async def test_phone_walk_in_english_and_japanese(registration_open, live_server, page, tmp_path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size({"width": 375, "height": 812})
    # Two people who have neither registered nor accepted the privacy notice, one per language.
    for lang, email in (("en", "checkin@example.org"), ("ja", "organizer@example.org")):
        await walk(page, live_server.url, lang, email)
        await oversize_brochure(page, live_server.url, lang, tmp_path)


async def sign_in(page, url: str, lang: str, email: str, next_path: str) -> None:
    await page.goto("about:blank")
    await page.context.clear_cookies()
    await page.goto(f"{url}/login?next={next_path}")
    await page.fill("#f-email", email)
    await page.fill("#f-password", "ascc-demo")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(".*" + re.escape(next_path) + "$"))
    await page.goto(f"{url}/lang/{lang}?next={next_path}")  # an account may prefer the other language


async def walk(page, url: str, lang: str, email: str) -> None:
    await sign_in(page, url, lang, email, "/checkin")

    # The check-in page: the code field in view at once, no privacy banner, "Check-in" on one line even
    # beside the long offline status.
    assert await page.locator("[data-testid=code]").evaluate(IN_VIEW)
    assert (
        await page.locator(".privacy-banner, [hx-get='/privacy/banner']").count() == 0
    )  # not even asked for
    await page.context.set_offline(True)
    await page.locator("[data-testid=net].net-offline").wait_for()
    assert await page.locator(".checkin-bar h1").evaluate(LINES) == 1
    await page.context.set_offline(False)
    await page.locator("[data-testid=net]:not(.net-offline)").wait_for()
    await looks_right(page, lang, "1-checkin", keyboard=True)

    # Registering, in person.
    await page.goto(f"{url}/register")
    await page.locator(".privacy-banner").wait_for()  # elsewhere this person is asked to accept the notice
    await looks_right(page, lang, "2-register")
    await page.check("input[name=mode][value=in_person]")
    await page.select_option("#f-category", "city_official")
    await page.fill("#f-organization", "横浜市" if lang == "ja" else "City of Yokohama")
    await page.select_option("#f-country", "JP")
    await page.select_option("select[name^=q_]", "yes")
    await page.check("#f-privacy_accepted")
    await page.click("main form button[type=submit]")
    await page.wait_for_url(re.compile(r"/registration"))
    assert await page.locator("main .alert.success").count()
    await looks_right(page, lang, "3-registered")

    # Searching the agenda: every day.
    await page.goto(f"{url}/agenda")
    await page.fill("#f-q", "VLR")
    await page.press("#f-q", "Enter")
    await page.wait_for_url(re.compile(r"q=VLR"))
    assert await page.locator("[data-session-id]").count() > 1
    await looks_right(page, lang, "4-agenda-search")

    # Booking Tour B, which needs an ID number: typed in full-width characters, as a Japanese keyboard does.
    await page.goto(f"{url}/tours")
    course = page.locator("li.course", has=page.locator("h3", has_text=re.compile(r"^B ·")))
    course_id = (await course.get_attribute("id")).removeprefix("course-")
    await course.locator("form[action$='/book'] button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/tours"))
    await page.locator(f"#id-number-{course_id}").fill("Ｃ１２３４５６７")
    await page.locator(f"#course-{course_id} form.id-form button[type=submit]").click()
    await page.wait_for_url(re.compile(r"notice=id_saved"))
    on_file = page.locator(f"[data-testid=id-on-file-{course_id}]")
    assert "67" in await on_file.inner_text()
    assert await on_file.evaluate(IN_VIEW)
    await looks_right(page, lang, "5-tour-id")


async def oversize_brochure(page, url: str, lang: str, folder: Path) -> None:
    """An exhibitor chooses a brochure over 10 MB: refused beside the field before anything is sent."""
    await sign_in(page, url, lang, "exhibitor@example.org", "/exhibitor/solutions/new")
    await page.fill("#f-title_en", "Tidal power for islands")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    big, small = folder / "brochure.pdf", folder / "small.pdf"  # from disk: a buffer would cross the wire
    big.write_bytes(b"%PDF-" + b"0" * (10 * 1024 * 1024))
    small.write_bytes(b"%PDF-1.4 small")
    await page.set_input_files("#f-brochure", big)
    message = page.locator("[data-testid=file-too-large]")
    expected = (
        "選んだファイルは 10.1 MB です。10 MB まで"
        if lang == "ja"
        else "The file you chose is 10.1 MB; at most 10 MB"
    )
    assert expected in await message.inner_text()
    assert await page.locator("#f-brochure").get_attribute("aria-invalid") == "true"
    await page.click("main form button[type=submit]")
    assert await page.locator("#f-brochure").evaluate("el => el === document.activeElement")
    assert posts == [] and await page.input_value("#f-title_en") == "Tidal power for islands"
    await looks_right(page, lang, "6-brochure-too-large")
    await page.set_input_files("#f-brochure", small)
    assert await message.count() == 0
