"""Putting an accepted meeting at a time and a place: the slots both people are free in, instant
scheduling (by either party, or on accepting), moving a scheduled meeting, taking it out of its slot, and
telling people when the organizers move a matching session's tables.

Double booking is impossible by construction: a scheduled meeting holds a `MeetingSeat` per person and
slot (unique) and its place (unique per slot), so of two accepts racing for one person's slot, or for the
last table, the database lets exactly one through; the other gets a clear "taken" answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from ascc import clock, locks
from ascc.errors import DomainError
from ascc.matching import invitations, webhook_events
from ascc.matching import services as matching
from ascc.matching.meetings import (
    flush_or_conflict,
    get_meeting,
    meetings_by_ids,
    place_of,
    request_of,
    require_party_or_organizer,
    tell_parties,
    when_params,
)
from ascc.matching.models import MatchingSlot, Meeting, MeetingSeat

if TYPE_CHECKING:
    from ascc.editions.models import Edition


def require_instant(settings: Any) -> None:
    """Participants pick times themselves only in instant mode; otherwise the organizers' run does."""
    if not settings.instant:
        raise DomainError("matching.error.not_instant", "not_instant", field="slot_id", status=409)


def slot_id_of(values: Mapping[str, Any]) -> int | None:
    raw = values.get("slot_id")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DomainError("error.choice_invalid", "invalid", field="slot_id") from None


async def free_slot_for(
    session: AsyncSession, edition_id: int, meeting: Meeting, slot_id: int
) -> MatchingSlot:
    """The slot, if both people are free in it and it has a place of the meeting's kind left."""
    options = await common_free_slots(session, edition_id, meeting)
    slot = next((s for s, _ in options if s.id == slot_id), None)
    if slot is None:
        raise DomainError("matching.error.slot_not_free", "slot_not_free", field="slot_id", status=409)
    return slot


async def common_free_slots(
    session: AsyncSession, edition_id: int, meeting: Meeting
) -> list[tuple[MatchingSlot, int]]:
    """Slots both people are free in (programme, tours, blocks, other meetings), with places left."""
    people = [meeting.requester_id, meeting.recipient_id]
    slots = await matching.all_slots(session, edition_id)
    busy = await matching.busy_of(session, edition_id, people)
    free = matching.free_slot_ids(slots, busy.get(people[0], [])) & matching.free_slot_ids(
        slots, busy.get(people[1], [])
    )
    seated = set(
        (await session.scalars(select(MeetingSeat.slot_id).where(MeetingSeat.user_id.in_(people)))).all()
    )
    place = place_of(meeting.format)
    used = dict(
        (
            await session.execute(
                select(Meeting.slot_id, func.count())
                .where(
                    Meeting.edition_id == edition_id,
                    Meeting.place == place,
                    Meeting.place_number.is_not(None),  # a no-show's table is free again
                )
                .group_by(Meeting.slot_id)
            )
        )
        .tuples()
        .all()
    )
    result = []
    for slot in slots:
        places = slot.session.tables if place == "table" else slot.session.online_rooms
        left = places - used.get(slot.id, 0)
        if slot.id in free and slot.id not in seated and left > 0 and slot.starts_at > clock.now():
            result.append((slot, left))
    return result


async def schedule_in(
    session: AsyncSession,
    edition: Edition,
    meeting: Meeting,
    slot_id: int | None,
    base_url: str,
    tell: bool = True,
) -> Meeting:
    """Instant mode: put the meeting in a slot both are free in, at the lowest free table (or room)."""
    require_instant(await matching.get_settings(session, edition.id))
    meeting = await _place(session, edition, meeting, slot_id)
    await webhook_events.scheduled(session, meeting.id)
    if tell:
        scheduled = await get_meeting(session, meeting.id)
        await tell_parties(
            session,
            edition,
            [meeting.requester_id, meeting.recipient_id],
            "meeting_scheduled",
            scheduled,
            base_url,
            {},
            await request_of(session, edition, scheduled, base_url),
        )
    return meeting


async def _place(session: AsyncSession, edition: Edition, meeting: Meeting, slot_id: int | None) -> Meeting:
    """An accepted meeting into a slot both are free in, at the lowest free table (or room).

    The slot is locked first: placements into one slot run one after the other, each finding the lowest
    table still free. (Side by side, PostgreSQL's placements all chose the same table, and most gave up.)
    """
    if slot_id is None:
        raise DomainError("matching.error.slot_required", "slot_required", field="slot_id")
    await locks.lock_rows(session, MatchingSlot.__tablename__, [slot_id])
    meeting = await get_meeting(session, meeting.id)
    if meeting.status != "accepted":  # also when the other party scheduled it a moment ago
        raise DomainError("matching.error.not_accepted", "not_accepted", status=409)
    slot = await free_slot_for(session, edition.id, meeting, slot_id)
    place = place_of(meeting.format)
    number = await _free_place_number(session, slot, place)
    try:
        async with session.begin_nested():
            meeting.slot_id, meeting.place, meeting.place_number = slot.id, place, number
            meeting.status = "scheduled"
            meeting.proposed_slot_id = None
            session.add_all(
                MeetingSeat(meeting_id=meeting.id, slot_id=slot.id, user_id=u)
                for u in (meeting.requester_id, meeting.recipient_id)
            )
            await session.flush()
    except (IntegrityError, StaleDataError):
        # Changed by someone who does not take the slot's lock (the meeting itself, a party's other slot).
        raise DomainError("matching.error.slot_taken", "slot_taken", field="slot_id", status=409) from None
    return meeting


async def _free_place_number(session: AsyncSession, slot: MatchingSlot, place: str) -> int:
    places = slot.session.tables if place == "table" else slot.session.online_rooms
    taken = set(
        (
            await session.scalars(
                select(Meeting.place_number).where(Meeting.slot_id == slot.id, Meeting.place == place)
            )
        ).all()
    )
    number = next((n for n in range(1, places + 1) if n not in taken), None)
    if number is None:
        raise DomainError("matching.error.slot_not_free", "slot_not_free", field="slot_id", status=409)
    return number


async def unschedule(session: AsyncSession, meeting: Meeting) -> None:
    await session.execute(delete(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id))
    meeting.slot_id = meeting.place = meeting.place_number = None
    meeting.locked = False
    await flush_or_conflict(
        session
    )  # the other party cancelling or moving it at this moment: told, not a 500


async def move(
    session: AsyncSession,
    edition: Edition,
    meeting_id: int,
    actor_id: int,
    organizer: bool,
    slot_id: int | None,
    base_url: str,
) -> Meeting:
    """Move a scheduled meeting to another slot both people are free in (a party or an organizer).

    Both get the news with an updated invitation: same UID, later SEQUENCE, so calendars move the event."""
    meeting = await get_meeting(session, meeting_id, edition.id)
    await require_party_or_organizer(session, edition.id, meeting, actor_id, organizer)
    if meeting.status != "scheduled":
        raise DomainError("matching.error.not_scheduled", "not_scheduled", status=409)
    assert meeting.slot is not None  # a scheduled meeting has its slot
    if meeting.slot.starts_at <= clock.now():
        raise DomainError("matching.error.already_started", "already_started", status=409)
    if not organizer:
        # Where only the organizers' run sets times, only they move meetings, and not the ones they locked.
        require_instant(await matching.get_settings(session, edition.id))
        if meeting.locked:
            raise DomainError("matching.error.locked_by_organizers", "locked", status=409)
    if slot_id is None:
        raise DomainError("matching.error.slot_required", "slot_required", field="slot_id")
    if slot_id == meeting.slot_id:
        raise DomainError("matching.error.same_slot", "same_slot", field="slot_id")
    was, locked = when_params(meeting, edition.timezone), meeting.locked
    was_slot = webhook_events.slot_of(meeting)
    async with session.begin_nested():  # a refused move leaves the meeting where it was
        await unschedule(session, meeting)
        meeting.status = "accepted"
        await session.flush()
        meeting = await _place(session, edition, meeting, slot_id)
        meeting.locked = locked
        await session.flush()
    moved = await get_meeting(session, meeting_id)
    await webhook_events.moved(session, moved.id, was_slot)
    await tell_parties(
        session,
        edition,
        [moved.requester_id, moved.recipient_id],
        "meeting_moved",
        moved,
        base_url,
        {"was_en": was["when_en"], "was_ja": was["when_ja"]},
        await request_of(session, edition, moved, base_url),
    )
    return moved


async def tell_place_changed(
    session: AsyncSession, edition: Edition, matching_session_id: int, base_url: str
) -> int:
    """Organizers changed where a matching session's tables are: everyone with a meeting at one of them
    gets the news with an updated invitation (the row is touched, so SEQUENCE grows). Returns how many."""
    ids = await session.scalars(
        select(Meeting.id)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(
            MatchingSlot.session_id == matching_session_id,
            Meeting.status == "scheduled",
            Meeting.place == "table",
        )
    )
    changed = await meetings_by_ids(session, list(ids.all()))
    for meeting in changed:
        meeting.updated_at = clock.now()
    await session.flush()
    items = await invitations.items_of(session, edition, changed, base_url)  # one lookup for all of them
    for meeting, item in zip(changed, items, strict=True):
        await tell_parties(
            session,
            edition,
            [meeting.requester_id, meeting.recipient_id],
            "meeting_place_changed",
            meeting,
            base_url,
            {},
            invitations.request_payload(item, edition, meeting),
        )
    return len(changed)
