"""The check-in page in a real browser: a delegate's badge decoded from its PNG, typed at the entrance while
online (OK with the name), then the network is cut: a badge is verified in the browser with the public key
(OK), the same badge again (ALREADY CHECKED IN), a forged one (INVALID); back online the queue is sent and
the server counts both people once. The organizers' live page updates over server-sent events.

From a cold start (the page opened online, then the network gone) the camera, fed a real badge PNG as its
video, reads the badge and the verdict names the person; a typed code says it could not be verified; a reload
without network still opens the page. Two phones on one check-in account: one signing out leaves the other
working; after "sign out everywhere" the other says it is signed out (never INVALID) and keeps the scan."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS
from tests.browser.test_marketplace import sign_in
from tests.support import needs

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


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

    # A phone still set to another zone: times on the page stay conference time.
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
    await page.goto(f"{url}/checkin")
    await page.fill("[data-testid=code]", delegate_qr)  # the QR of the badge whose short code was typed
    await page.click("[data-testid=check]")
    await page.locator("[data-testid=answer][data-result=duplicate]").wait_for()
    assert "ALREADY CHECKED IN" in await answer.inner_text()
    assert "first at 08:30 ·" in await answer.locator(".answer-detail").inner_text()  # not 18:30 of New York


async def test_japanese_checkin_page_answers_in_japanese_online_and_offline(
    first_morning, live_server, page
) -> None:
    url = live_server.url
    delegate_qr, delegate_short = await badge_of(page, url, "delegate@example.org")
    forged = delegate_qr[:60] + ("A" if delegate_qr[60] != "A" else "B") + delegate_qr[61:]
    await sign_in(page, url, "checkin@example.org", "/checkin")
    await page.goto(f"{url}/lang/ja?next=/checkin")
    detail = page.locator("[data-testid=answer] .answer-detail")
    for expected in ("ok", "duplicate"):
        await page.fill("[data-testid=code]", delegate_short)
        await page.click("[data-testid=check]")
        await page.locator(f"[data-testid=answer][data-result={expected}]").wait_for()
    shown = await detail.inner_text()
    assert "都市・政府関係者" in shown and "会場入口" in shown, shown
    assert "city official" not in shown and "Venue entrance" not in shown

    await page.context.set_offline(True)
    await page.fill("[data-testid=code]", forged)
    await page.click("[data-testid=check]")
    await page.locator("[data-testid=answer][data-result=invalid]").wait_for()
    assert "署名が一致しません" in await detail.inner_text()


async def badge_png(url: str, email: str) -> bytes:
    """A demo participant's badge as the PNG they download for their phone."""
    async with httpx.AsyncClient(base_url=url) as client:
        await client.get("/login")
        form = {"email": email, "password": "ascc-demo", "_csrf_token": client.cookies["ascc_csrf"]}
        await client.post("/login", data=form)
        response = await client.get("/api/v1/me/badge.png")
        assert response.status_code == 200
        return response.content


def y4m_video(png: bytes, path: Path, frames: int = 5) -> Path:
    """The badge as a short Y4M video (4:2:0), which Chromium can play as its fake camera."""
    badge = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = -(-badge.width // 16) * 16, -(-badge.height // 16) * 16
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(badge, ((width - badge.width) // 2, (height - badge.height) // 2))
    luma, blue, red = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


@asynccontextmanager
async def camera_page(video: Path) -> AsyncIterator:
    """A Chromium page whose camera films `video`."""
    needs.installed(CHROMIUM is not None, "Chromium (Debian package chromium)")
    from playwright.async_api import async_playwright

    camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*LAUNCH_ARGS, *camera, f"--use-file-for-fake-video-capture={video}"],
        )
        context = await browser.new_context(locale="en-US", permissions=["camera"])
        page = await context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


async def test_checkin_camera_reads_a_badge_offline_after_a_cold_start(
    first_morning, live_server, tmp_path
) -> None:
    url = live_server.url
    video = y4m_video(await badge_png(url, "delegate@example.org"), tmp_path / "badge.y4m")
    async with camera_page(video) as page:
        await sign_in(page, url, "t.morimoto@yokohama.example.org", "/badge")
        other_short = (await page.locator(".hint").inner_text()).split("type ")[1].rstrip(".")
        await sign_in(page, url, "checkin@example.org", "/checkin")
        # Opened online: the reader, the names and the offline copy are fetched while the page loads.
        await page.locator("#checkin[data-reader=ready][data-offline-copy=ready][data-roster]").wait_for()
        await page.context.set_offline(True)
        answer = page.locator("[data-testid=answer]")

        await page.click("[data-testid=camera]")
        await page.locator("[data-testid=answer][data-result=ok]").wait_for()
        assert await answer.locator(".answer-person").inner_text() == "Maria Cristina Reyes · Cebu City"
        assert "verified on this device" in await answer.locator(".answer-detail").inner_text()
        # The phone is put down: the badge would count again as a duplicate after five seconds in view.
        await page.evaluate(
            "document.getElementById('camera').srcObject.getTracks().forEach((t) => t.stop())"
        )

        await page.fill("[data-testid=code]", other_short)
        await page.click("[data-testid=check]")
        await page.locator("[data-testid=answer][data-result=unverified]").wait_for()
        assert await answer.locator(".answer-word").inner_text() == "NOT VERIFIED ON THIS PHONE"
        assert "can only be checked by the server" in await answer.locator(".answer-detail").inner_text()

        await page.reload()  # no network: the service worker's copy of the page
        await page.fill("[data-testid=code]", other_short)
        await page.click("[data-testid=check]")
        await page.locator("[data-testid=answer][data-result=unverified]").wait_for()
        assert await page.locator("[data-testid=queued]").inner_text() == "3"

        await page.context.set_offline(False)
        await page.locator("[data-testid=queued]:text-is('0')").wait_for()
        stats = await (await page.request.get(f"{url}/api/v1/checkin/stats")).json()
    assert (stats["entrance_today"], stats["results_today"]) == (2, {"ok": 2, "duplicate": 1})


async def test_checkin_phone_signed_out_elsewhere_says_so_and_keeps_the_scan(
    first_morning, live_server, page
) -> None:
    url = live_server.url
    _, maria = await badge_of(page, url, "delegate@example.org")
    _, morimoto = await badge_of(page, url, "t.morimoto@yokohama.example.org")
    phone_b = page
    phone_a = await page.context.browser.new_page(locale="en-US")
    phone_a.set_default_timeout(30_000)
    await sign_in(phone_a, url, "checkin@example.org", "/checkin")
    await sign_in(phone_b, url, "checkin@example.org", "/checkin")
    answer = phone_b.locator("[data-testid=answer]")

    await phone_a.click("header button:text-is('Sign out')")  # this phone only
    await phone_a.wait_for_url(f"{url}/")
    await phone_b.fill("[data-testid=code]", maria)
    await phone_b.click("[data-testid=check]")
    await phone_b.locator("[data-testid=answer][data-result=ok]").wait_for()
    assert "Maria Cristina Reyes" in await answer.locator(".answer-person").inner_text()

    await sign_in(phone_a, url, "checkin@example.org", "/account")
    await phone_a.click("[data-testid=logout-everywhere]")  # a lost phone: every session of the account ends
    await phone_a.wait_for_url(f"{url}/")
    await phone_b.fill("[data-testid=code]", morimoto)
    await phone_b.click("[data-testid=check]")
    await phone_b.locator("[data-testid=answer][data-result=signed_out]").wait_for()
    assert await answer.locator(".answer-word").inner_text() == "THIS PHONE IS SIGNED OUT"
    assert "INVALID" not in await answer.inner_text()
    assert await phone_b.locator("[data-testid=signed-out]").is_visible()
    assert await phone_b.locator("[data-testid=queued]").inner_text() == "1"

    await phone_b.click("[data-testid=sign-in-again]")
    await phone_b.fill("#f-email", "checkin@example.org")
    await phone_b.fill("#f-password", "ascc-demo")
    await phone_b.click("main button[type=submit]")
    await phone_b.wait_for_url(f"{url}/checkin")
    await phone_b.locator("[data-testid=queued]:text-is('0')").wait_for()
    stats = await (await phone_b.request.get(f"{url}/api/v1/checkin/stats")).json()
    await phone_a.close()
    assert (stats["entrance_today"], stats["results_today"]) == (2, {"ok": 2})
