"""Meeting requests made at the same moment, on SQLite and PostgreSQL: a member's limit of requests waiting
for an answer holds, and two people never have two open requests between them, however the requests race."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from ascc.errors import DomainError
from ascc.network import joining, meetings
from ascc.network.models import NetworkMeeting
from tests.factories import make_user
from tests.network.conftest import BASE, build_network

REQUEST = {"message": "", "duration": "30", "slot_1": "2024-03-05T10:00"}


async def _race(session_maker, asks: list[tuple[int, int]]) -> list[str]:
    async def one(requester: int, recipient: int) -> str:
        async with session_maker() as own:
            try:
                await meetings.request_meeting(own, requester, {**REQUEST, "recipient_id": recipient}, BASE)
                await own.commit()
                return "sent"
            except DomainError as exc:
                await own.rollback()
                return exc.code

    return list(await asyncio.gather(*(one(a, b) for a, b in asks)))


async def _open(session, requester: int | None = None) -> int:
    query = select(func.count()).where(NetworkMeeting.status == "requested")
    if requester is not None:
        query = query.where(NetworkMeeting.requester_id == requester)
    return await session.scalar(query)


async def test_requests_at_once_never_pass_the_limit(session, session_maker) -> None:
    w = await build_network(session)
    others = []
    for n in range(meetings.MAX_PENDING + 3):
        other = (await make_user(session, f"racer{n}@example.org", name=f"Racer {n}")).id
        await joining.join(session, other, {"timezone": "Asia/Tokyo"})
        others.append(other)
    await session.commit()
    outcomes = await _race(session_maker, [(w.bank, other) for other in others])
    assert outcomes.count("sent") == meetings.MAX_PENDING
    assert set(outcomes) == {"sent", "too_many_pending"}
    assert await _open(session, w.bank) == meetings.MAX_PENDING


async def test_a_double_click_and_crossing_requests_make_one_request(session, session_maker) -> None:
    w = await build_network(session)
    outcomes = await _race(
        session_maker,
        [(w.bank, w.official), (w.bank, w.official), (w.official, w.bank), (w.official, w.bank)],
    )
    assert sorted(outcomes) == ["already_open", "already_open", "already_open", "sent"]
    assert await _open(session) == 1
