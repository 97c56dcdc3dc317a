"""The audit page in Chromium: at 1280 px names and actions are never broken mid-word, and on a phone (390 px)
the page does not scroll sideways (the table scrolls in its own box)."""

from __future__ import annotations

import re
import sqlite3

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")  # one Chromium per process

# The first word of the element's text that the browser broke across two lines, or null.
BROKEN_WORD = """e => {
  const node = e.firstChild, text = node.textContent;
  let from = 0;
  for (const word of text.split(/\\s+/).filter(Boolean)) {
    const start = text.indexOf(word, from), range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, start + word.length);
    if (range.getClientRects().length > 1) return word;
    from = start + word.length;
  }
  return null;
}"""
LONG = "https://example.org/" + "a-very-long-address-without-spaces" * 4


def _entries(database_url: str) -> None:
    path = database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        [organizer] = db.execute(
            "SELECT id FROM user_account WHERE email = 'organizer@example.org'"
        ).fetchone()
        for n in range(3):
            db.execute(
                "INSERT INTO audit_entry (actor_id, actor_name, actor_role, action, target_type, target_id, target_label,"
                " before, after, created_at, updated_at)"
                " VALUES (?, 'Organizer Administrator', 'organizer', 'campaigns.send', 'campaign', ?, ?, NULL, ?,"
                " '2023-10-01 01:00:00', '2023-10-01 01:00:00')",
                (organizer, n + 1, LONG, '{"segment": "tour:2", "figures": {"participants_in_person": 120}}'),
            )


async def test_the_log_reads_at_1280_and_fits_a_phone(live_server, page) -> None:
    _entries(live_server.env["ASCC_DATABASE_URL"])
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{live_server.url}/login?next=/organizer/audit")
    await page.fill("#f-email", "organizer@example.org")
    await page.fill("#f-password", "ascc-demo")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(".*/organizer/audit$"))
    await page.goto(f"{live_server.url}/lang/en?next=/organizer/audit")
    await page.goto(f"{live_server.url}/organizer/audit?action=campaigns.send")
    rows = page.locator('[data-testid="audit-row"][data-action="campaigns.send"]')
    assert await rows.count() == 3
    row = rows.first
    for selector in ("td:nth-child(2) a", "td:nth-child(3) code", "td:nth-child(3) a"):
        broken = await row.locator(selector).evaluate(BROKEN_WORD)
        assert broken is None, (selector, broken)
    assert "Booked on a site visit: 2" in await row.inner_text()  # "tour:2" told in words
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    width = await page.evaluate("document.documentElement.scrollWidth")
    wide = await page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391).slice(0, 12).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert width <= 390, (width, wide)
