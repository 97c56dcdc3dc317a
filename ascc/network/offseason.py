"""Meetings outside the conference days, the parts without a database: the proposed times typed in the
proposer's own time zone, when the room is open, and the meeting's addresses. Pure.

The event calendars get (`network_meeting_item`) is an `ascc.ical` item, so the mail sender turns it into the
same iTIP invitation (METHOD:REQUEST or CANCEL) business meetings get.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ascc.ical import Attendee, CalendarItem, describe_parties, host_of, paragraphs
from ascc.text import clean_line, local_time

MAX_SLOTS = 3
DURATIONS = (30, 45, 60)
ROOM_OPENS = timedelta(minutes=15)  # the room opens this long before the meeting, as business meetings do
HORIZON = timedelta(days=365)  # a proposal further ahead than this is surely a typing mistake
SLOT_FIELDS = tuple(f"slot_{n}" for n in range(1, MAX_SLOTS + 1))
SLOT_ON_CONFERENCE_DAYS = "network.error.slot_conference"  # the page links to the business matching beside it


def conference_span(starts_on: date, ends_on: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The conference days as instants: from midnight of the first day to midnight after the last, in the
    edition's zone (in UTC)."""
    start = datetime.combine(starts_on, time(), zone).astimezone(UTC)
    end = datetime.combine(ends_on + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def parse_slots(
    errors: dict,
    raw: list[str],
    zone: tzinfo,
    now: datetime,
    conference: tuple[datetime, datetime] | None = None,
) -> list[datetime]:
    """Up to three times typed as "YYYY-MM-DDTHH:MM" (an `<input type="datetime-local">`) in `zone`.

    Each must exist in that zone (a time the clocks skip is refused, not moved), lie ahead (a past time is
    refused), within a year and outside the `conference` days (`conference_span`: people meet through the
    business matching then); the same instant twice is an error. The first field is required. Problems go
    into `errors` under the field's name. The times come back in UTC, as instants."""
    slots: list[datetime] = []
    for name, value in zip(SLOT_FIELDS, raw, strict=False):
        value = clean_line(value).replace(" ", "T")
        if not value:
            continue
        day, _, hhmm = value.partition("T")
        typed = local_time(errors, name, day, hhmm[:5], zone)
        if typed is None:
            errors[name] = ("network.error.slot_invalid", {})
            continue
        moment = typed.astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) != typed.replace(tzinfo=None):
            errors[name] = (
                "network.error.slot_nonexistent",
                {},
            )  # e.g. 02:30 when clocks go from 02:00 to 03:00
        elif moment <= now:
            errors[name] = ("network.error.slot_past", {})
        elif moment > now + HORIZON:
            errors[name] = ("network.error.slot_too_far", {})
        elif conference is not None and conference[0] <= moment < conference[1]:
            errors[name] = (SLOT_ON_CONFERENCE_DAYS, {})
        elif moment in slots:
            errors[name] = ("network.error.slot_repeated", {})
        else:
            slots.append(moment)
    if not slots and not any(name in errors for name in SLOT_FIELDS):
        errors["slot_1"] = ("error.required", {})
    return slots


def room_open(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    return starts_at - ROOM_OPENS <= now <= ends_at


def meeting_path(meeting_id: int) -> str:
    return f"/network/meetings/{meeting_id}"


def join_path(meeting_id: int) -> str:
    return f"/network/meetings/{meeting_id}/join"


def network_meeting_item(
    *,
    meeting_id: int,
    base_url: str,
    path: str,
    room_path: str,
    starts_at: datetime,
    ends_at: datetime,
    cancelled: bool,
    parties: tuple[tuple[Attendee, str], ...],  # each person and their organization
) -> CalendarItem:
    """An online meeting of two members of the year-round network, outside the conference days. Its location
    is the meeting's join page (`room_path`), which checks who asks and when: the room's own address is never
    written into a calendar."""
    link, room = f"{base_url}{path}", f"{base_url}{room_path}"
    names, who = describe_parties(parties)
    return CalendarItem(
        uid=f"network-meeting-{meeting_id}@{host_of(base_url)}",
        starts_at=starts_at,
        ends_at=ends_at,
        summary=f"ASCC network meeting / ネットワーク面談: {names}",
        location=room,
        description=paragraphs(
            "Online meeting of the Asia Smart City Alliance network.",
            "アジア・スマートシティ・アライアンスのネットワークでのオンライン面談です。",
            who,
            f"Video room / ビデオ会議: {room}",
            link,
        ),
        url=link,
        status="CANCELLED" if cancelled else "CONFIRMED",
        categories=("ASCC", "network_meeting"),
        attendees=tuple(person for person, _ in parties),
    )
