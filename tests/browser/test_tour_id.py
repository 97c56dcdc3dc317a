"""The tour ID number in a real browser (issue #25 item 8): a refused number comes back beside its field with
the page scrolled to it, full-width digits are accepted, and the saved number can be corrected."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_tours import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the demo's tours leave (requested before live_server)."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


async def test_id_number_refused_kept_in_view_then_saved_full_width(before, live_server, page) -> None:
    url = live_server.url
    await sign_in(page, url, "delegate@example.org")
    course = page.locator("li.course", has=page.locator("h3", has_text=re.compile(r"^B ·")))
    course_id = (await course.get_attribute("id")).removeprefix("course-")
    assert await course.locator("[data-testid^=status-]").count() == 1  # the demo delegate has a seat on B
    field = page.locator(f"#id-number-{course_id}")
    await field.fill("C1-23")
    await page.locator(f"#course-{course_id} form.id-form button[type=submit]").click()
    await page.wait_for_url(re.compile(rf"/id-document#course-{course_id}$"))
    assert await field.input_value() == "C1-23"
    assert await field.get_attribute("aria-invalid") == "true"
    # The page comes back at the course's anchor (which takes precedence over autofocus), the field in view.
    in_view = "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    assert await field.evaluate(in_view)
    assert await page.locator(f"[data-testid=id-number-error-{course_id}]").is_visible()
    assert await page.evaluate("window.scrollY") > 0  # the course, far down the page, is in view
    await field.fill("Ｃ１２３４５６７")
    await page.locator(f"#course-{course_id} form.id-form button[type=submit]").click()
    await page.wait_for_url(re.compile(r"notice=id_saved"))
    on_file = page.locator(f"[data-testid=id-on-file-{course_id}]")
    assert "ends in …67" in await on_file.inner_text()
    await page.locator(f"[data-testid=id-correct-{course_id}]").click()
    assert await page.locator(f"#id-number-{course_id}").is_visible()
