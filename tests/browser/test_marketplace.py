"""The marketplace in a real browser: a company searches city needs in Japanese and English and opens a
suggestion; exhibitor staff record a lead for an attendee who opted in and are refused one who did not."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


async def sign_in(page, url: str, email: str, next_path: str) -> None:
    # Leave the page first: a response still arriving from it would set the session cookie again after the
    # clearing, and /login would then redirect a signed-in person away (seen under load).
    await page.goto("about:blank")
    await page.context.clear_cookies()
    await page.goto(f"{url}/login?next={next_path}")
    await page.fill("#f-email", email)
    await page.fill("#f-password", "ascc-demo")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(".*" + re.escape(next_path) + "$"))
    await page.goto(f"{url}/lang/en?next={next_path}")


def badge_codes(database_url: str) -> tuple[str, str]:
    """Codes of a confirmed attendee who opted in to scanning and of one who did not, read from the live DB."""
    path = database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        query = (
            "SELECT badge_code FROM registration WHERE status = 'confirmed' AND consent_scanning = ? LIMIT 1"
        )
        return db.execute(query, (1,)).fetchone()[0], db.execute(query, (0,)).fetchone()[0]


async def test_company_searches_needs_and_staff_record_leads(live_server, page) -> None:
    url = live_server.url
    people = json.loads((ROOT / "seed" / "participants.json").read_text("utf-8"))["participants"]
    company = next(
        p["email"] for p in people if p["category"] == "company" and "YUSA" not in p["organization"]
    )
    await sign_in(page, url, company, "/marketplace")

    await page.click("[data-testid=tab-needs]")
    await page.wait_for_url(re.compile(r".*kind=needs.*"))
    search = page.locator("#f-q")
    await search.fill("汚泥")
    await page.wait_for_url(re.compile(r".*q=%E6%B1%9A%E6%B3%A5.*"))  # htmx pushed the query, no reload
    results = page.locator("[data-testid=results] h2")
    assert "Septage and sludge dewatering for a city with no sewer network" in await results.all_inner_texts()
    await search.fill("landfill")
    await page.wait_for_url(re.compile(r".*q=landfill.*"))
    titles = await results.all_inner_texts()
    assert titles and all(
        "Mandaue" in t or "landfill" in t.lower() or "dumpsite" in t.lower() for t in titles[:1]
    )
    assert "Septage and sludge dewatering for a city with no sewer network" not in titles

    await search.fill("septage")
    await page.wait_for_url(re.compile(r".*q=septage.*"))
    await page.get_by_role(
        "link", name="Septage and sludge dewatering for a city with no sewer network"
    ).click()
    suggestions = page.locator("[data-testid=suggestions] li")
    assert await suggestions.count() >= 3
    assert "Why: both:" in await suggestions.first.locator("[data-testid=reason]").inner_text()
    first_title = await suggestions.first.locator("h3 a").inner_text()
    await suggestions.first.locator("h3 a").click()
    await page.wait_for_url(re.compile(r".*/marketplace/solutions/\d+$"))
    assert (
        await page.locator("h1").inner_text() == first_title
        or first_title in await page.locator("h1").inner_text()
    )

    shared, not_shared = badge_codes(live_server.env["ASCC_DATABASE_URL"])
    await sign_in(page, url, "exhibitor@example.org", "/exhibitor/leads")
    await page.fill("#f-code", shared.lower().replace("-", ""))
    await page.click("form.row-form button[type=submit]")
    assert await page.locator("[data-testid=scan-result]").inner_text() == "Lead recorded."
    assert await page.locator("[data-testid=leads] li.card").count() == 1
    await page.fill("#f-code", not_shared)
    await page.click("form.row-form button[type=submit]")
    refused = await page.locator("[data-testid=scan-result]").inner_text()
    assert refused.startswith("Not shared")
    assert await page.locator("[data-testid=leads] li.card").count() == 1
