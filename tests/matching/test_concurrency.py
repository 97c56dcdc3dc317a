"""Instant mode under concurrency, on SQLite and PostgreSQL: accepts racing for one person's slot, or for the
last tables of a slot, never double-book; the losers get a clear "taken" answer and nothing half-written."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from ascc.errors import DomainError
from ascc.matching import meeting_requests, meetings, placement, tracking
from ascc.matching.models import Meeting, MeetingSeat
from tests.matching.conftest import BASE, build_matching, listed
from tests.tours.conftest import registered


async def _accepted(session, w, pairs: list[tuple[int, int]]) -> list[int]:
    ids = []
    for requester, recipient in pairs:
        m = await meeting_requests.send_request(
            session, w.edition, requester, {"recipient_id": recipient}, BASE
        )
        await meeting_requests.answer(session, w.edition, m.id, recipient, "accept", {}, BASE)
        ids.append(m.id)
    await session.commit()
    return ids


async def _race(session_maker, w, meeting_ids: list[int], slot_id: int) -> list[str]:
    async def one(meeting_id: int) -> str:
        async with session_maker() as own:
            try:
                meeting = await meetings.get_meeting(own, meeting_id)
                await placement.schedule_in(own, w.edition, meeting, slot_id, BASE)
                await own.commit()
                return "scheduled"
            except DomainError as exc:
                await own.rollback()
                return exc.code

    return list(await asyncio.gather(*(one(i) for i in meeting_ids)))


async def test_two_accepts_for_the_same_person_and_slot_book_once(session, session_maker) -> None:
    w = await build_matching(session)
    ids = await _accepted(session, w, [(w.official, w.company), (w.bank, w.company)])
    outcomes = await _race(session_maker, w, ids, w.slots[0])
    assert sorted(outcomes) in (["scheduled", "slot_taken"], ["scheduled", "slot_not_free"])
    seats = await session.scalar(
        select(func.count()).where(MeetingSeat.slot_id == w.slots[0], MeetingSeat.user_id == w.company)
    )
    assert seats == 1
    statuses = sorted((await session.scalars(select(Meeting.status).where(Meeting.id.in_(ids)))).all())
    assert statuses == ["accepted", "scheduled"]  # the loser is still accepted, waiting for another time


async def test_six_pairs_racing_for_two_tables_get_exactly_two(session, session_maker) -> None:
    w = await build_matching(session)
    pairs = []
    for n in range(6):
        official = await registered(session, w.edition_id, f"o{n}@example.org")
        company = await registered(session, w.edition_id, f"c{n}@example.org", category="company")
        for person in (official, company):
            await listed(session, w.edition_id, person.id)
        pairs.append((official.id, company.id))
    ids = await _accepted(session, w, pairs)
    outcomes = await _race(session_maker, w, ids, w.slots[0])
    assert outcomes.count("scheduled") == 2
    numbers = sorted(
        (await session.scalars(select(Meeting.place_number).where(Meeting.slot_id == w.slots[0]))).all()
    )
    assert numbers == [1, 2]
    assert await session.scalar(select(func.count()).select_from(MeetingSeat)) == 4


async def test_both_people_checking_in_at_the_table_at_once_both_succeed(
    session, session_maker, monkeypatch
) -> None:
    w = await build_matching(session)
    [meeting_id] = await _accepted(session, w, [(w.official, w.company)])
    await placement.schedule_in(
        session, w.edition, await meetings.get_meeting(session, meeting_id), w.slots[0], BASE
    )
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:35+09:00")

    async def check_in(who: int) -> str:
        async with session_maker() as own:
            await tracking.check_in(own, await meetings.get_meeting(own, meeting_id), who)
            await own.commit()
            return "checked in"

    # Both at once, and one of them twice (two phones): every check-in succeeds and the meeting is held.
    outcomes = await asyncio.gather(check_in(w.official), check_in(w.company), check_in(w.company))
    assert outcomes == ["checked in"] * 3
    held = await meetings.get_meeting(session, meeting_id)
    assert held.status == "held"
    assert None not in (held.checked_in_at, held.requester_checked_in_at, held.recipient_checked_in_at)


async def test_both_people_cancelling_a_meeting_at_once_are_told_not_failed(session, session_maker) -> None:
    w = await build_matching(session)
    [meeting_id] = await _accepted(session, w, [(w.official, w.company)])
    await placement.schedule_in(
        session, w.edition, await meetings.get_meeting(session, meeting_id), w.slots[0], BASE
    )
    await session.commit()

    async def cancel(who: int) -> str:
        async with session_maker() as own:
            try:
                await meeting_requests.cancel(own, w.edition, meeting_id, who, False, BASE)
                await own.commit()
                return "cancelled"
            except DomainError as exc:
                await own.rollback()
                return exc.code

    outcomes = sorted(await asyncio.gather(cancel(w.official), cancel(w.company)))
    assert outcomes in (["cancelled", "changed_meanwhile"], ["cancelled", "not_open"])
    assert (await meetings.get_meeting(session, meeting_id)).status == "cancelled"
    assert await session.scalar(select(func.count()).select_from(MeetingSeat)) == 0
