"""Certificates of attendance as people use them: the page and its PDF in both languages, the public verify
page and API, the organizer's page (threshold, revoking with a reason, the mailing), errors that say what to fix."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.certificates import mailing
from ascc.db import create_engine
from tests.certificates.conftest import AFTER, DURING, build_world
from tests.factories import PASSWORD
from tests.support.pdf import pdf_text
from tests.support.web import sign_in, submit, text_of


@pytest.fixture
async def world(settings, monkeypatch):
    monkeypatch.setenv("ASCC_NOW", AFTER)
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_world(session)
        organizer = await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Aiko Organizer"
        )
        w.organizer_token, _ = await accounts.create_api_token(session, organizer.id)
        w.onsite_token, _ = await accounts.create_api_token(session, w.onsite.user_id)
        w.absent_token, _ = await accounts.create_api_token(session, w.absent.user_id)
        await session.commit()
    await engine.dispose()
    return w


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def qr_text(pdf: bytes) -> str:
    images = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    found = [
        code.text for image in images for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    ]
    assert len(found) == 1, found
    return found[0]


async def test_checked_in_delegate_downloads_a_bilingual_certificate_that_verifies(client, world) -> None:
    await sign_in(client, "haruka@example.org", PASSWORD)
    page = await client.get("/certificate")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Your certificate of attendance is ready" in text
    assert "Keynote on VLRs" in text and "Minato Mirai smart city" in text and "Somchai Jaidee" in text

    answer = await client.get("/certificate/certificate.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = pdf_text(answer.content)
    for words in (
        "Certificate of Attendance",
        "参加証明書",
        "Haruka Sato",
        "佐藤 遥",
        "Keynote on VLRs",
        "VLR基調講演",
        "Energy management",
        "エネルギー管理",
        "Somchai Jaidee",
        "実施した商談",
    ):
        assert words in pdf, words
    url = qr_text(answer.content)
    assert url.startswith("http://testserver.local/certificates/verify/")
    assert url in re.sub(r"\s+", "", pdf)  # the address is printed too, for those who cannot scan

    verify = await client.get(url.removeprefix("http://testserver.local"))
    assert verify.status_code == 200
    assert "Valid" in text_of(verify.text) and "Haruka Sato" in text_of(verify.text)
    # The Japanese page says the same.
    await client.get("/lang/ja?next=/")
    assert "有効" in text_of((await client.get(url.removeprefix("http://testserver.local"))).text)
    assert "参加証明書" in text_of((await client.get("/certificate")).text)


async def test_api_mine_verify_and_organizer_revoke(client, world) -> None:
    mine = (await client.get("/api/v1/me/certificate", headers=bearer(world.onsite_token))).json()
    assert mine["available"] is True and mine["on_site"] is True and mine["reference"] is None
    assert [s["ja"] for s in mine["sessions"]] == ["VLR基調講演"]
    pdf = await client.get("/api/v1/me/certificate.pdf", headers=bearer(world.onsite_token))
    assert pdf.status_code == 200
    code = qr_text(pdf.content).rsplit("/", 1)[1]
    reference = code.split(".")[0]
    verdict = (await client.get(f"/api/v1/certificates/verify/{code}")).json()
    assert verdict["status"] == "valid" and verdict["name_latin"] == "Haruka Sato"
    assert (await client.get(f"/api/v1/certificates/verify/{code[:-3]}abc")).json()["status"] == "unknown"

    org = bearer(world.organizer_token)
    refused = await client.post(
        f"/api/v1/organizer/certificates/{reference}/revoke", json={"reason": "boredom"}, headers=org
    )
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    refused = await client.post(
        f"/api/v1/organizer/certificates/{reference}/revoke", json={"reason": "other"}, headers=org
    )
    assert refused.status_code == 422 and refused.json()["field"] == "note"
    missing = await client.post(
        "/api/v1/organizer/certificates/nope/revoke", json={"reason": "error"}, headers=org
    )
    assert missing.status_code == 404
    done = await client.post(
        f"/api/v1/organizer/certificates/{reference}/revoke", json={"reason": "error"}, headers=org
    )
    assert done.status_code == 200 and done.json()["reason"] == "error"
    assert (await client.get(f"/api/v1/certificates/verify/{code}")).json()["status"] == "revoked"
    again = await client.get("/api/v1/me/certificate.pdf", headers=bearer(world.onsite_token))
    assert again.status_code == 403 and again.json()["error"] == "revoked"

    overview = (await client.get("/api/v1/organizer/certificates", headers=org)).json()
    assert overview == {"eligible": 3, "issued": 1, "revoked": 1, "notified": 0, "online_minutes": 60}
    bad = await client.put("/api/v1/organizer/certificates/settings", json={"online_minutes": 0}, headers=org)
    assert bad.status_code == 422 and bad.json()["field"] == "online_minutes"
    ok = await client.put("/api/v1/organizer/certificates/settings", json={"online_minutes": 20}, headers=org)
    assert ok.json()["eligible"] == 4


async def test_people_without_a_certificate_are_told_why(client, world, monkeypatch) -> None:
    absent = await client.get("/api/v1/me/certificate.pdf", headers=bearer(world.absent_token))
    assert absent.status_code == 403 and absent.json()["error"] == "not_attended"
    await sign_in(client, "bat@example.org", PASSWORD)
    page = await client.get("/certificate")
    assert "We have no record of your attendance" in text_of(page.text)
    monkeypatch.setenv("ASCC_NOW", DURING)
    early = await client.get("/api/v1/me/certificate.pdf", headers=bearer(world.onsite_token))
    assert early.status_code == 409 and early.json()["error"] == "not_ended"
    assert "after the conference" in text_of((await client.get("/certificate")).text)


async def test_organizer_page_threshold_revoke_and_mailing(client, world, settings) -> None:
    await sign_in(client, "org@example.org", PASSWORD)
    page = await client.get("/organizer/certificates")
    assert page.status_code == 200 and 'data-testid="eligible">3<' in page.text
    bad = await submit(client, "/organizer/certificates/settings", {"online_minutes": "lots"})
    assert bad.status_code == 422 and "Enter a whole number of minutes from 1 to 1440" in text_of(bad.text)
    unknown = await submit(client, "/organizer/certificates/revoke", {"reference": "nope", "reason": "error"})
    assert unknown.status_code == 422
    empty = await submit(client, "/organizer/certificates/revoke", {})
    assert empty.status_code == 422 and "Choose a reason from the list" in text_of(empty.text)
    started = await submit(client, "/organizer/certificates/mailings", {})
    assert started.status_code == 303
    progress_url = started.headers["location"]
    engine = create_engine(settings.database_url)
    try:  # the job runs beside the request: wait for it as the progress page does
        job_id = int(progress_url.rsplit("/", 1)[1])
        for _ in range(100):
            async with async_sessionmaker(engine)() as session:
                job = await mailing.get(session, world.edition_id, job_id)
            if job.status in ("done", "failed"):
                break
            import asyncio

            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    done = await client.get(progress_url)
    assert 'data-status="done"' in done.text and "3 mails sent to 3 eligible people" in text_of(done.text)


async def test_names_in_every_script_render_in_the_pdf(inputs) -> None:
    """Every name of tests/data/inputs.json in one certificate (one PDF: a second each): the holder's own name in
    Arabic, the others as meeting partners; emoji and hostile text are printed as text or left out, never a 500."""
    from ascc.certificates.render import CertificateData, Item, render_certificate

    people = inputs["names"]
    data = CertificateData(
        "REF",
        "http://testserver.local/certificates/verify/REF.sig",
        "Fatima Al-Sayed",
        "فاطمة السيد 👩🏽‍💼",
        inputs["hostile"][0],
        "12th ASCC",
        "第12回ASCC",
        "13–15 November 2023",
        "2023年11月13日～15日",
        "Pacifico Yokohama",
        "パシフィコ横浜",
        "Issued",
        "発行日",
        0,
        [Item(trap, trap) for trap in inputs["unicode_traps"]],
        [],
        [Item(f"Business meeting with {p['latin']} {p['local']}", f"{p['local']}との商談") for p in people],
    )
    pdf = render_certificate(data)
    text = "".join(pdf_text(pdf).split())
    for person in people:
        assert "".join(person["latin"].split()) in text, person
        if person["country"] in ("JP", "CN", "KR", "VN", "PH", "MN", "TH", "MY", "ID"):
            assert "".join(person["local"].split()) in text, person
    assert "<script>alert(1)</script>" in text
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    # Shaped scripts are drawn from their own Noto fonts (text extraction cannot show their order).
    for script in ("Thai", "Sinhala", "Bengali", "Khmer", "Myanmar", "Arabic"):
        assert any(script in name for name in fonts), (script, fonts)
