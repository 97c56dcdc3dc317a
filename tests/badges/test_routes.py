"""Badges and check-in as people use them: my badge as SVG, PNG (its QR decoded by a real decoder) and PDF
with the Japanese name in it; the check-in API for staff only; badge sheets in the background with progress;
reissuing a lost badge; the live figures page and its event stream."""

from __future__ import annotations

import asyncio
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.badges import checkin, signing
from ascc.badges.models import Badge
from ascc.badges.routes import checkin_labels
from ascc.db import create_engine
from ascc.mail.models import OutboxMessage
from ascc.registration import services as registration
from tests.badges.conftest import PASSWORD, build_badges
from tests.support.live import live_server
from tests.support.pdf import pdf_text
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_badges(session)
        organizer = await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
        )
        staff = await accounts.create_user(
            session, email="gate@example.org", role="checkin", password=PASSWORD, name_latin="Gate Staff"
        )
        w.organizer, w.staff = organizer.id, staff.id
        await session.execute(
            update(accounts.User).where(accounts.User.id == w.official).values(name_local="マリア・レイエス")
        )
        tokens = {}
        for name in ("official", "bank", "organizer", "staff", "online"):
            tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
        w.tokens = tokens
    await engine.dispose()
    return w


def bearer(w, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.tokens[who]}"}


async def _change_registration(settings, user_id: int, **values) -> None:
    """As an organizer's edit would, outside the app."""
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine)() as session:
        await session.execute(
            update(registration.Registration)
            .where(registration.Registration.user_id == user_id)
            .values(**values)
        )
        await session.commit()
    await engine.dispose()


async def test_my_badge_png_decodes_to_a_code_the_public_key_verifies(client, world) -> None:
    png = await client.get("/api/v1/me/badge.png", headers=bearer(world, "official"))
    key = await client.get("/api/v1/badges/public-key")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert (png.status_code, png.headers["content-type"], key.status_code) == (200, "image/png", 200)
    assert len(found) == 1
    payload = signing.verify(
        found[0].text,
        signing.load_public(key.text),
        world.edition_id,
        signing.decode(found[0].text)[0].valid_from,
    )
    assert (payload.category, payload.mode) == ("city_official", "in_person")
    answer = await client.post(
        "/api/v1/checkin",
        json={"code": found[0].text, "place_type": "entrance"},
        headers=bearer(world, "staff"),
    )
    assert (answer.json()["result"], answer.json()["registration"]["name_local"]) == (
        "ok",
        "マリア・レイエス",
    )


async def test_my_badge_svg_and_pdf_carry_both_scripts(client, world) -> None:
    svg = await client.get("/api/v1/me/badge.svg", headers=bearer(world, "official"))
    pdf = await client.get("/api/v1/me/badge.pdf", headers=bearer(world, "official"))
    tree = ET.fromstring(svg.text)
    texts = [el.text for el in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[3:7] == ["Maria Reyes", "マリア・レイエス", "Cebu City", "Philippines"]
    assert "マリア・レイエス" in pdf_text(pdf.content).replace(" ", "")
    assert pdf.headers["content-type"] == "application/pdf"


async def test_online_badge_says_online_and_unconfirmed_people_have_none(client, world, settings) -> None:
    svg = await client.get("/api/v1/me/badge.svg", headers=bearer(world, "online"))
    await _change_registration(settings, world.bank, status="waiting")
    none = await client.get("/api/v1/me/badge.png", headers=bearer(world, "bank"))
    await sign_in(client, "bank@example.org", PASSWORD)
    page = await client.get("/badge")
    assert "ONLINE" in svg.text
    assert (none.status_code, none.json()["error"]) == (404, "not_confirmed")
    assert "once your registration is confirmed" in text_of(page.text)


async def test_checkin_api_is_for_checkin_staff_and_organizers_only(client, world) -> None:
    body = {"code": "AAAA-AAAA", "place_type": "entrance"}
    delegate = await client.post("/api/v1/checkin", json=body, headers=bearer(world, "official"))
    anonymous = await client.post("/api/v1/checkin", json=body)
    revoked = await client.get("/api/v1/badges/revoked", headers=bearer(world, "official"))
    stats = await client.get("/api/v1/checkin/stats", headers=bearer(world, "official"))
    staff = await client.post("/api/v1/checkin", json=body, headers=bearer(world, "staff"))
    assert [delegate.status_code, anonymous.status_code, revoked.status_code, stats.status_code] == [
        403,
        401,
        403,
        403,
    ]
    assert (staff.status_code, staff.json()["result"], staff.json()["registration"]) == (200, "invalid", None)


async def test_checkin_api_rejects_bad_fields_with_the_field_named(client, world) -> None:
    wrong_type = await client.post(
        "/api/v1/checkin", json={"code": "x", "place_type": "stage"}, headers=bearer(world, "staff")
    )
    no_place = await client.post(
        "/api/v1/checkin", json={"code": "x", "place_type": "session"}, headers=bearer(world, "staff")
    )
    not_text = await client.post(
        "/api/v1/checkin", json={"code": 12, "place_type": "entrance"}, headers=bearer(world, "staff")
    )
    assert [(r.status_code, r.json().get("field")) for r in (wrong_type, no_place)] == [
        (400, "place_type"),  # not one of the documented values: refused by the parser
        (422, "place_id"),
    ]
    assert not_text.status_code == 400


async def test_checkin_api_answers_a_forged_code_with_a_used_nonce_invalid(client, world) -> None:
    search = await client.get("/api/v1/checkin/search?q=maria", headers=bearer(world, "staff"))
    scan = {"place_type": "entrance", "device_id": "d1", "nonce": "N"}
    genuine = await client.post(
        "/api/v1/checkin",
        json={**scan, "code": search.json()[0]["badge_code"]},
        headers=bearer(world, "staff"),
    )
    forged = await client.post(
        "/api/v1/checkin", json={**scan, "code": "garbage-not-a-badge"}, headers=bearer(world, "staff")
    )
    assert (genuine.json()["result"], genuine.json()["registration"]["name_latin"]) == ("ok", "Maria Reyes")
    assert (forged.status_code, forged.json()["result"], forged.json()["registration"]) == (
        200,
        "invalid",
        None,
    )


async def test_roster_names_badges_in_force_for_staff_without_short_codes(client, world) -> None:
    png = await client.get("/api/v1/me/badge.png", headers=bearer(world, "official"))
    code = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text
    nonce = signing.nonce_text(signing.decode(code)[0].nonce)
    staff = await client.get("/api/v1/checkin/roster", headers=bearer(world, "staff"))
    delegate = await client.get("/api/v1/checkin/roster", headers=bearer(world, "official"))
    assert staff.json()["people"][nonce] == {
        "name_latin": "Maria Reyes",
        "name_local": "マリア・レイエス",
        "organization": "Cebu City",
        "category": "city_official",
    }
    assert (staff.headers["cache-control"], delegate.status_code) == ("private, no-store", 403)
    assert "badge_code" not in staff.text


async def test_checkin_service_worker_may_control_the_checkin_page(client) -> None:
    worker = await client.get("/checkin/sw.js")
    assert (worker.status_code, worker.headers["service-worker-allowed"]) == (200, "/checkin")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert 'const PAGE = "/checkin";' in worker.text


async def test_stats_and_search_for_staff(client, world) -> None:
    reg_code = (await client.get("/api/v1/checkin/search?q=maria", headers=bearer(world, "staff"))).json()
    await client.post(
        "/api/v1/checkin",
        json={"code": reg_code[0]["badge_code"], "place_type": "entrance"},
        headers=bearer(world, "staff"),
    )
    stats = (await client.get("/api/v1/checkin/stats", headers=bearer(world, "staff"))).json()
    assert [p["name_latin"] for p in reg_code] == ["Maria Reyes"]
    assert (stats["day"], stats["entrance_today"], stats["results_today"]) == ("2023-11-14", 1, {"ok": 1})
    assert [(t["name_en"], t["expected"]) for t in stats["tours"]] == [("B · Water reclamation", 1)]
    assert [(s["name_en"], s["checked_in"]) for s in stats["sessions"]] == [("Sludge workshop", 0)]


async def test_organizer_prints_a_badge_sheet_in_the_background(client, world) -> None:
    await sign_in(client, "org@example.org", PASSWORD)
    started = await post_form(client, "/organizer/badges/prints", {"layout": "a4", "category": ""})
    progress_url = started.headers["location"]
    for _ in range(100):
        page = await client.get(progress_url)
        if 'data-status="done"' in page.text:
            break
        await asyncio.sleep(0.1)
    pdf = await client.get(progress_url + "/badges.pdf")
    text = pdf_text(pdf.content).replace(" ", "")
    assert started.status_code == 303
    assert "5badgesin" in text_of(page.text).replace(" ", "")
    assert ["MariaReyes" in text, "AkaneShimizu" in text, "NguyễnThịThu" in text] == [True, True, True]


async def test_lost_badge_is_reissued_with_a_new_code_and_the_old_one_refused(
    client, world, settings
) -> None:
    old_png = await client.get("/api/v1/me/badge.png", headers=bearer(world, "bank"))
    old_code = zxingcpp.read_barcodes(Image.open(io.BytesIO(old_png.content)))[0].text
    mine = (await client.get("/api/v1/checkin/search?q=akane", headers=bearer(world, "staff"))).json()[0]
    await sign_in(client, "org@example.org", PASSWORD)
    # The code first names the person; nothing changes until the organizer confirms with a reason.
    asked = await post_form(client, "/organizer/badges/reissue", {"code": mine["badge_code"]})
    still = (await client.get("/api/v1/badges/revoked", headers=bearer(world, "staff"))).json()
    no_reason = await post_form(
        client, "/organizer/badges/reissue", {"code": mine["badge_code"], "confirm": "yes", "reason": ""}
    )
    page = await post_form(
        client,
        "/organizer/badges/reissue",
        {
            "code": mine["badge_code"],
            "confirm": "yes",
            "reason": "stolen",
            "note": "受付でお受け取りください 🙏",
        },
    )
    unknown = await post_form(client, "/organizer/badges/reissue", {"code": "ZZZZ-ZZZZ"})
    old_qr = await client.post(
        "/api/v1/checkin", json={"code": old_code, "place_type": "entrance"}, headers=bearer(world, "staff")
    )
    old_typed = await client.post(
        "/api/v1/checkin",
        json={"code": mine["badge_code"].lower().replace("-", " "), "place_type": "entrance"},
        headers=bearer(world, "staff"),
    )
    revoked = (await client.get("/api/v1/badges/revoked", headers=bearer(world, "staff"))).json()
    assert "Reissue the badge of Akane Shimizu" in text_of(asked.text)
    assert still["revoked"] == []
    assert (no_reason.status_code, "Choose why the badge is reissued." in text_of(no_reason.text)) == (
        422,
        True,
    )
    assert "the code " + mine["badge_code"] + " is revoked" in text_of(page.text)
    assert (
        unknown.status_code,
        "No confirmed participant has this badge code." in text_of(unknown.text),
    ) == (422, True)
    # The old QR and the old short code both answer REVOKED, naming the person (not "unknown").
    assert (old_qr.json()["result"], old_qr.json()["reason"]) == ("revoked", "stolen")
    assert (old_typed.json()["result"], old_typed.json()["reason"]) == ("revoked", "stolen")
    assert old_typed.json()["registration"]["name_latin"] == "Akane Shimizu"
    assert revoked["revoked"] == [signing.nonce_text(signing.decode(old_code)[0].nonce)]
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine)() as session:
        mail = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "badge_reissued"))
    await engine.dispose()
    assert "no longer open any door" in mail.body_text and "受付でお受け取りください 🙏" in mail.body_text


async def test_checkin_page_and_live_page_for_staff_not_for_delegates(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    refused = await client.get("/checkin")
    client.cookies.clear()
    await sign_in(client, "gate@example.org", PASSWORD)
    scanner = await client.get("/checkin")
    live = await client.get("/organizer/checkin")
    assert refused.status_code == 403
    assert 'data-public-key="' in scanner.text and "Sludge workshop" in scanner.text
    assert "B · Water reclamation" in scanner.text and "Business matching" in scanner.text
    assert (live.status_code, 'sse-connect="/organizer/checkin/stream"' in live.text) == (200, True)


async def test_live_stream_sends_new_figures_after_a_scan(world, settings, tmp_path) -> None:
    """Over a real server: the in-process test client buffers whole responses, an event stream never ends."""
    headers = bearer(world, "staff")
    events: list[str] = []
    with live_server(
        settings.database_url, tmp_path / "server.log", ASCC_NOW="2023-11-14T13:20+09:00"
    ) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            code = (await http.get("/api/v1/checkin/search?q=maria", headers=headers)).json()[0]["badge_code"]

            async def listen() -> None:
                async with http.stream("GET", "/organizer/checkin/stream", headers=headers) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data:") and line.strip() != "data:":
                            events.append(line)
                            if len(events) >= 2:
                                return

            listener = asyncio.create_task(listen())
            while not events:
                await asyncio.sleep(0.05)
            await http.post("/api/v1/checkin", json={"code": code, "place_type": "entrance"}, headers=headers)
            await asyncio.wait_for(listener, timeout=10)
    first, second = (text_of(e.removeprefix("data:")) for e in events)
    assert first.startswith("0 at the entrance today")
    assert second.startswith("1 at the entrance today")
    assert "Maria Reyes" in second


async def test_japanese_checkin_page_carries_japanese_words_for_every_reason_and_category(
    client, world
) -> None:
    await sign_in(client, "gate@example.org", PASSWORD)
    await client.get("/lang/ja?next=/checkin")
    scanner = await client.get("/checkin")
    found = re.search(
        r'<script type="application/json" id="checkin-labels">(.*?)</script>', scanner.text, re.S
    )
    assert found is not None
    labels = json.loads(found.group(1))
    assert labels["reason"]["online_registration"] == "オンライン参加の登録"
    assert labels["reason"]["signature"] == "署名が一致しません"
    assert labels["category"]["city_official"] == "都市・政府関係者"
    script = (Path(__file__).parents[2] / "static/js/checkin.js").read_text(encoding="utf-8")
    offline_reasons = set(re.findall(r'reason: "(\w+)"', script))  # what the page decides without the server
    assert offline_reasons and offline_reasons <= set(checkin.REASONS)
    assert labels == checkin_labels("ja") and set(labels["reason"]) == set(checkin.REASONS)
    assert all(not word.isascii() for word in labels["reason"].values())  # none left in English


async def test_the_badge_page_follows_a_changed_mode_at_once_and_reissues_the_badge(
    client, world, settings
) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    before = (await client.get("/badge")).text
    await _change_registration(settings, world.official, mode="online")
    after = text_of((await client.get("/badge")).text)
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine)() as session:
        reg = await registration.my_registration(session, world.edition_id, world.official)
        badges_of = (await session.scalars(select(Badge).where(Badge.registration_id == reg.id))).all()
    await engine.dispose()
    assert "Show it at the entrance" in text_of(before) and 'alt="Badge of Maria Reyes' in before
    assert "Your online badge" in after and reg.badge_code in after
    assert sorted((b.mode, b.revoked_reason) for b in badges_of) == [
        ("in_person", "category_changed"),
        ("online", None),
    ]
