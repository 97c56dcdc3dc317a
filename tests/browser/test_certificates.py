"""The certificate of attendance in a real browser: after the conference the checked-in delegate downloads it
from their page; the PDF names their sessions, tour and meeting in English and Japanese and its QR code leads
to the public verify page, which says valid, and revoked once an organizer revokes it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.certificates import demo as certificates_demo
from ascc.editions import services as editions
from tests.browser.test_marketplace import sign_in
from tests.support.pdf import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process


@pytest.fixture
def after_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-16T10:00+09:00")


async def _the_conference_happened(live_server) -> None:
    """The browser tests' demo is seeded before the conference: its attendance (check-ins at the door, in the
    sessions and on the tour bus, minutes watched) is recorded now, as the demo records it when seeded after."""
    engine = db.create_engine(live_server.env["ASCC_DATABASE_URL"])
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        assert await certificates_demo.load_attendance(session, await editions.current(session)) > 0
        await session.commit()
    await engine.dispose()


async def test_a_checked_in_delegate_downloads_a_certificate_anyone_can_verify(
    after_the_conference, live_server, page, tmp_path: Path
) -> None:
    url = live_server.url
    await _the_conference_happened(live_server)
    await sign_in(page, url, "delegate@example.org", "/certificate")
    assert "ready" in await page.locator("[data-testid=certificate-ready]").inner_text()
    async with page.expect_download() as download_info:
        await page.click("[data-testid=certificate-pdf]")
    saved = tmp_path / "certificate.pdf"
    await (await download_info.value).save_as(saved)
    pdf = saved.read_bytes()
    text = pdf_text(pdf)
    for words in (
        "Certificate of Attendance",
        "参加証明書",
        "Keynote: Asian cities connected by zero carbon",  # a session, in English
        "Sessions attended",
        "参加したセッション",
        "Site visits",
        "参加した視察ツアー",
        "Business meetings held",
        "実施した商談",
    ):
        assert words in text, words
    assert re.search(r"Tour B: Hokubu", text) and "基調講演" in text
    images = [image for p in PdfReader(io.BytesIO(pdf)).pages for image in p.images]
    codes = [c.text for image in images for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    assert len(codes) == 1 and "/certificates/verify/" in codes[0]
    verify_path = "/certificates/verify/" + codes[0].rsplit("/certificates/verify/", 1)[1]
    reference = verify_path.rsplit("/", 1)[1].split(".")[0]

    # Anyone (signed out) opens the address of the QR code.
    await page.context.clear_cookies()
    await page.goto(f"{url}{verify_path}")
    verdict = page.locator("[data-testid=verdict]")
    assert await verdict.get_attribute("data-status") == "valid"
    assert "Valid" in await verdict.inner_text()
    assert await page.locator("[data-testid=edition]").inner_text() != ""
    holder = await page.locator("[data-testid=holder]").inner_text()

    # An organizer revokes it with a reason.
    await sign_in(page, url, "organizer@example.org", "/organizer/certificates")
    form = page.locator("[data-testid=revoke-form]")
    await form.locator("#reference").fill(reference)
    await form.locator("#reason").select_option("error")
    await form.locator("#note").fill("Checked in by mistake at the entrance")
    await form.locator("button[type=submit]").click()
    await page.wait_for_url(re.compile(r".*/organizer/certificates\?revoked=1$"))
    assert holder.split(" (")[0] in await page.locator("[data-testid=certificate-row]").first.inner_text()

    await page.context.clear_cookies()
    await page.goto(f"{url}{verify_path}")
    assert await page.locator("[data-testid=verdict]").get_attribute("data-status") == "revoked"
    assert "Revoked" in await page.locator("[data-testid=verdict]").inner_text()
