"""30 people sign up at once over real HTTP for a session with 10 places: 10 seats, 20 waiting in order."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import httpx

from ascc.editions import services as editions
from ascc.programme import services as programme
from ascc.programme import session_editing
from ascc.registration import registering
from tests.factories import make_token_holders
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.live import live_server

PEOPLE = 30
PLACES = 10


async def _prepare(session) -> tuple[int, list[str]]:
    built = await build_programme(session)
    edition = await editions.get_by_id(session, built.edition_id)
    form = session_editing.form_of(
        await session_editing.get_session(session, edition.id, built.parallel), ZoneInfo(edition.timezone)
    )
    form.capacity = str(PLACES)
    await session_editing.save_session(session, edition, built.parallel, form)
    await publish(session, built.edition_id)
    tokens = []
    for user_id, raw in await make_token_holders(session, PEOPLE, "c"):
        await registering.register(
            session,
            edition.id,
            user_id,
            registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
            BASE,
            notify=False,
        )
        tokens.append(raw)
    await session.commit()
    return built.parallel, tokens


async def test_thirty_concurrent_signups_for_ten_places(session, db_url, tmp_path) -> None:
    session_id, tokens = await _prepare(session)
    with live_server(db_url, tmp_path / "server.log") as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post(f"/api/v1/me/signups/{session_id}", headers={"Authorization": f"Bearer {t}"})
                    for t in tokens
                )
            )
    assert [r.status_code for r in responses] == [200] * PEOPLE
    answers = [r.json() for r in responses]
    assert sum(a["seat"] == "confirmed" for a in answers) == PLACES
    assert sorted(a["waiting_position"] for a in answers if a["seat"] == "waiting") == list(
        range(1, PEOPLE - PLACES + 1)
    )
    counts = await programme.seats_left(session, session_id)
    assert (counts.confirmed, counts.waiting, counts.free) == (PLACES, PEOPLE - PLACES, 0)
