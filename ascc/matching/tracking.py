"""After the request: check-in at the table, no-shows, feedback, the organizers' follow-up tracker, interpreter
assignment and locks, and the lists of meetings people and organizers read."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import BindParameter, Select, bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.errors import DomainError, ValidationFailed
from ascc.matching import services as matching
from ascc.matching.meetings import MESSAGE_MAX, NO_SHOW_AFTER, get_meeting
from ascc.matching.models import (
    FOLLOW_UP_MONTHS,
    FOLLOW_UPS,
    OUTCOMES,
    FollowUp,
    MatchingSession,
    MatchingSlot,
    Meeting,
    MeetingFeedback,
    MeetingSeat,
)
from ascc.places import Place
from ascc.registration import delegations
from ascc.text import collect, optional_block

# --- At the table and afterwards --------------------------------------------------------------------


_EDITION: BindParameter[int] = bindparam("edition_id")
_VIEWER: BindParameter[int] = bindparam("viewer_id")

CHECK_IN_FROM = timedelta(minutes=15)  # before the start: people arrive early at the table


async def check_in(session: AsyncSession, meeting: Meeting, user_id: int) -> None:
    """One party at the table, from 15 minutes before the start to the end of the slot. The meeting is held
    once both parties are there; until then it stays scheduled (and keeps its table past the no-show time)."""
    if meeting.status not in ("scheduled", "held") or meeting.slot is None:
        raise DomainError("matching.error.not_scheduled", "not_scheduled", status=409)
    if user_id not in (meeting.requester_id, meeting.recipient_id):
        raise DomainError("matching.error.not_yours", "not_yours", status=403)
    now = clock.now()
    if not meeting.slot.starts_at - CHECK_IN_FROM <= now <= meeting.slot.ends_at:
        raise DomainError("matching.error.check_in_time", "check_in_time", status=409)
    await _was_there(session, meeting, user_id, now, ("scheduled", "held"))


async def _was_there(
    session: AsyncSession, meeting: Meeting, user_id: int, when: datetime, statuses: tuple[str, ...]
) -> None:
    """Record that this party was there; held when the other one was too.

    One conditional statement, not the ORM's versioned write: the two parties checking in at the same moment
    (two phones at the table) both succeed, and the second statement, which runs after the first one's commit
    (PostgreSQL re-reads the row it waited for; SQLite has one writer), sees the first party's time and
    makes the meeting held. The first time of each party stays."""
    mine, theirs = (
        (Meeting.requester_checked_in_at, Meeting.recipient_checked_in_at)
        if user_id == meeting.requester_id
        else (Meeting.recipient_checked_in_at, Meeting.requester_checked_in_at)
    )
    await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status.in_(statuses))
        .values(
            {
                mine: func.coalesce(mine, when),
                Meeting.checked_in_at: func.coalesce(Meeting.checked_in_at, when),
                Meeting.status: case((theirs.is_not(None), "held"), else_=Meeting.status),
                Meeting.version: Meeting.version + 1,
            }
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(
        meeting, ["status", "checked_in_at", "requester_checked_in_at", "recipient_checked_in_at", "version"]
    )


async def mark_held(session: AsyncSession, meeting: Meeting) -> None:
    """An organizer's word that the meeting took place (a missed check-in, an online meeting): from the time
    check-in opens, also for a meeting recorded as a no-show."""
    if meeting.status not in ("scheduled", "held", "no_show") or meeting.slot is None:
        raise DomainError("matching.error.not_scheduled", "not_scheduled", status=409)
    now = clock.now()
    if now < meeting.slot.starts_at - CHECK_IN_FROM:
        raise DomainError("matching.error.check_in_time", "check_in_time", status=409)
    await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status.in_(("scheduled", "held", "no_show")))
        .values(
            status="held",
            checked_in_at=func.coalesce(Meeting.checked_in_at, now),
            version=Meeting.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(meeting, ["status", "checked_in_at", "version"])


def feedback_opens(meeting: Meeting) -> datetime | None:
    """When the parties may say how it went: at the end of the meeting (None: it has no time)."""
    return meeting.slot.ends_at if meeting.slot is not None else None


def no_shows_due(edition_id: Any, now: Any, late: Any) -> Select[tuple[int]]:
    """The meetings sweep_no_shows records: `late` is `now - NO_SHOW_AFTER` (values or bind parameters)."""
    return (
        select(Meeting.id)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(
            Meeting.edition_id == edition_id,
            Meeting.status == "scheduled",
            Meeting.format == "in_person",  # online rooms have no door to check in at
            or_(
                (MatchingSlot.starts_at < late) & Meeting.checked_in_at.is_(None),
                MatchingSlot.ends_at < now,
            ),
        )
    )


async def sweep_no_shows(session: AsyncSession, edition_id: int) -> int:
    """Meetings nobody checked in to within 10 minutes of their start: recorded as no-shows, the table freed.
    A meeting only one party came to stays scheduled (its table kept) until its end, then is a no-show too.

    One conditional UPDATE: pages run this as people look at them, often several at once; each meeting is
    marked by exactly one of them (the others find it no longer scheduled), with no version conflict.
    """
    now = clock.now()
    due = no_shows_due(edition_id, now, now - NO_SHOW_AFTER)
    if await session.scalar(due.limit(1)) is None:
        return 0  # the usual case: nothing to write, and no write lock taken
    missed = (
        await session.scalars(
            update(Meeting)
            .where(Meeting.id.in_(due.scalar_subquery()), Meeting.status == "scheduled")
            # The table is free for a walk-in meeting (the slot stays on record); one a party sat at keeps it.
            .values(
                status="no_show",
                place_number=case((Meeting.checked_in_at.is_(None), None), else_=Meeting.place_number),
                version=Meeting.version + 1,
            )
            .returning(Meeting.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if missed:
        await session.execute(delete(MeetingSeat).where(MeetingSeat.meeting_id.in_(missed)))
    return len(missed)


async def give_feedback(
    session: AsyncSession, edition_id: int, meeting_id: int, user_id: int, values: Mapping[str, Any]
) -> MeetingFeedback:
    meeting = await get_meeting(session, meeting_id, edition_id)
    if user_id not in (meeting.requester_id, meeting.recipient_id):
        raise DomainError("matching.error.not_yours", "not_yours", status=403)
    opens = feedback_opens(meeting)
    if meeting.status not in ("scheduled", "held", "no_show") or opens is None or opens > clock.now():
        raise DomainError("matching.error.too_early", "too_early", status=409)
    outcome = str(values.get("outcome") or "")
    follow_up = [f for f in values.get("follow_up", []) if f in ("feasibility_study", "pilot", "contract")]
    errors: dict = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = ("error.required", {})
    if len(follow_up) != len(values.get("follow_up", [])):
        errors["follow_up"] = ("error.choice_invalid", {})
    note = collect(errors, optional_block, "note", values.get("note"), MESSAGE_MAX)
    if errors:
        raise ValidationFailed(errors)
    feedback = await session.scalar(
        select(MeetingFeedback).where(
            MeetingFeedback.meeting_id == meeting.id, MeetingFeedback.user_id == user_id
        )
    )
    if feedback is None:
        feedback = MeetingFeedback(meeting_id=meeting.id, user_id=user_id)
        session.add(feedback)
    feedback.outcome = outcome
    feedback.follow_up = follow_up if outcome == "follow_up" else []
    feedback.note = note or ""
    await session.flush()
    if outcome != "not_held" and meeting.status in ("scheduled", "no_show"):
        # This party says it took place (an online meeting, or a check-in missed): held once both say so.
        assert meeting.slot is not None  # feedback_opens needs one
        await _was_there(session, meeting, user_id, meeting.slot.starts_at, ("scheduled", "no_show"))
    return feedback


async def feedback_of(session: AsyncSession, meeting_ids: list[int]) -> dict[int, list[MeetingFeedback]]:
    if not meeting_ids:
        return {}
    rows = await session.scalars(select(MeetingFeedback).where(MeetingFeedback.meeting_id.in_(meeting_ids)))
    result: dict[int, list[MeetingFeedback]] = {}
    for row in rows:
        result.setdefault(row.meeting_id, []).append(row)
    return result


async def record_follow_up(
    session: AsyncSession, edition_id: int, meeting_id: int, organizer_id: int, values: Mapping[str, Any]
) -> FollowUp:
    meeting = await get_meeting(session, meeting_id, edition_id)
    errors: dict = {}
    try:
        month = int(values.get("month") or 0)
    except (TypeError, ValueError):
        month = 0
    if month not in FOLLOW_UP_MONTHS:
        errors["month"] = ("error.choice_invalid", {})
    status = str(values.get("status") or "")
    if status not in FOLLOW_UPS:
        errors["status"] = ("error.choice_invalid", {})
    note = collect(errors, optional_block, "note", values.get("note"), MESSAGE_MAX)
    if errors:
        raise ValidationFailed(errors)
    row = await session.scalar(
        select(FollowUp).where(FollowUp.meeting_id == meeting.id, FollowUp.month == month)
    )
    if row is None:
        row = FollowUp(meeting_id=meeting.id, month=month)
        session.add(row)
    row.status, row.note, row.recorded_by_id = status, note or "", organizer_id
    await session.flush()
    return row


async def follow_ups_of(session: AsyncSession, meeting_ids: list[int]) -> dict[int, dict[int, FollowUp]]:
    if not meeting_ids:
        return {}
    rows = await session.scalars(select(FollowUp).where(FollowUp.meeting_id.in_(meeting_ids)))
    result: dict[int, dict[int, FollowUp]] = {}
    for row in rows:
        result.setdefault(row.meeting_id, {})[row.month] = row
    return result


async def set_interpretation(
    session: AsyncSession, edition_id: int, meeting_id: int, needed: bool, interpreter: str | None
) -> Meeting:
    """Either party flags the need; organizers also name the interpreter (`interpreter` not None)."""
    meeting = await get_meeting(session, meeting_id, edition_id)
    meeting.interpreter_needed = needed
    if interpreter is not None:
        meeting.interpreter = interpreter[:200]
    await session.flush()
    return meeting


async def set_locked(session: AsyncSession, edition_id: int, meeting_id: int, locked: bool) -> Meeting:
    meeting = await get_meeting(session, meeting_id, edition_id)
    if locked and meeting.status != "scheduled":
        raise DomainError("matching.error.not_scheduled", "not_scheduled", status=409)
    meeting.locked = locked
    await session.flush()
    return meeting


# --- Lists ------------------------------------------------------------------------------------------


M = TypeVar("M")  # a Meeting, or my_meetings.Line (the page's columns of one)


@dataclass
class MyMeetings(Generic[M]):
    incoming: list[M]  # waiting for my answer (or my delegation member's, when I am the head)
    outgoing: list[M]  # my requests waiting for an answer
    accepted: list[M]  # accepted, waiting for a slot
    scheduled: list[M]  # in time order
    past: list[M]  # declined, cancelled, held, no-show

    def add(self, meeting: M, status: str, for_us: bool) -> None:
        """Into its list by status (`for_us`: a request to the viewer or a member they answer for)."""
        if status == "requested":
            (self.incoming if for_us else self.outgoing).append(meeting)
        elif status == "accepted":
            self.accepted.append(meeting)
        elif status == "scheduled":
            self.scheduled.append(meeting)
        else:
            self.past.append(meeting)


@functools.cache
def _mine_statement() -> Select[Any]:
    """Built once (on first use, once every mapper is known), so SQLAlchemy keys it once, not per request."""
    members = delegations.members_of_head_query(_EDITION, _VIEWER)  # the viewer's, when they head one
    for_us = (Meeting.recipient_id == _VIEWER) | Meeting.recipient_id.in_(members)
    return (
        select(Meeting, for_us.label("for_us"))
        .where(
            Meeting.edition_id == _EDITION,
            or_(Meeting.requester_id == _VIEWER, Meeting.requester_id.in_(members), for_us),
        )
        .options(
            joinedload(Meeting.requester),
            joinedload(Meeting.recipient),
            joinedload(Meeting.slot).joinedload(MatchingSlot.session),
            joinedload(Meeting.proposed_slot),
        )
        .order_by(Meeting.id.desc())
    )


async def mine(session: AsyncSession, edition_id: int, user_id: int) -> MyMeetings[Meeting]:
    """The viewer's meetings and requests, with those of their delegation's members when they are its head:
    one statement. (The "my meetings" page reads only its columns: my_meetings.lines.)"""
    rows = await session.execute(_mine_statement(), {"edition_id": edition_id, "viewer_id": user_id})
    result: MyMeetings[Meeting] = MyMeetings([], [], [], [], [])
    for m, for_us in rows.unique():
        result.add(m, m.status, for_us)
    result.scheduled.sort(key=lambda m: (m.slot.starts_at if m.slot else clock.now(), m.id))
    return result


async def list_meetings(
    session: AsyncSession, edition_id: int, status: str | None = None, limit: int = 500, offset: int = 0
) -> tuple[list[Meeting], int]:
    query = select(Meeting).where(Meeting.edition_id == edition_id)
    if status:
        query = query.where(Meeting.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.options(
            joinedload(Meeting.requester),
            joinedload(Meeting.recipient),
            joinedload(Meeting.slot).joinedload(MatchingSlot.session),
        )
        .order_by(Meeting.slot_id.is_(None), Meeting.slot_id, Meeting.place_number, Meeting.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.unique().all()), total


async def status_counts(session: AsyncSession, edition_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Meeting.status, func.count()).where(Meeting.edition_id == edition_id).group_by(Meeting.status)
    )
    return dict(rows.tuples().all())


async def table_plan(session: AsyncSession, edition_id: int) -> list[tuple[MatchingSlot, list[Meeting]]]:
    """Each slot with its meetings in table (then room) order: the organizers' printout."""
    slots = await matching.all_slots(session, edition_id)
    rows = await session.scalars(
        select(Meeting)
        .where(
            Meeting.edition_id == edition_id,
            Meeting.slot_id.is_not(None),
            Meeting.status.in_(("scheduled", "held")),
        )
        .options(
            joinedload(Meeting.requester),
            joinedload(Meeting.recipient),
            joinedload(Meeting.slot).joinedload(MatchingSlot.session),
        )
        .order_by(Meeting.place.desc(), Meeting.place_number)
    )
    by_slot: dict[int | None, list[Meeting]] = {}  # never None: the query asks for a slot
    for m in rows.unique():
        by_slot.setdefault(m.slot_id, []).append(m)
    return [(s, by_slot.get(s.id, [])) for s in slots]


# The check-in page's meeting areas, built once (Core columns, bound parameters) and read on every request: an
# area added, or given tables, shows at once.
_area = MatchingSession.__table__
_CHECK_IN_PLACES = (
    select(
        _area.c.id,
        _area.c.name_en,
        _area.c.name_ja,
        _area.c.starts_at,
        _area.c.ends_at,
        _area.c.location_en,
        _area.c.location_ja,
    )
    .where(_area.c.edition_id == _EDITION, _area.c.tables != 0)
    .order_by(_area.c.starts_at, _area.c.id)
)


async def check_in_places(session: AsyncSession, edition_id: int) -> list[Place]:
    """Meeting areas: each matching session with in-person tables, with its location."""
    rows = await session.execute(_CHECK_IN_PLACES, {"edition_id": edition_id})
    return [Place(*row) for row in rows.tuples().all()]


async def meeting_at_tables(
    session: AsyncSession, edition_id: int, matching_session_id: int, user_id: int
) -> Meeting | Literal[False] | None:
    """The person's in-person meeting at this session's tables that is open for check-in now (then call
    check_in). None: no such session; False: no meeting of theirs at these tables now."""
    area = await session.get(MatchingSession, matching_session_id)
    if area is None or area.edition_id != edition_id:
        return None
    now = clock.now()
    meeting = await session.scalar(
        select(Meeting)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(
            MatchingSlot.session_id == matching_session_id,
            Meeting.status.in_(("scheduled", "held")),
            Meeting.place == "table",
            or_(Meeting.requester_id == user_id, Meeting.recipient_id == user_id),
            MatchingSlot.starts_at <= now + CHECK_IN_FROM,
            MatchingSlot.ends_at >= now,
        )
        .options(joinedload(Meeting.slot))
        .order_by(MatchingSlot.starts_at)
        .limit(1)
    )
    return meeting if meeting is not None else False
