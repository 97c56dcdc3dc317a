"""What each webhook event says, and no more. Pure: plain values in, the JSON body out.

A body has the Standard Webhooks shape `{"type", "timestamp", "data"}`. `data` carries ids, the edition,
categories and times; a person's name and organization only where the receiver cannot act without them
(a confirmed registration, an exhibitor's lead); never an e-mail address, a badge code or an ID number.
Receivers map the person ids of other events through the registration.confirmed they received.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REGISTRATION_CONFIRMED = "registration.confirmed"
REGISTRATION_CANCELLED = "registration.cancelled"
CHECKIN_RECORDED = "checkin.recorded"
MEETING_SCHEDULED = "meeting.scheduled"
MEETING_MOVED = "meeting.moved"
MEETING_CANCELLED = "meeting.cancelled"
LEAD_RECORDED = "lead.recorded"
TEST = "webhook.test"  # sent by the "send a test event" button, to one endpoint only

# What organizers' endpoints may choose; an exhibitor's endpoint gets its own leads only.
ORGANIZER_EVENTS = (
    REGISTRATION_CONFIRMED,
    REGISTRATION_CANCELLED,
    CHECKIN_RECORDED,
    MEETING_SCHEDULED,
    MEETING_MOVED,
    MEETING_CANCELLED,
)
EXHIBITOR_EVENTS = (LEAD_RECORDED,)
EVENT_TYPES = (*ORGANIZER_EVENTS, *EXHIBITOR_EVENTS, TEST)


@dataclass(frozen=True)
class Event:
    type: str
    at: datetime
    data: dict[str, Any]
    edition_id: int | None = None
    # lead.recorded: only this exhibitor's endpoint receives it; None: organizers' endpoints.
    exhibitor_id: int | None = None
    # The person whose name `data` carries (forgetting them deletes the deliveries), if any.
    person_id: int | None = None


@dataclass(frozen=True)
class Party:
    """One side of a meeting: the person's id and the organization they represent (not their name)."""

    person_id: int
    organization: str | None = None


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    place: str | None = None  # "table" | "room"
    number: int | None = None


def timestamp(moment: datetime) -> str:
    """UTC, to the second, with a Z: the same instant reads the same everywhere."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def registration_confirmed(
    *,
    registration_id: int,
    edition_id: int,
    person_id: int,
    name: str,
    organization: str | None,
    category: str,
    mode: str,
    at: datetime,
) -> Event:
    data = {
        "registration_id": registration_id,
        "person": {"id": person_id, "name": name, "organization": organization},
        "category": category,
        "mode": mode,
        "confirmed_at": timestamp(at),
    }
    return Event(REGISTRATION_CONFIRMED, at, data, edition_id, person_id=person_id)


def registration_cancelled(
    *,
    registration_id: int,
    edition_id: int,
    person_id: int,
    category: str,
    mode: str,
    status: str,
    at: datetime,
) -> Event:
    """`status`: "cancelled" (by the person or an organizer), or "rejected" (a confirmed place withdrawn)."""
    data = {
        "registration_id": registration_id,
        "person": {"id": person_id},
        "category": category,
        "mode": mode,
        "status": status,
        "cancelled_at": timestamp(at),
    }
    return Event(REGISTRATION_CANCELLED, at, data, edition_id)


def check_in(
    *,
    check_in_id: int,
    registration_id: int,
    edition_id: int,
    person_id: int,
    place_type: str,
    place_id: int | None,
    at: datetime,
) -> Event:
    data = {
        "check_in_id": check_in_id,
        "registration_id": registration_id,
        "person": {"id": person_id},
        "place": {"type": place_type, "id": place_id},
        "checked_in_at": timestamp(at),
    }
    return Event(CHECKIN_RECORDED, at, data, edition_id)


def _slot(slot: Slot | None) -> dict[str, Any] | None:
    if slot is None:
        return None
    return {
        "starts_at": timestamp(slot.starts_at),
        "ends_at": timestamp(slot.ends_at),
        "place": slot.place,
        "number": slot.number,
    }


def meeting(
    event_type: str,
    *,
    meeting_id: int,
    edition_id: int,
    meeting_format: str,
    parties: Sequence[Party],
    slot: Slot | None,
    at: datetime,
    previous: Slot | None = None,
) -> Event:
    """meeting.scheduled (`slot`: where and when), meeting.moved (`previous`: where it was), meeting.cancelled
    (`slot`: the time it had)."""
    if event_type not in (MEETING_SCHEDULED, MEETING_MOVED, MEETING_CANCELLED):
        raise ValueError(f"not a meeting event: {event_type}")
    data: dict[str, Any] = {
        "meeting_id": meeting_id,
        "format": meeting_format,
        "parties": [{"person_id": p.person_id, "organization": p.organization} for p in parties],
        "slot": _slot(slot),
    }
    if event_type == MEETING_MOVED:
        data["previous_slot"] = _slot(previous)
    return Event(event_type, at, data, edition_id)


def lead_recorded(
    *,
    lead_id: int,
    exhibitor_id: int,
    edition_id: int,
    person_id: int,
    name: str,
    organization: str | None,
    category: str,
    at: datetime,
) -> Event:
    """Only to the exhibitor's own endpoint; its staff look the contact details up in their leads."""
    data = {
        "lead_id": lead_id,
        "exhibitor_id": exhibitor_id,
        "person": {"id": person_id, "name": name, "organization": organization},
        "category": category,
        "scanned_at": timestamp(at),
    }
    return Event(LEAD_RECORDED, at, data, edition_id, exhibitor_id=exhibitor_id, person_id=person_id)


def test_event(endpoint_id: int, at: datetime) -> Event:
    return Event(TEST, at, {"endpoint_id": endpoint_id, "note": "a test event sent from the ASCC platform"})


def body(event: Event, edition_slug: str | None) -> str:
    """The JSON body, compact, exactly the text that is signed and sent on every attempt."""
    data = {"edition": {"id": event.edition_id, "slug": edition_slug}} if event.edition_id is not None else {}
    document = {"type": event.type, "timestamp": timestamp(event.at), "data": {**data, **event.data}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
