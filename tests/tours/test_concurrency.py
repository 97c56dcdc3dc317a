"""100 people book a 40-seat course at once over real HTTP: exactly 40 seats, 60 waiting in order."""

from __future__ import annotations

import asyncio

import httpx

from ascc.accounts import services as accounts
from ascc.tours import services as tours
from tests.support.live import live_server
from tests.tours.conftest import build_tours, registered

PEOPLE = 100
SEATS = 40


async def test_hundred_concurrent_bookings_for_forty_seats(session, db_url, tmp_path) -> None:
    trip = await build_tours(session, seats_b=SEATS)
    tokens = []
    for n in range(PEOPLE):
        person = await registered(session, trip.edition_id, f"t{n}@example.org")
        raw, _ = await accounts.create_api_token(session, person.id)
        tokens.append(raw)
    await session.commit()
    with live_server(db_url, tmp_path / "server.log") as url:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"/api/v1/tours/courses/{trip.course_b}/booking",
                        headers={"Authorization": f"Bearer {t}"},
                    )
                    for t in tokens
                )
            )
    assert [r.status_code for r in responses] == [200] * PEOPLE
    answers = [r.json() for r in responses]
    assert sum(a["status"] == "confirmed" for a in answers) == SEATS
    assert sorted(a["position"] for a in answers if a["status"] == "waiting") == list(
        range(1, PEOPLE - SEATS + 1)
    )
    figures = await tours.figures(session, (await tours.get_tour(session, trip.b)).courses)
    assert (figures[trip.course_b].confirmed, figures[trip.course_b].waiting) == (SEATS, PEOPLE - SEATS)
