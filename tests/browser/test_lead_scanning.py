"""Lead capture by camera (#28): exhibitor staff press "Scan a badge" on their leads page, the phone's camera
(a Chromium fake camera filming a real badge PNG) reads the QR code, and the lead appears with the attendee's
name and organization."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.test_checkin import badge_png, camera_page, first_morning, y4m_video
from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process
__all__ = ["first_morning"]  # the fixture: during the conference, when badges are valid


def sharing_attendee(database_url: str) -> tuple[str, str]:
    """(e-mail, name) of a confirmed in-person attendee who agreed that exhibitors may scan their badge."""
    with sqlite3.connect(database_url.split("///", 1)[1]) as db:
        return db.execute(
            "SELECT u.email, u.name_latin FROM registration r JOIN user_account u ON u.id = r.user_id "
            "WHERE r.status = 'confirmed' AND r.mode = 'in_person' AND r.consent_scanning = 1 "
            "AND u.email LIKE '%cebu%' ORDER BY u.id LIMIT 1"
        ).fetchone()


async def test_staff_scan_a_badge_with_the_camera_and_see_who_it_is(
    first_morning, live_server, tmp_path
) -> None:
    url = live_server.url
    email, name = sharing_attendee(live_server.env["ASCC_DATABASE_URL"])
    video = y4m_video(await badge_png(url, email), tmp_path / "badge.y4m")
    async with camera_page(video) as page:
        await sign_in(page, url, "exhibitor@example.org", "/exhibitor/leads")
        before = await page.locator("[data-testid=leads] li.card").count()
        await page.click("[data-testid=scan-badge]")
        await page.locator("[data-testid=scan-result][data-outcome=recorded]").wait_for()
        assert await page.locator("[data-testid=scan-result]").inner_text() == "Lead recorded."
        assert await page.locator("[data-testid=scan-person]").inner_text() == f"{name} · Cebu City"
        cards = page.locator("[data-testid=leads] li.card")
        assert await cards.count() == before + 1 and name in await cards.first.inner_text()
        leads = await (await page.request.get(f"{url}/api/v1/leads")).json()
    assert [lead["name_latin"] for lead in leads].count(name) == 1
