"""The lines of a person's "my meetings" page: only what the page shows, in one statement built once.

tracking.mine loads whole ORM rows (the meeting, both people, the slot, its session, the proposed slot) for
the API and the printout; for the page that was a third of its time. Here the same meetings are read as
plain columns into small frozen values, which also key the lines' rendered HTML (participant_pages). Nothing
is kept: every request reads the meetings as they are now.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ascc import clock
from ascc.accounts.models import User
from ascc.matching.models import MatchingSession, MatchingSlot, Meeting
from ascc.matching.tracking import MyMeetings
from ascc.registration import delegations

_EDITION: BindParameter[int] = bindparam("edition_id")
_VIEWER: BindParameter[int] = bindparam("viewer_id")


@dataclass(frozen=True, slots=True)
class Who:
    name_latin: str
    name_local: str | None


@dataclass(frozen=True, slots=True)
class Area:
    """The slot's matching session: where its tables are (templates pick location_en or location_ja)."""

    location_en: str | None
    location_ja: str | None


@dataclass(frozen=True, slots=True)
class When:
    starts_at: datetime
    session: Area


@dataclass(frozen=True, slots=True)
class Line:
    """One meeting as matching/_meeting_line.html shows it (the names of a Meeting's attributes)."""

    id: int
    status: str
    priority: str
    format: str
    requester_id: int
    recipient_id: int
    place: str | None
    place_number: int | None
    requester: Who
    recipient: Who
    slot: When | None


# tracking.MyMeetings' lists, of lines.
MyLines = MyMeetings[Line]


@functools.cache
def _statement() -> Select[Any]:
    """tracking.mine's meetings (the same filter and order), built once on first use."""
    requester, recipient = aliased(User), aliased(User)
    members = delegations.members_of_head_query(_EDITION, _VIEWER)  # the viewer's, when they head one
    for_us = (Meeting.recipient_id == _VIEWER) | Meeting.recipient_id.in_(members)
    return (
        select(
            Meeting.id,
            Meeting.status,
            Meeting.priority,
            Meeting.format,
            Meeting.requester_id,
            Meeting.recipient_id,
            Meeting.place,
            Meeting.place_number,
            requester.name_latin,
            requester.name_local,
            recipient.name_latin,
            recipient.name_local,
            MatchingSlot.starts_at,
            MatchingSession.location_en,
            MatchingSession.location_ja,
            for_us.label("for_us"),
        )
        .join(requester, requester.id == Meeting.requester_id)
        .join(recipient, recipient.id == Meeting.recipient_id)
        .outerjoin(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .outerjoin(MatchingSession, MatchingSession.id == MatchingSlot.session_id)
        .where(
            Meeting.edition_id == _EDITION,
            or_(Meeting.requester_id == _VIEWER, Meeting.requester_id.in_(members), for_us),
        )
        .order_by(Meeting.id.desc())
    )


async def lines(session: AsyncSession, edition_id: int, user_id: int) -> MyLines:
    """The viewer's meetings and requests, with those of their delegation's members when they are its head,
    sorted into the lists tracking.mine makes: one statement."""
    # On the connection: plain columns need none of the ORM's row handling (a fifth of this function).
    connection = await session.connection()
    rows = await connection.execute(_statement(), {"edition_id": edition_id, "viewer_id": user_id})
    result: MyLines = MyMeetings([], [], [], [], [])
    for row in rows.tuples():
        (m_id, status, priority, fmt, requester_id, recipient_id, place, number) = row[:8]
        (req_latin, req_local, rec_latin, rec_local, starts_at, location_en, location_ja, for_us) = row[8:]
        line = Line(
            m_id,
            status,
            priority,
            fmt,
            requester_id,
            recipient_id,
            place,
            number,
            Who(req_latin, req_local),
            Who(rec_latin, rec_local),
            When(starts_at, Area(location_en, location_ja)) if starts_at is not None else None,
        )
        result.add(line, status, for_us)
    now = clock.now()
    result.scheduled.sort(key=lambda m: (m.slot.starts_at if m.slot else now, m.id))
    return result
