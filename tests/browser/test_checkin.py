"""The check-in page in a real browser: a delegate's badge decoded from its PNG, typed at the entrance while
online (OK with the name), then the network is cut: a badge is verified in the browser with the public key
(OK), the same badge again (ALREADY CHECKED IN), a forged one (INVALID); back online the queue is sent and
the server counts both people once. The organizers' live page updates over server-sent events."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from tests.browser.test_marketplace import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def first_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-13T08:30+09:00")


async def badge_of(page, url: str, email: str) -> tuple[str, str]:
    """(signed QR text, short code) of a demo participant: the QR read back from the PNG of their badge."""
    await sign_in(page, url, email, "/badge")
    short = await page.locator(".hint").inner_text()
    png = await page.request.get(f"{url}/api/v1/me/badge.png")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(await png.body())))
    return found[0].text, short.split("type ")[1].rstrip(".")


async def test_checkin_online_then_offline_then_synced(first_morning, live_server, page) -> None:
    url = live_server.url
    delegate_qr, delegate_short = await badge_of(page, url, "delegate@example.org")
    other_qr, _ = await badge_of(page, url, "t.morimoto@yokohama.example.org")
    forged = other_qr[:60] + ("A" if other_qr[60] != "A" else "B") + other_qr[61:]

    await sign_in(page, url, "checkin@example.org", "/checkin")
    answer = page.locator("[data-testid=answer]")
    await page.fill("[data-testid=code]", delegate_short)
    await page.click("[data-testid=check]")
    await page.locator("[data-testid=answer][data-result=ok]").wait_for()
    assert "OK" in await answer.inner_text()
    assert "Maria" in await answer.locator(".answer-person").inner_text()

    await page.context.set_offline(True)
    for code, expected in ((other_qr, "ok"), (other_qr, "duplicate"), (forged, "invalid")):
        await page.fill("[data-testid=code]", code)
        await page.click("[data-testid=check]")
        await page.locator(f"[data-testid=answer][data-result={expected}]").wait_for()
        assert "verified on this device" in await answer.inner_text()
    assert (
        await page.locator("[data-testid=net]").inner_text() == "OFFLINE: badges are checked on this device"
    )
    assert await page.locator("[data-testid=queued]").inner_text() == "2"

    await page.context.set_offline(False)
    await page.locator("[data-testid=queued]:text-is('0')").wait_for()
    stats = await (await page.request.get(f"{url}/api/v1/checkin/stats")).json()
    assert stats["entrance_today"] == 2
    assert stats["results_today"] == {"ok": 2, "duplicate": 1}

    await page.goto(f"{url}/organizer/checkin")
    assert await page.locator("[data-testid=entrance-today]").inner_text() == "2"
    scans = await page.locator("[data-testid=scans] tbody tr").all_inner_texts()
    assert "synced from offline" in scans[0]

    await page.goto(f"{url}/checkin")
    await page.fill("[data-testid=code]", delegate_qr)  # the QR of the badge whose short code was typed
    await page.click("[data-testid=check]")
    await page.locator("[data-testid=answer][data-result=duplicate]").wait_for()
    assert "ALREADY CHECKED IN" in await answer.inner_text()
    assert "first at" in await answer.locator(".answer-detail").inner_text()
