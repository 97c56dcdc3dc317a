"""Meeting requests and meetings: ask, answer (or a delegation head answers), pick a slot, cancel, check in,
record no-shows, give feedback, and the organizers' interpreter assignment and follow-up tracker.

Double booking is impossible by construction: a scheduled meeting holds a `MeetingSeat` per person and
slot (unique) and its place (unique per slot), so of two accepts racing for one person's slot, or for the
last table, the database lets exactly one through; the other gets a clear "taken" answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import format_datetime
from ascc.mail import services as mail
from ascc.matching import invitations
from ascc.matching import services as matching
from ascc.matching.models import (
    OPEN_STATUSES,
    PRIORITIES,
    MatchingSlot,
    Meeting,
    MeetingSeat,
)
from ascc.matching.services import place_label
from ascc.notifications import services as notifications
from ascc.registration import delegations
from ascc.registration import services as registration
from ascc.text import collect, optional_block

MESSAGE_MAX = 1000
NO_SHOW_AFTER = timedelta(minutes=10)
ANSWERABLE = ("requested",)


def place_of(format_: str) -> str:
    """In person needs a table; online and hybrid meetings need an online room."""
    return "table" if format_ == "in_person" else "room"


def default_format(mode_a: str, mode_b: str) -> str:
    if mode_a == mode_b == "in_person":
        return "in_person"
    if mode_a == mode_b == "online":
        return "online"
    return "hybrid"


async def get_meeting(session: AsyncSession, meeting_id: int, edition_id: int | None = None) -> Meeting:
    query = (
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.requester),
            joinedload(Meeting.recipient),
            joinedload(Meeting.slot).joinedload(MatchingSlot.session),
            joinedload(Meeting.proposed_slot).joinedload(MatchingSlot.session),
        )
        .execution_options(populate_existing=True)
    )
    if edition_id is not None:
        query = query.where(Meeting.edition_id == edition_id)
    found = await session.scalar(query)
    if found is None:
        raise NotFound("meeting")
    return found


async def meetings_by_ids(session: AsyncSession, meeting_ids: list[int]) -> list[Meeting]:
    """Many meetings with both people and their slot, a few hundred ids per query."""
    result: list[Meeting] = []
    for start in range(0, len(meeting_ids), 500):
        rows = await session.scalars(
            select(Meeting)
            .where(Meeting.id.in_(meeting_ids[start : start + 500]))
            .options(
                joinedload(Meeting.requester),
                joinedload(Meeting.recipient),
                joinedload(Meeting.slot).joinedload(MatchingSlot.session),
            )
        )
        result.extend(rows.unique())
    return result


async def may_act_for(session: AsyncSession, edition_id: int, actor_id: int, user_id: int) -> bool:
    """A person acts for themselves; a delegation head also for the members of their delegation."""
    if actor_id == user_id:
        return True
    return (await delegations.heads_of(session, edition_id, [user_id])).get(user_id) == actor_id


async def visible_to(session: AsyncSession, meeting: Meeting, viewer_id: int, organizer: bool) -> bool:
    if organizer or viewer_id in (meeting.requester_id, meeting.recipient_id):
        return True
    heads = await delegations.heads_of(
        session, meeting.edition_id, [meeting.requester_id, meeting.recipient_id]
    )
    return viewer_id in heads.values()


async def _require_party_or_organizer(
    session: AsyncSession, edition_id: int, meeting: Meeting, actor_id: int, organizer: bool
) -> None:
    """Either party (or their delegation head) or an organizer; anyone else is refused."""
    if organizer:
        return
    for person in (meeting.requester_id, meeting.recipient_id):
        if await may_act_for(session, edition_id, actor_id, person):
            return
    raise DomainError("matching.error.not_yours", "not_yours", status=403)


ROOM_OPENS = timedelta(minutes=15)  # an online meeting's room opens this long before its start


def is_online(meeting: Meeting) -> bool:
    return meeting.place == "room" or meeting.format != "in_person"


async def room_address(
    session: AsyncSession, edition_id: int, meeting_id: int, user_id: int, organizer: bool, now: Any
) -> str:
    """The video room of a scheduled online meeting, for its parties (or their delegation heads) while
    their registration stands, and organizers, from 15 minutes before its start to its end."""
    meeting = await get_meeting(session, meeting_id, edition_id)
    if not await visible_to(session, meeting, user_id, organizer):
        raise NotFound("meeting")
    mine = await registration.my_registration(session, edition_id, user_id)
    if not organizer and (mine is None or mine.status != "confirmed"):  # a cancelled registration closes it
        raise DomainError("error.online_needs_registration", "not_registered", status=403)
    if not is_online(meeting) or meeting.status != "scheduled" or meeting.slot is None:
        raise DomainError("matching.error.no_room", "no_room", status=409)
    if not meeting.slot.starts_at - ROOM_OPENS <= now <= meeting.slot.ends_at:
        raise DomainError("matching.error.room_closed", "room_closed", status=409)
    return invitations.room_url(await matching.get_settings(session, edition_id), meeting)


async def open_count(session: AsyncSession, edition_id: int, user_id: int) -> int:
    """What counts towards a person's limit: meetings agreed (accepted, scheduled) and requests they sent.

    Requests others sent them do not count: receiving many requests must not stop anyone from accepting.
    """
    return (
        await session.scalar(
            select(func.count()).where(
                Meeting.edition_id == edition_id,
                or_(
                    Meeting.status.in_(("accepted", "scheduled"))
                    & or_(Meeting.requester_id == user_id, Meeting.recipient_id == user_id),
                    (Meeting.status == "requested") & (Meeting.requester_id == user_id),
                ),
            )
        )
        or 0
    )


async def _check_limit(
    session: AsyncSession, edition_id: int, user_id: int, settings: Any, field: str
) -> None:
    limit = matching.limit_of(settings, await matching.get_profile(session, edition_id, user_id))
    if await open_count(session, edition_id, user_id) >= limit:
        raise DomainError(
            "matching.error.limit_reached", "limit_reached", field=field, limit=limit, status=409
        )


async def open_between(session: AsyncSession, edition_id: int, a: int, b: int) -> Meeting | None:
    return await session.scalar(
        select(Meeting).where(
            Meeting.edition_id == edition_id,
            Meeting.status.in_(OPEN_STATUSES),
            or_(
                (Meeting.requester_id == a) & (Meeting.recipient_id == b),
                (Meeting.requester_id == b) & (Meeting.recipient_id == a),
            ),
        )
    )


async def send_request(
    session: AsyncSession, edition: Any, requester_id: int, values: Mapping[str, Any], base_url: str
) -> Meeting:
    """A request from `requester_id` to `values["recipient_id"]` with a message and a priority."""
    errors: dict = {}
    priority = str(values.get("priority") or "would_like")
    if priority not in PRIORITIES:
        errors["priority"] = ("error.choice_invalid", {})
    message = collect(errors, optional_block, "message", values.get("message"), MESSAGE_MAX)
    try:
        recipient_id = int(values.get("recipient_id") or 0)
    except (TypeError, ValueError):
        recipient_id = 0
    if recipient_id <= 0:
        errors["recipient_id"] = ("error.required", {})
    if errors:
        raise ValidationFailed(errors)
    settings = await matching.get_settings(session, edition.id)
    if not settings.requests_open:
        raise DomainError("matching.error.requests_closed", "requests_closed", status=409)
    if recipient_id == requester_id:
        raise DomainError("matching.error.self", "self", field="recipient_id")
    people = await registration.registrations_of(session, edition.id, [requester_id, recipient_id])
    mine, theirs = people.get(requester_id), people.get(recipient_id)
    if mine is None or mine.status != "confirmed":
        raise DomainError("matching.error.not_registered", "not_registered", status=403)
    if theirs is None or theirs.status != "confirmed" or not theirs.consent_directory:
        raise DomainError("matching.error.unknown_person", "unknown_person", field="recipient_id", status=404)
    if not matching.may_meet(settings, mine.category, theirs.category):
        raise DomainError("matching.error.categories", "categories", field="recipient_id", status=403)
    # The requester is locked before their requests are counted: twenty sent at once are counted one after
    # the other. One open request per pair is the database's index (A->B and B->A lock different people).
    await locks.lock_people(session, requester_id)
    if await open_between(session, edition.id, requester_id, recipient_id):
        raise DomainError("matching.error.already_open", "already_open", field="recipient_id", status=409)
    await _check_limit(session, edition.id, requester_id, settings, "recipient_id")
    format_ = str(values.get("format") or default_format(mine.mode, theirs.mode))
    allowed = (
        ("in_person", "online", "hybrid") if mine.mode == theirs.mode == "in_person" else ("online", "hybrid")
    )
    if format_ not in allowed:
        raise DomainError("matching.error.format", "format", field="format")
    accepted_formats = await matching.get_profile(session, edition.id, recipient_id) or None
    if accepted_formats is not None and accepted_formats.formats and format_ not in accepted_formats.formats:
        raise DomainError("matching.error.format_not_accepted", "format_not_accepted", field="format")
    meeting = Meeting(
        edition_id=edition.id,
        requester_id=requester_id,
        recipient_id=recipient_id,
        message=message or "",
        priority=priority,
        format=format_,
        status="requested",
        room_token=secrets.token_urlsafe(18),
        interpreter_needed=bool(values.get("interpreter_needed")),
    )
    try:
        async with session.begin_nested():
            session.add(meeting)
    except IntegrityError:  # the other person asked us at the same moment
        raise DomainError(
            "matching.error.already_open", "already_open", field="recipient_id", status=409
        ) from None
    heads = await delegations.heads_of(session, edition.id, [recipient_id])
    await tell_parties(
        session,
        edition,
        [recipient_id, *heads.values()],
        "meeting_requested",
        meeting,
        base_url,
        {"name_other": mine.user.name_latin, "message": meeting.message},
    )
    return meeting


async def answer(
    session: AsyncSession,
    edition: Any,
    meeting_id: int,
    actor_id: int,
    action: str,
    values: Mapping[str, Any],
    base_url: str,
) -> Meeting:
    """The recipient (or their delegation head) accepts, declines, or accepts proposing a time."""
    meeting = await get_meeting(session, meeting_id, edition.id)
    if not await may_act_for(session, edition.id, actor_id, meeting.recipient_id):
        raise DomainError("matching.error.not_yours", "not_yours", status=403)
    if meeting.status not in ANSWERABLE:
        raise DomainError("matching.error.already_answered", "already_answered", status=409)
    note = collect({}, optional_block, "answer", values.get("answer"), MESSAGE_MAX) or ""
    settings = await matching.get_settings(session, edition.id)
    if action == "decline":
        meeting.status = "declined"
    elif action in ("accept", "propose"):
        # Accepting counts towards the recipient's limit: lock them, then count (and see the meeting anew).
        await locks.lock_people(session, meeting.recipient_id)
        meeting = await get_meeting(session, meeting_id, edition.id)
        if meeting.status not in ANSWERABLE:
            raise DomainError("matching.error.already_answered", "already_answered", status=409)
        await _check_limit(session, edition.id, meeting.recipient_id, settings, "action")
        meeting.status = "accepted"
    else:
        raise DomainError("error.choice_invalid", "invalid", field="action")
    meeting.answer = note[:MESSAGE_MAX]
    meeting.answered_by_id = actor_id
    meeting.answered_at = clock.now()
    slot_id = slot_id_of(values)
    if action == "propose":
        _require_instant(settings)
        if slot_id is None:
            raise DomainError("matching.error.slot_required", "slot_required", field="slot_id")
        slot = await _free_slot_for(session, edition.id, meeting, slot_id)
        meeting.proposed_slot_id = slot.id
    await _flush_or_conflict(session)
    if action == "accept" and slot_id is not None and settings.instant:
        await schedule_in(session, edition, meeting, slot_id, base_url, tell=False)
    kind = {"accept": "meeting_accepted", "decline": "meeting_declined", "propose": "meeting_proposed"}[
        action
    ]
    meeting = await get_meeting(session, meeting.id)
    params: dict[str, Any] = {"name_other": meeting.recipient.name_latin}
    if meeting.proposed_slot is not None:  # the proposed time, not the (empty) scheduled one
        params |= {
            "when_en": format_datetime(meeting.proposed_slot.starts_at, "en", edition.timezone, "short"),
            "when_ja": format_datetime(meeting.proposed_slot.starts_at, "ja", edition.timezone, "short"),
        }
    invitation = await _request_of(session, edition, meeting, base_url)
    await tell_parties(session, edition, [meeting.requester_id], kind, meeting, base_url, params, invitation)
    if meeting.status == "scheduled":
        await tell_parties(
            session, edition, [meeting.recipient_id], "meeting_scheduled", meeting, base_url, {}, invitation
        )
    return meeting


async def _request_of(session: AsyncSession, edition: Any, meeting: Meeting, base_url: str) -> dict | None:
    """The calendar invitation of a scheduled meeting (None while it has no time)."""
    if meeting.status != "scheduled" or meeting.slot is None:
        return None
    item = await invitations.calendar_item(session, edition, meeting, base_url)
    return invitations.request_payload(item, edition, meeting)


def _require_instant(settings: Any) -> None:
    """Participants pick times themselves only in instant mode; otherwise the organizers' run does."""
    if not settings.instant:
        raise DomainError("matching.error.not_instant", "not_instant", field="slot_id", status=409)


async def _flush_or_conflict(session: AsyncSession) -> None:
    """Write the meeting; if someone changed it since we read it (its version moved on), say so."""
    try:
        await session.flush()
    except StaleDataError:
        raise DomainError("matching.error.changed_meanwhile", "changed_meanwhile", status=409) from None


def slot_id_of(values: Mapping[str, Any]) -> int | None:
    raw = values.get("slot_id")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DomainError("error.choice_invalid", "invalid", field="slot_id") from None


async def take_proposal(
    session: AsyncSession, edition: Any, meeting_id: int, actor_id: int, base_url: str
) -> Meeting:
    """The requester agrees to the time the recipient proposed."""
    meeting = await get_meeting(session, meeting_id, edition.id)
    if not await may_act_for(session, edition.id, actor_id, meeting.requester_id):
        raise DomainError("matching.error.not_yours", "not_yours", status=403)
    if meeting.status != "accepted" or meeting.proposed_slot_id is None:
        raise DomainError("matching.error.no_proposal", "no_proposal", status=409)
    await schedule_in(session, edition, meeting, meeting.proposed_slot_id, base_url)
    return await get_meeting(session, meeting.id)


async def _free_slot_for(
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
    edition: Any,
    meeting: Meeting,
    slot_id: int | None,
    base_url: str,
    tell: bool = True,
) -> Meeting:
    """Instant mode: put the meeting in a slot both are free in, at the lowest free table (or room)."""
    _require_instant(await matching.get_settings(session, edition.id))
    meeting = await _place(session, edition, meeting, slot_id)
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
            await _request_of(session, edition, scheduled, base_url),
        )
    return meeting


async def _place(session: AsyncSession, edition: Any, meeting: Meeting, slot_id: int | None) -> Meeting:
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
    slot = await _free_slot_for(session, edition.id, meeting, slot_id)
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
    await _flush_or_conflict(
        session
    )  # the other party cancelling or moving it at this moment: told, not a 500


async def cancel(
    session: AsyncSession, edition: Any, meeting_id: int, actor_id: int, organizer: bool, base_url: str
) -> Meeting:
    meeting = await get_meeting(session, meeting_id, edition.id)
    await _require_party_or_organizer(session, edition.id, meeting, actor_id, organizer)
    if meeting.status not in OPEN_STATUSES:
        raise DomainError("matching.error.not_open", "not_open", status=409)
    was_scheduled = meeting.status == "scheduled"
    when = _when_params(meeting, edition.timezone)
    # The event as calendars have it, to cancel it there once the meeting has lost its slot.
    in_calendars = (
        await invitations.calendar_item(session, edition, meeting, base_url) if was_scheduled else None
    )
    await unschedule(session, meeting)
    meeting.status = "cancelled"
    meeting.cancelled_by_id = actor_id
    await _flush_or_conflict(session)
    parties = (meeting.requester_id, meeting.recipient_id)
    others = [p for p in parties if p != actor_id]
    meeting = await get_meeting(session, meeting.id)
    cancel = invitations.cancel_payload(in_calendars, edition, meeting) if in_calendars else None
    await tell_parties(
        session,
        edition,
        others,
        "meeting_cancelled",
        meeting,
        base_url,
        {**when, "was_scheduled": was_scheduled},
        cancel,
    )
    if cancel and actor_id in parties:
        # The one who cancelled needs no news, but their calendar still holds the meeting.
        await tell_parties(
            session,
            edition,
            [actor_id],
            "meeting_invitation_cancelled",
            meeting,
            base_url,
            when,
            cancel,
            notify=False,
        )
    return meeting


async def move(
    session: AsyncSession,
    edition: Any,
    meeting_id: int,
    actor_id: int,
    organizer: bool,
    slot_id: int | None,
    base_url: str,
) -> Meeting:
    """Move a scheduled meeting to another slot both people are free in (a party or an organizer).

    Both get the news with an updated invitation: same UID, later SEQUENCE, so calendars move the event."""
    meeting = await get_meeting(session, meeting_id, edition.id)
    await _require_party_or_organizer(session, edition.id, meeting, actor_id, organizer)
    if meeting.status != "scheduled":
        raise DomainError("matching.error.not_scheduled", "not_scheduled", status=409)
    if meeting.slot.starts_at <= clock.now():
        raise DomainError("matching.error.already_started", "already_started", status=409)
    if not organizer:
        # Where only the organizers' run sets times, only they move meetings, and not the ones they locked.
        _require_instant(await matching.get_settings(session, edition.id))
        if meeting.locked:
            raise DomainError("matching.error.locked_by_organizers", "locked", status=409)
    if slot_id is None:
        raise DomainError("matching.error.slot_required", "slot_required", field="slot_id")
    if slot_id == meeting.slot_id:
        raise DomainError("matching.error.same_slot", "same_slot", field="slot_id")
    was, locked = _when_params(meeting, edition.timezone), meeting.locked
    async with session.begin_nested():  # a refused move leaves the meeting where it was
        await unschedule(session, meeting)
        meeting.status = "accepted"
        await session.flush()
        meeting = await _place(session, edition, meeting, slot_id)
        meeting.locked = locked
        await session.flush()
    moved = await get_meeting(session, meeting_id)
    await tell_parties(
        session,
        edition,
        [moved.requester_id, moved.recipient_id],
        "meeting_moved",
        moved,
        base_url,
        {"was_en": was["when_en"], "was_ja": was["when_ja"]},
        await _request_of(session, edition, moved, base_url),
    )
    return moved


async def tell_place_changed(
    session: AsyncSession, edition: Any, matching_session_id: int, base_url: str
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


# --- Telling people ---------------------------------------------------------------------------------


def _when_params(meeting: Meeting, tz: str) -> dict[str, str]:
    if meeting.slot_id is None:
        return {"when_en": "", "when_ja": ""}
    return {
        "when_en": format_datetime(meeting.slot.starts_at, "en", tz, "short"),
        "when_ja": format_datetime(meeting.slot.starts_at, "ja", tz, "short"),
    }


async def tell_parties(
    session: AsyncSession,
    edition: Any,
    user_ids: list[int],
    kind: str,
    meeting: Meeting,
    base_url: str,
    params: dict[str, Any],
    invitation: dict[str, Any] | None = None,
    notify: bool = True,
) -> None:
    """A notification on the page (unless `notify` is False) and a mail, in the person's language (both
    languages in the mail), with the calendar invitation when the meeting got, changed or lost its time."""
    when = _when_params(meeting, edition.timezone)
    link = f"/matching/meetings/{meeting.id}"
    context = {
        **when,
        "place_en": place_label(meeting, "en"),
        "place_ja": place_label(meeting, "ja"),
        **params,
    }
    plain = {k: v for k, v in context.items() if isinstance(v, str) and k != "message"}
    if notify:
        await notifications.notify_many(session, user_ids, kind, link, plain)
    for person in await accounts.get_users(session, list(dict.fromkeys(user_ids))):
        await mail.queue_mail(
            session,
            to=person.email,
            name=person.name_latin,
            lang=person.preferred_lang,
            kind=kind,
            context={"name": person.name_latin, "link": f"{base_url}{link}", **context},
            invitation=invitation,
        )
