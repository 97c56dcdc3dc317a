"""Scans at once over real HTTP, on both databases: 200 distinct badges give 200 check-ins; 50 scans of one
badge (from 50 devices) give one check-in and 49 "already checked in", each saying when the one counted; every
scan is in the log, and a webhook listening for check-ins gets exactly one delivery per check-in."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.badges import services as badges
from ascc.badges.models import CheckIn, Scan
from ascc.registration import organizer, registering
from ascc.webhooks import payloads
from ascc.webhooks import services as webhooks
from ascc.webhooks.models import WebhookDelivery
from tests.factories import make_edition, make_token_holders
from tests.support.live import live_server

PEOPLE = 200
SAME = 50


async def _prepare(session) -> tuple[list[str], str]:
    edition = await make_edition(session, "ascc2023")
    holders = await make_token_holders(session, PEOPLE, "p")
    for user_id, _ in holders:
        await registering.register(
            session,
            edition.id,
            user_id,
            registering.RegistrationInput(mode="in_person", category="company", privacy_accepted=True),
            "http://x",
            notify=False,
        )
    codes = [face.code for face in await badges.faces(session, edition.id, organizer.Filters())]
    staff = await accounts.create_user(
        session, email="gate@example.org", role="checkin", password="x" * 12, name_latin="Gate"
    )
    token, _ = await accounts.create_api_token(session, staff.id)
    await webhooks.create_endpoint(  # nobody answers there: the deliveries wait in the outbox, to be counted
        session,
        webhooks.EndpointInput(url="http://127.0.0.1:9/hooks", events=[payloads.CHECKIN_RECORDED]),
        production=False,
        secret_key="badge-race-secret-key-0123456789abcdef",
        actor=None,
    )
    await session.commit()
    return codes, token


async def _check_in_deliveries(session) -> list[int]:
    """The check-in ids the outbox holds deliveries for, one entry per delivery."""
    bodies = await session.scalars(
        select(WebhookDelivery.body).where(WebhookDelivery.event_type == payloads.CHECKIN_RECORDED)
    )
    return sorted(json.loads(body)["data"]["check_in_id"] for body in bodies)


async def test_two_hundred_badges_at_once_and_fifty_scans_of_one(session, db_url, tmp_path) -> None:
    codes, token = await _prepare(session)
    headers = {"Authorization": f"Bearer {token}"}
    with live_server(db_url, tmp_path / "server.log", ASCC_NOW="2023-11-13T09:00+09:00") as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:

            def scan(code: str, device: str):
                body = {"code": code, "place_type": "entrance", "device_id": device}
                return client.post("/api/v1/checkin", json=body, headers=headers)

            distinct = await asyncio.gather(*(scan(code, f"gate-{n % 4}") for n, code in enumerate(codes)))
            same = await asyncio.gather(*(scan(codes[0], f"door-{n}") for n in range(SAME)))
    assert [r.status_code for r in distinct + same] == [200] * (PEOPLE + SAME)
    assert sorted(r.json()["result"] for r in distinct) == ["ok"] * PEOPLE
    assert (
        sorted(r.json()["result"] for r in same) == ["duplicate"] * SAME
    )  # the first scan was among the 200
    assert await session.scalar(select(func.count()).select_from(CheckIn)) == PEOPLE
    assert await session.scalar(select(func.count()).select_from(Scan)) == PEOPLE + SAME
    assert await _check_in_deliveries(session) == sorted((await session.scalars(select(CheckIn.id))).all())


async def test_fifty_first_scans_of_one_badge_count_once(session, db_url, tmp_path) -> None:
    codes, token = await _prepare(session)
    headers = {"Authorization": f"Bearer {token}"}
    with live_server(db_url, tmp_path / "server.log", ASCC_NOW="2023-11-13T09:00+09:00") as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/checkin",
                        json={"code": codes[1], "place_type": "entrance", "device_id": f"door-{n}"},
                        headers=headers,
                    )
                    for n in range(SAME)
                )
            )
    results = sorted(a.json()["result"] for a in answers)
    assert results == ["duplicate"] * (SAME - 1) + ["ok"]
    assert await session.scalar(select(func.count()).select_from(CheckIn)) == 1
    (won,) = (a.json() for a in answers if a.json()["result"] == "ok")
    assert {a.json()["checked_in_at"] for a in answers} == {won["checked_in_at"]}  # the losers say when
    assert await _check_in_deliveries(session) == list((await session.scalars(select(CheckIn.id))).all())
