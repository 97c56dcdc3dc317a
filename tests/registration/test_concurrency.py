"""50 people register at once over real HTTP for 10 places: exactly 10 confirmed, 40 waiting, on both databases."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from ascc.registration import organizer
from ascc.registration import services as registration
from ascc.registration.models import Registration
from tests.factories import make_edition, make_token_holders
from tests.support.live import live_server

PEOPLE = 50
PLACES = 10


async def _prepare(session) -> list[str]:
    edition = await make_edition(session, "ascc2023")
    await organizer.update_settings(
        session, edition.id, organizer.SettingsInput(PLACES, None, [], [], "2023-1"), "http://x"
    )
    tokens = [raw for _, raw in await make_token_holders(session, PEOPLE, "p")]
    await session.commit()
    return tokens


async def test_fifty_concurrent_registrations_for_ten_places(session, db_url, tmp_path) -> None:
    tokens = await _prepare(session)
    body = {
        "mode": "in_person",
        "category": "city_official",
        "privacy_accepted": True,
        "organization": "Cebu City",
    }
    with live_server(db_url, tmp_path / "server.log") as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/registrations/me", json=body, headers={"Authorization": f"Bearer {t}"}
                    )
                    for t in tokens
                )
            )
    assert [r.status_code for r in responses] == [201] * PEOPLE
    answers = [r.json() for r in responses]
    assert sum(a["status"] == "confirmed" for a in answers) == PLACES
    assert sorted(a["waiting_position"] for a in answers if a["status"] == "waiting") == list(range(1, 41))
    rows = (await session.scalars(select(Registration))).all()
    assert sorted(r.status for r in rows).count("confirmed") == PLACES
    # The queue in the database is the order in which the server answered "waiting, position n".
    edition_id = rows[0].edition_id
    by_reference = {a["reference"]: a["waiting_position"] for a in answers if a["status"] == "waiting"}
    for row in rows:
        if row.status == "waiting":
            assert await registration.waiting_position(session, row) == by_reference[row.reference]
    assert edition_id
