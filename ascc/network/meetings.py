"""Off-season online meetings between members: requests for up to three times, answers, cancelling,
the video room, and the mails (with calendar invitations) that tell the two people.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ascc import clock, dates, locks
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.ical import Attendee, invitation_payload
from ascc.mail import services as mail
from ascc.matching import invitations
from ascc.matching import services as matching
from ascc.network import offseason
from ascc.network.models import NetworkMeeting
from ascc.network.services import DEFAULT_ZONE, is_member, zone_of
from ascc.programme.schedule import zone
from ascc.text import collect, optional_block, whole_number

MESSAGE_MAX = 1000
MAX_PENDING = 5  # requests a member may have waiting for an answer at once
MAX_PER_WEEK = 10  # requests a member may send in seven days
DEFAULT_VIDEO = "https://meet.jit.si/"
OPEN = ("requested", "accepted")


async def get_meeting(session: AsyncSession, meeting_id: int) -> NetworkMeeting:
    found = await session.scalar(
        select(NetworkMeeting)
        .where(NetworkMeeting.id == meeting_id)
        .options(joinedload(NetworkMeeting.requester), joinedload(NetworkMeeting.recipient))
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound("meeting")
    return found


async def meeting_for(session: AsyncSession, meeting_id: int, user_id: int) -> NetworkMeeting:
    """A meeting for one of its two people; anyone else is told it does not exist."""
    meeting = await get_meeting(session, meeting_id)
    if user_id not in (meeting.requester_id, meeting.recipient_id):
        raise NotFound("meeting")
    return meeting


async def meetings_of(session: AsyncSession, user_id: int) -> list[NetworkMeeting]:
    rows = await session.scalars(
        select(NetworkMeeting)
        .where(or_(NetworkMeeting.requester_id == user_id, NetworkMeeting.recipient_id == user_id))
        .options(joinedload(NetworkMeeting.requester), joinedload(NetworkMeeting.recipient))
        .order_by(NetworkMeeting.id.desc())
    )
    return list(rows.unique())


def _number(value: Any) -> int | None:
    """A whole number from a form or a path, or None when it is missing or not one."""
    return whole_number({}, "", str(value if value is not None else ""), 0, 2**31 - 1, False)


def still_asked(now: datetime) -> Any:
    """A request still waiting for an answer: one of its proposed times is ahead (else it expired)."""
    return (NetworkMeeting.status == "requested") & or_(
        NetworkMeeting.slot_1_at > now, NetworkMeeting.slot_2_at > now, NetworkMeeting.slot_3_at > now
    )


async def request_meeting(
    session: AsyncSession, requester_id: int, values: Mapping[str, Any], base_url: str
) -> NetworkMeeting:
    """A member asks another member for an online meeting at one of up to three times (typed in the
    requester's own zone). Nothing is stored when anything is wrong; the field is named."""
    errors: dict = {}
    recipient_id = _number(values.get("recipient_id")) or 0
    if recipient_id <= 0:
        errors["recipient_id"] = ("error.required", {})
    message = collect(errors, optional_block, "message", values.get("message"), MESSAGE_MAX) or ""
    duration = _number(values.get("duration") or 30)
    if duration not in offseason.DURATIONS:
        errors["duration"] = ("error.choice_invalid", {})
    raw_slots = [str(values.get(name) or "") for name in offseason.SLOT_FIELDS]
    tz_name = await zone_of(session, requester_id)
    now = clock.now()
    slots = offseason.parse_slots(
        errors, raw_slots, ZoneInfo(tz_name), now, await _conference_days(session, now)
    )
    if errors:
        raise ValidationFailed(errors)
    # Both people, in id order: requests by the same person, or between the same two, made at once then run
    # one after the other, so the limits and the one open request per pair hold.
    await locks.lock_people(session, requester_id, recipient_id)
    if not await is_member(session, requester_id):
        raise DomainError("network.error.not_member", "not_member", status=403)
    if recipient_id == requester_id:
        raise DomainError("network.error.self", "self", field="recipient_id")
    if not await is_member(session, recipient_id) or not await accounts.is_active(session, recipient_id):
        raise DomainError("network.error.unknown_member", "unknown_member", field="recipient_id", status=404)
    if await _open_between(session, requester_id, recipient_id, now):
        raise DomainError("network.error.already_open", "already_open", field="recipient_id", status=409)
    pending = await session.scalar(
        select(func.count()).where(NetworkMeeting.requester_id == requester_id, still_asked(now))
    )
    if (pending or 0) >= MAX_PENDING:
        raise DomainError(
            "network.error.too_many_pending",
            "too_many_pending",
            field="recipient_id",
            status=429,
            limit=MAX_PENDING,
        )
    this_week = await session.scalar(
        select(func.count()).where(
            NetworkMeeting.requester_id == requester_id, NetworkMeeting.created_at > now - timedelta(days=7)
        )
    )
    if (this_week or 0) >= MAX_PER_WEEK:
        raise DomainError(
            "network.error.too_many_this_week",
            "too_many_this_week",
            field="recipient_id",
            status=429,
            limit=MAX_PER_WEEK,
        )
    slots.sort()
    meeting = NetworkMeeting(
        requester_id=requester_id,
        recipient_id=recipient_id,
        message=message,
        duration_minutes=duration,
        slot_1_at=slots[0],
        slot_2_at=slots[1] if len(slots) > 1 else None,
        slot_3_at=slots[2] if len(slots) > 2 else None,
        status="requested",
        room_token=secrets.token_urlsafe(18),
        created_at=now,  # the app's clock: the weekly limit and the request's date shown count from it
    )
    session.add(meeting)
    await session.flush()
    meeting = await get_meeting(session, meeting.id)
    await _tell(session, meeting, [recipient_id], "network_meeting_requested", base_url)
    return meeting


async def _conference_days(session: AsyncSession, now: datetime) -> tuple[datetime, datetime] | None:
    """The current edition's days (in its zone) as instants, unless it is over: no network meeting then."""
    current = await editions.current(session)
    if current is None:
        return None
    span = offseason.conference_span(
        current.starts_on, current.ends_on, zone(current.timezone) or ZoneInfo(DEFAULT_ZONE)
    )
    return span if span[1] > now else None


async def open_meeting_between(session: AsyncSession, a: int, b: int, now: datetime) -> NetworkMeeting | None:
    """The request still waiting for an answer, or the accepted meeting not over yet, between two people."""
    rows = await session.scalars(
        select(NetworkMeeting)
        .where(
            NetworkMeeting.status.in_(OPEN),
            or_(
                (NetworkMeeting.requester_id == a) & (NetworkMeeting.recipient_id == b),
                (NetworkMeeting.requester_id == b) & (NetworkMeeting.recipient_id == a),
            ),
        )
        .order_by(NetworkMeeting.id.desc())
    )
    return next(
        (
            m
            for m in rows
            if (m.status == "requested" and not m.expired(now)) or (m.ends_at is not None and m.ends_at > now)
        ),
        None,
    )


async def _open_between(session: AsyncSession, a: int, b: int, now: datetime) -> bool:
    return await open_meeting_between(session, a, b, now) is not None


async def answer(
    session: AsyncSession,
    meeting_id: int,
    actor_id: int,
    action: str,
    values: Mapping[str, Any],
    base_url: str,
) -> NetworkMeeting:
    """The recipient accepts one of the proposed times (still ahead) or declines, with an optional note."""
    meeting = await meeting_for(session, meeting_id, actor_id)
    if actor_id != meeting.recipient_id:
        raise DomainError("network.error.not_yours", "not_yours", status=403)
    if meeting.status != "requested":
        raise DomainError("network.error.already_answered", "already_answered", status=409)
    now = clock.now()
    if meeting.expired(now):
        raise DomainError("network.error.expired", "expired", status=409)
    errors: dict = {}
    note = collect(errors, optional_block, "answer", values.get("answer"), MESSAGE_MAX) or ""
    if action == "accept":
        ahead = [n for n, s in enumerate(meeting.slots, 1) if s > now]
        # The only time still ahead is preselected on the page; accepted as well when no choice is sent.
        choice = _number(values.get("slot")) or (ahead[0] if len(ahead) == 1 else 0)
        if not 1 <= choice <= len(meeting.slots):
            errors["slot"] = ("network.error.slot_choose", {})
        elif meeting.slots[choice - 1] <= now:
            errors["slot"] = ("network.error.slot_past", {})
        if errors:
            raise ValidationFailed(errors)
        meeting.status = "accepted"
        meeting.chosen_slot = choice
        meeting.starts_at = meeting.slots[choice - 1]
        meeting.ends_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    elif action == "decline":
        if errors:
            raise ValidationFailed(errors)
        meeting.status = "declined"
    else:
        raise DomainError("error.choice_invalid", "invalid", field="action")
    meeting.answer, meeting.answered_at = note, now
    await _flush_or_conflict(session)
    meeting = await get_meeting(session, meeting.id)
    if meeting.status == "accepted":
        await _tell(
            session,
            meeting,
            [meeting.requester_id, meeting.recipient_id],
            "network_meeting_accepted",
            base_url,
            True,
        )
    else:
        await _tell(session, meeting, [meeting.requester_id], "network_meeting_declined", base_url)
    return meeting


async def cancel(session: AsyncSession, meeting_id: int, actor_id: int, base_url: str) -> NetworkMeeting:
    """The requester withdraws a request, or either person cancels an accepted meeting before it ends (the
    recipient of a request declines it instead)."""
    meeting = await meeting_for(session, meeting_id, actor_id)
    if meeting.status == "requested" and actor_id != meeting.requester_id:
        raise DomainError("network.error.decline_instead", "not_yours", status=403)
    now = clock.now()
    if (
        meeting.status not in OPEN
        or meeting.expired(now)
        or (meeting.ends_at is not None and meeting.ends_at <= now)
    ):
        raise DomainError("network.error.not_open", "not_open", status=409)
    return await cancel_meeting(session, meeting, actor_id, base_url)


async def cancel_meeting(
    session: AsyncSession, meeting: NetworkMeeting, actor_id: int, base_url: str
) -> NetworkMeeting:
    was_accepted = meeting.status == "accepted"
    meeting.status = "cancelled"
    meeting.cancelled_by_id = actor_id
    await _flush_or_conflict(session)
    meeting = await get_meeting(session, meeting.id)
    await _tell(
        session, meeting, [meeting.other(actor_id)], "network_meeting_cancelled", base_url, was_accepted
    )
    if was_accepted:  # the one who cancelled needs no news, but their calendar still holds the meeting
        await _tell(session, meeting, [actor_id], "network_meeting_cancelled", base_url, True, to_self=True)
    return meeting


async def _flush_or_conflict(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError:
        raise DomainError("network.error.changed_meanwhile", "changed_meanwhile", status=409) from None


async def video_base(session: AsyncSession) -> str:
    """The video service of the current edition's business matching (or the default between editions)."""
    current = await editions.current(session)
    if current is None:
        return DEFAULT_VIDEO
    return (await matching.get_settings(session, current.id)).video_base_url or DEFAULT_VIDEO


async def room_meeting(session: AsyncSession, meeting_id: int, user_id: int, now: datetime) -> NetworkMeeting:
    """The meeting whose room `user_id` may open now: one of its two people, while both are members, from
    15 minutes before the accepted time to its end. Anything else is refused with the reason."""
    meeting = await meeting_for(session, meeting_id, user_id)
    if meeting.status != "accepted" or meeting.starts_at is None or meeting.ends_at is None:
        raise DomainError("network.error.no_room", "no_room", status=409)
    if not await is_member(session, meeting.requester_id) or not await is_member(
        session, meeting.recipient_id
    ):
        raise DomainError("network.error.no_room", "no_room", status=409)
    if not offseason.room_open(meeting.starts_at, meeting.ends_at, now):
        raise DomainError("network.error.room_closed", "room_closed", status=409)
    return meeting


async def room_address(session: AsyncSession, meeting_id: int, user_id: int, now: datetime) -> str:
    """The video room, checked again at the moment of use; opening it marks that person as there."""
    meeting = await room_meeting(session, meeting_id, user_id, now)
    # Set once, by a conditional statement: a double click on "Join" (two GETs at once) is no version clash,
    # and joining does not make the invitation's sequence grow.
    column = "requester_joined_at" if user_id == meeting.requester_id else "recipient_joined_at"
    if getattr(meeting, column) is None:
        await session.execute(
            update(NetworkMeeting)
            .where(NetworkMeeting.id == meeting.id, getattr(NetworkMeeting, column).is_(None))
            .values({column: now})
            .execution_options(synchronize_session=False)
        )
    return invitations.room_address(await video_base(session), meeting.room_token)


def _when(moment: datetime | None, lang: str, tz: str, minutes: int) -> str:
    """From start to end in the person's own zone (off-season meetings span the region's zones)."""
    if moment is None:
        return ""
    return dates.format_range(moment, moment + timedelta(minutes=minutes), lang, tz, "datetime_range")


async def _tell(
    session: AsyncSession,
    meeting: NetworkMeeting,
    user_ids: list[int],
    kind: str,
    base_url: str,
    with_calendar: bool = False,
    to_self: bool = False,
) -> None:
    """A mail in each person's language (both languages inside), times in their own zone, and with an
    accepted or cancelled meeting the calendar invitation (REQUEST or CANCEL)."""
    people = {
        u.id: u for u in await accounts.get_users(session, [meeting.requester_id, meeting.recipient_id])
    }
    organizations = await accounts.organization_names(session, list(people))
    item = None
    if with_calendar and meeting.starts_at and meeting.ends_at:
        item = offseason.network_meeting_item(
            meeting_id=meeting.id,
            base_url=base_url,
            path=offseason.meeting_path(meeting.id),
            room_path=offseason.join_path(meeting.id),
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            cancelled=meeting.status == "cancelled",
            parties=tuple(
                (Attendee(p.email, p.display_name), organizations.get(p.id, "")) for p in people.values()
            ),
        )
    for user_id in user_ids:
        person = people.get(user_id)
        if person is None:
            continue
        other = people.get(meeting.other(user_id))
        tz = await zone_of(session, user_id)
        await mail.queue_mail(
            session,
            to=person.email,
            name=person.name_latin,
            lang=person.preferred_lang,
            kind=kind,
            context={
                "name": person.name_latin,
                "name_other": other.display_name if other else "",
                "message": meeting.message if kind == "network_meeting_requested" else meeting.answer,
                "slots_en": [_when(s, "en", tz, meeting.duration_minutes) for s in meeting.slots],
                "slots_ja": [_when(s, "ja", tz, meeting.duration_minutes) for s in meeting.slots],
                "when_en": _when(meeting.starts_at, "en", tz, meeting.duration_minutes),
                "when_ja": _when(meeting.starts_at, "ja", tz, meeting.duration_minutes),
                "minutes": meeting.duration_minutes,
                "to_self": to_self,
                "link": f"{base_url}{offseason.meeting_path(meeting.id)}",
            },
            invitation=invitation_payload(item, tz, meeting.version) if item else None,
        )
