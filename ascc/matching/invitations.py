"""Business meetings in calendars: the event a calendar shows, and what goes with the mails.

When a meeting is scheduled, moved or cancelled both parties get an iTIP invitation with the mail that
tells them (METHOD:REQUEST, or CANCEL). Its SEQUENCE is the meeting's row version, which grows with every
write, so a calendar always takes the later message over the earlier one.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Select, bindparam, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc.accounts import services as accounts
from ascc.accounts.models import User, name_as_shown
from ascc.ical import (
    Attendee,
    CalendarItem,
    bilingual,
    describe_parties,
    host_of,
    invitation_payload,
    paragraphs,
    venue,
)
from ascc.matching import services as matching
from ascc.matching.models import MatchingSession, MatchingSlot, Meeting
from ascc.organizations.models import Organization
from ascc.programme.agenda import AgendaMeeting

if TYPE_CHECKING:
    from ascc.editions.models import Edition

# Meetings that have (or had) a time and took place or will: they belong in calendars. A no-show drops out
# (its table was given away), so calendars show it cancelled.
IN_CALENDAR = ("scheduled", "held")


def room_url(settings: Any, meeting: Meeting) -> str:
    """The meeting's online room (an unguessable name under the edition's video service)."""
    return room_address(settings.video_base_url, meeting.room_token)


def room_address(video_base_url: str, room_token: str) -> str:
    """An online room under a video service (business meetings and the network's meetings alike)."""
    return f"{video_base_url}ascc-{room_token}"


def join_url(base_url: str, meeting_id: int) -> str:
    return f"{base_url}/matching/meetings/{meeting_id}/join"


async def calendar_item(
    session: AsyncSession, edition: Edition, meeting: Meeting, base_url: str
) -> CalendarItem:
    """The meeting as a calendar event; it needs both people and the slot with its session loaded."""
    return (await items_of(session, edition, [meeting], base_url))[0]


async def items_of(
    session: AsyncSession, edition: Edition, meetings: list[Meeting], base_url: str
) -> list[CalendarItem]:
    settings = await matching.get_settings(session, edition.id)
    people = [p for m in meetings for p in (m.requester_id, m.recipient_id)]
    organizations = await accounts.organization_names(session, people)
    return [_item(edition, m, base_url, settings, organizations) for m in meetings]


def _item(
    edition: Edition, meeting: Meeting, base_url: str, settings: Any, organizations: dict[int, str]
) -> CalendarItem:
    if meeting.slot is None:
        raise ValueError("only a meeting with a slot has a place in a calendar")
    people = [meeting.requester, meeting.recipient]
    return meeting_item(
        meeting_id=meeting.id,
        base_url=base_url,
        starts_at=meeting.slot.starts_at,
        ends_at=meeting.slot.ends_at,
        cancelled=meeting.status == "cancelled",
        place_en=matching.place_label(meeting, "en"),
        place_ja=matching.place_label(meeting, "ja"),
        # The room's own address is never handed out: the meeting's join page checks who asks, and when.
        video_url=join_url(base_url, meeting.id) if meeting.place == "room" else None,
        parties=tuple((Attendee(p.email, p.display_name), organizations.get(p.id, "")) for p in people),
        edition=edition,
    )


def request_payload(item: CalendarItem, edition: Edition, meeting: Meeting) -> dict[str, Any]:
    """The invitation that adds (or moves) the meeting in both calendars."""
    return invitation_payload(item, edition.timezone, meeting.version)


def cancel_payload(item: CalendarItem, edition: Edition, meeting: Meeting) -> dict[str, Any]:
    """The invitation that removes it: the event as it was, cancelled, with a later SEQUENCE."""
    return invitation_payload(replace(item, status="CANCELLED"), edition.timezone, meeting.version)


async def calendar_items(
    session: AsyncSession, edition: Edition, user_id: int, base_url: str
) -> list[CalendarItem]:
    """A person's meetings with a time in this edition, for their personal feed."""
    return await items_of(session, edition, await _with_a_time(session, edition.id, user_id), base_url)


async def _with_a_time(session: AsyncSession, edition_id: int, user_id: int) -> list[Meeting]:
    rows = await session.scalars(
        select(Meeting)
        .where(
            Meeting.edition_id == edition_id,
            or_(Meeting.requester_id == user_id, Meeting.recipient_id == user_id),
            Meeting.status.in_(IN_CALENDAR),
            Meeting.slot_id.is_not(None),
        )
        .options(
            joinedload(Meeting.requester),
            joinedload(Meeting.recipient),
            joinedload(Meeting.slot).joinedload(MatchingSlot.session),
        )
    )
    return list(rows.unique())


# My agenda's meetings as plain columns, the other party's name and organization joined in: built once (on
# first use, when the mappers are configured), so SQLAlchemy neither rebuilds nor re-keys it per request,
# and no ORM rows are loaded. Every request reads the meetings as they are now.
_VIEWER: BindParameter[int] = bindparam("viewer_id")


@functools.cache
def _agenda_statement() -> Select[Any]:
    other_id = case((Meeting.requester_id == _VIEWER, Meeting.recipient_id), else_=Meeting.requester_id)
    return (
        select(
            Meeting.id,
            Meeting.status,
            Meeting.place,
            Meeting.place_number,
            Meeting.slot_id,
            MatchingSlot.starts_at,
            MatchingSlot.ends_at,
            MatchingSession.location_en,
            MatchingSession.location_ja,
            User.name_latin,
            User.name_local,
            Organization.name_en.label("organization"),
        )
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .join(MatchingSession, MatchingSession.id == MatchingSlot.session_id)
        .join(User, User.id == other_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(
            Meeting.edition_id == bindparam("edition_id"),
            or_(Meeting.requester_id == _VIEWER, Meeting.recipient_id == _VIEWER),
            Meeting.status.in_(IN_CALENDAR),
        )
        .order_by(MatchingSlot.starts_at, Meeting.id)
    )


async def agenda_meetings(session: AsyncSession, edition_id: int, user_id: int) -> list[AgendaMeeting]:
    """The same meetings for the programme's "my agenda" page (matching.routes.provide_agenda_meetings)."""
    rows = await session.execute(_agenda_statement(), {"edition_id": edition_id, "viewer_id": user_id})
    result = []
    for row in rows:
        # What matching.place_label reads of a meeting, its slot and the slot's session.
        area = SimpleNamespace(location_en=row.location_en, location_ja=row.location_ja)
        placed = SimpleNamespace(
            place=row.place,
            place_number=row.place_number,
            slot_id=row.slot_id,
            slot=SimpleNamespace(session=area),
        )
        result.append(
            AgendaMeeting(
                id=row.id,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                with_name=name_as_shown(row.name_latin, row.name_local),
                with_organization=row.organization or "",
                place_en=matching.place_label(placed, "en"),
                place_ja=matching.place_label(placed, "ja"),
                online=row.place == "room",
                status=row.status,
            )
        )
    return result


def meeting_item(
    *,
    meeting_id: int,
    base_url: str,
    starts_at: datetime,
    ends_at: datetime,
    cancelled: bool,
    place_en: str,
    place_ja: str,
    video_url: str | None,
    parties: tuple[tuple[Attendee, str], ...],  # each person and their organization
    edition: Edition,
) -> CalendarItem:
    """A business meeting between two parties: a table at the venue, or an online room."""
    link = f"{base_url}/matching/meetings/{meeting_id}"
    names, who = describe_parties(parties)
    location = (
        video_url if video_url else ", ".join(p for p in (bilingual(place_en, place_ja), venue(edition)) if p)
    )
    return CalendarItem(
        uid=f"meeting-{meeting_id}@{host_of(base_url)}",
        starts_at=starts_at,
        ends_at=ends_at,
        summary=f"Business meeting / 商談: {names}",
        location=location,
        description=paragraphs(
            f"Business meeting at {place_en}" if place_en else "Business meeting",
            f"商談：{place_ja}" if place_ja else "",
            who,
            f"Video room / ビデオ会議: {video_url}" if video_url else "",
            link,
        ),
        url=link,
        status="CANCELLED" if cancelled else "CONFIRMED",
        categories=("ASCC", "business_meeting"),
        attendees=tuple(person for person, _ in parties),
    )
