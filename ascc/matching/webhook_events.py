"""What business matching tells webhook receivers (ascc/webhooks): a meeting scheduled, moved or cancelled.

Called from placement.py, meeting_requests.py and planning.py in the transaction of the change. A party is
named by person id and organization; their names come with registration.confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.matching.meetings import get_meeting, meetings_by_ids
from ascc.matching.models import Meeting
from ascc.registration import services as registration
from ascc.webhooks import payloads
from ascc.webhooks import services as webhooks


def slot_of(meeting: Meeting) -> payloads.Slot | None:
    """Where and when the meeting is now (its slot loaded), to say later where it was."""
    if meeting.slot is None:
        return None
    return payloads.Slot(meeting.slot.starts_at, meeting.slot.ends_at, meeting.place, meeting.place_number)


async def _event(
    session: AsyncSession,
    event_type: str,
    meeting: Meeting,
    slot: payloads.Slot | None,
    previous: payloads.Slot | None = None,
) -> payloads.Event:
    people = [meeting.requester_id, meeting.recipient_id]
    registrations = await registration.registrations_of(session, meeting.edition_id, people)
    parties = []
    for person_id in people:
        found = registrations.get(person_id)
        organization = found.organization.name_en if found and found.organization else None
        parties.append(payloads.Party(person_id, organization))
    return payloads.meeting(
        event_type,
        meeting_id=meeting.id,
        edition_id=meeting.edition_id,
        meeting_format=meeting.format,
        parties=parties,
        slot=slot,
        at=clock.now(),
        previous=previous,
    )


async def _announce(
    session: AsyncSession,
    event_type: str,
    meeting_id: int,
    slot: payloads.Slot | None = None,
    previous: payloads.Slot | None = None,
) -> None:

    async def build() -> payloads.Event:
        meeting = await get_meeting(session, meeting_id)
        now = slot if event_type == payloads.MEETING_CANCELLED else slot_of(meeting)
        return await _event(session, event_type, meeting, now, previous)

    await webhooks.emit(session, event_type, build)


async def scheduled(session: AsyncSession, meeting_id: int) -> None:
    """The meeting got a slot (its time and table or room)."""
    await _announce(session, payloads.MEETING_SCHEDULED, meeting_id)


async def moved(session: AsyncSession, meeting_id: int, previous: payloads.Slot | None) -> None:
    """The meeting went to another slot; `previous` is where it was (slot_of before the move)."""
    await _announce(session, payloads.MEETING_MOVED, meeting_id, previous=previous)


async def cancelled(session: AsyncSession, meeting_id: int, had: payloads.Slot | None) -> None:
    """A scheduled meeting was cancelled; `had` is the slot it lost (slot_of before the cancellation)."""
    await _announce(session, payloads.MEETING_CANCELLED, meeting_id, slot=had)


async def scheduled_many(session: AsyncSession, meeting_ids: Sequence[int]) -> None:
    """The organizers' scheduler placed these meetings: one meeting.scheduled each."""
    endpoint_ids = await webhooks.listeners(session, payloads.MEETING_SCHEDULED) if meeting_ids else []
    if not endpoint_ids:
        return
    for meeting in await meetings_by_ids(session, list(meeting_ids)):
        event = await _event(session, payloads.MEETING_SCHEDULED, meeting, slot_of(meeting))
        await webhooks.record(session, event, endpoint_ids)
