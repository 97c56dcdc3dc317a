"""Visa letters through the pages and the JSON API: the request form in both languages with bad passport data
refused beside its field (never a 500, nothing written), the API's 4xx naming field and reason, the organizers'
queue and bulk approval, the download refused before approval, and the public verification in both
languages with no personal data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.mail import services as mail
from ascc.registration import registering
from ascc.registration.models import VisaLetter
from tests.factories import PASSWORD, make_edition, make_user
from tests.registration.conftest import BASE, entry
from tests.support.web import post_form, sign_in, text_of

PAGE = "/registration/visa"


@pytest.fixture
async def world(settings, monkeypatch):
    """A confirmed in-person participant and an organizer, each with an API token."""
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await make_edition(session, "ascc2023")
        lan = await make_user(session, "lan@example.org", name="Nguyen Thi Lan", name_local="Nguyễn Thị Lan")
        await registering.register(session, edition.id, lan.id, entry(country="VN"), BASE, notify=False)
        boss = await make_user(session, "boss@example.org", role="organizer", name="Yuki Tanaka")
        tokens = {
            "lan": (await accounts.create_api_token(session, lan.id))[0],
            "boss": (await accounts.create_api_token(session, boss.id))[0],
        }
        await session.commit()
        session.info["tokens"] = tokens
        yield session
    await engine.dispose()


def bearer(world, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.info['tokens'][who]}"}


async def _letters(world) -> int:
    world.expire_all()
    return await world.scalar(select(func.count(VisaLetter.id)))


async def test_the_request_form_refuses_bad_input_beside_each_field_in_both_languages(
    client, world, inputs
) -> None:
    await sign_in(client, "lan@example.org", PASSWORD)
    english = text_of((await client.get(PAGE)).text)
    assert "Ask for an invitation letter" in english and "stored encrypted" in english
    for hostile in [*inputs["hostile"], "x" * inputs["lengths"]["overlong"]]:
        refused = await post_form(
            client, PAGE, {"passport_number": hostile, "date_of_birth": hostile, "nationality": hostile}
        )
        assert refused.status_code == 422, hostile
        assert refused.text.count('aria-invalid="true"') == 3, hostile  # each field says what to fix
        assert "<script>alert(1)</script>" not in refused.text  # typed text comes back escaped
    shown = text_of(refused.text)
    assert "letters and digits only" in shown and "YYYY-MM-DD" in shown and "choose your nationality" in shown
    tomorrow = await post_form(
        client, PAGE, {"passport_number": "P1234567", "date_of_birth": "2023-10-21", "nationality": "VN"}
    )
    assert tomorrow.status_code == 422 and "a date in the past" in text_of(tomorrow.text)
    assert 'value="P1234567"' in tomorrow.text  # what was typed stays
    assert await _letters(world) == 0
    await client.get("/lang/ja")
    japanese = text_of(
        (
            await post_form(
                client, PAGE, {"passport_number": "P1", "date_of_birth": "1980-05-17", "nationality": "VN"}
            )
        ).text
    )
    assert "招へい状を請求する" in japanese and "旅券番号は英字と数字のみ" in japanese
    sent = await post_form(
        client,
        PAGE,
        {"passport_number": "C1234567", "date_of_birth": "1984-02-29", "nationality": "VN"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = text_of((await client.get(PAGE + "?done=requested")).text)
    assert "ご請求を受け付けました" in page and "末尾 …67" in page and "確認待ち" in page
    reference = await world.scalar(select(VisaLetter.reference))
    early = await client.get(f"{PAGE}/{reference}/letter.pdf")
    assert early.status_code == 409 and "承認後にダウンロード" in text_of(early.text)
    [received] = [m for m in await mail.messages_to(world, "lan@example.org") if m.kind.startswith("visa")]
    assert "招へい状のご請求を受け付けました" in received.subject  # the language the person chose first
    assert "Visa invitation letter: request received" in received.subject


async def test_the_api_names_field_and_reason_then_the_queue_approves_and_the_public_verifies(
    client, world
) -> None:
    api = "/api/v1/registrations/me/visa-letter"
    assert (await client.get(api, headers=bearer(world, "lan"))).status_code == 404
    refused = await client.post(
        api,
        headers=bearer(world, "lan"),
        json={"passport_number": "<script>", "date_of_birth": "1980-13-01", "nationality": "ZZ"},
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid" and body["field"] == "passport_number"
    assert {e["field"] for e in body["extra"]} == {"passport_number", "date_of_birth", "nationality"}
    assert all(e["reason"] for e in body["extra"])
    wrong_shape = await client.post(api, headers=bearer(world, "lan"), json={"passport_number": 12})
    assert wrong_shape.status_code == 400
    created = await client.post(
        api,
        headers=bearer(world, "lan"),
        json={"passport_number": "C1234567", "date_of_birth": "1984-02-29", "nationality": "VN"},
    )
    assert created.status_code == 201, created.text
    letter = created.json()
    assert (letter["status"], letter["download_url"], letter["passport_on_file"]) == ("requested", None, True)
    again = await client.post(
        api,
        headers=bearer(world, "lan"),
        json={"passport_number": "C1234567", "date_of_birth": "1984-02-29", "nationality": "VN"},
    )
    assert again.status_code == 409 and again.json()["error"] == "visa_already_requested"

    assert (await client.get("/api/v1/visa-letters", headers=bearer(world, "lan"))).status_code == 403
    queue = (await client.get("/api/v1/visa-letters?status=requested", headers=bearer(world, "boss"))).json()
    assert [(q["name"], q["passport_number"], q["nationality"]) for q in queue] == [
        ("Nguyen Thi Lan (Nguyễn Thị Lan)", "C1234567", "VN")
    ]
    await sign_in(client, "boss@example.org", PASSWORD)
    listing = text_of((await client.get("/organizer/visa-letters")).text)
    assert "Nguyen Thi Lan" in listing and "C1234567" in listing and "29 February 1984" in listing
    approved = await post_form(
        client, "/organizer/visa-letters/approve", {"ids": [str(letter["id"])]}, follow_redirects=False
    )
    assert approved.headers["location"] == "/organizer/visa-letters?done=approved&n=1"
    twice = await client.post(
        "/api/v1/visa-letters/approve", headers=bearer(world, "boss"), json={"ids": [letter["id"]]}
    )
    assert twice.status_code == 409 and twice.json()["error"] == "visa_not_requested"
    empty = await client.post("/api/v1/visa-letters/approve", headers=bearer(world, "boss"), json={"ids": []})
    assert empty.status_code == 422 and empty.json()["field"] == "ids"
    mine = (await client.get(api, headers=bearer(world, "lan"))).json()
    assert mine["status"] == "approved" and mine["download_url"].endswith("/letter.pdf")
    [approved_mail] = [
        m for m in await mail.messages_to(world, "lan@example.org") if m.kind == "visa_letter_approved"
    ]
    assert "Where: Pacifico Yokohama North" in approved_mail.body_text

    reference = letter["reference"]
    verified = await client.get(f"/api/v1/visa-letters/verify/{reference.lower()}")
    assert verified.json() == {
        "reference": reference,
        "status": "valid",
        "edition": "Edition ascc2023",
        "issued_on": "2023-10-20",
    }
    public = await client.get(f"/letters/verify/{reference}")
    shown = text_of(public.text)
    assert "Valid" in shown and "Edition ascc2023" in shown and "20 October 2023" in shown
    revoked = await client.post(f"/api/v1/visa-letters/{letter['id']}/revoke", headers=bearer(world, "boss"))
    assert revoked.json()["status"] == "revoked"
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("ascc_csrf", "")})
    await client.get("/lang/ja")
    public = await client.get(f"/letters/verify?reference={reference}")
    shown = text_of(public.text)
    assert "取り消し（無効）" in shown and reference in shown
    for personal in ("Nguyen", "Lan", "C1234567", "1984", "Vietnam", "ベトナム", "lan@example.org"):
        assert personal not in shown, personal
    unknown = text_of((await client.get("/letters/verify/V-AAAA-BBBB")).text)
    assert "該当なし" in unknown
