"""Meeting requests: asking someone (within one's limit and the categories that may meet), the answer of the
recipient or their delegation head (accept, decline, or accept proposing a time), the requester taking the
proposed time, and cancelling by either party or an organizer.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, dates, locks
from ascc.editions import phases
from ascc.errors import DomainError, ValidationFailed
from ascc.matching import invitations, webhook_events
from ascc.matching import services as matching
from ascc.matching.meetings import (
    MESSAGE_MAX,
    default_format,
    flush_or_conflict,
    get_meeting,
    may_act_for,
    open_between,
    open_count,
    request_of,
    require_party_or_organizer,
    tell_parties,
    when_params,
)
from ascc.matching.models import OPEN_STATUSES, PRIORITIES, Meeting
from ascc.matching.placement import free_slot_for, require_instant, schedule_in, slot_id_of, unschedule
from ascc.matching.services import place_label
from ascc.registration import delegations
from ascc.registration import services as registration
from ascc.text import collect, optional_block

if TYPE_CHECKING:
    from ascc.editions.models import Edition

ANSWERABLE = ("requested",)


async def _check_limit(
    session: AsyncSession, edition_id: int, user_id: int, settings: Any, field: str
) -> None:
    limit = matching.limit_of(settings, await matching.get_profile(session, edition_id, user_id))
    if await open_count(session, edition_id, user_id) >= limit:
        raise DomainError(
            "matching.error.limit_reached", "limit_reached", field=field, limit=limit, status=409
        )


async def send_request(
    session: AsyncSession, edition: Edition, requester_id: int, values: Mapping[str, Any], base_url: str
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
    window = phases.meeting_requests(phases.timeline_of(edition), clock.now())
    if not window.is_open:  # a request sent now could never become a meeting
        ended = window.state == phases.ENDED
        day = edition.ends_on if ended or window.closes_on is None else window.closes_on
        raise DomainError(
            "matching.error.requests_ended" if ended else "matching.error.requests_closed_on",
            "requests_closed",
            status=409,
            day_en=dates.format_date(day, "en"),
            day_ja=dates.format_date(day, "ja"),
        )
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
    edition: Edition,
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
        require_instant(settings)
        if slot_id is None:
            raise DomainError("matching.error.slot_required", "slot_required", field="slot_id")
        slot = await free_slot_for(session, edition.id, meeting, slot_id)
        meeting.proposed_slot_id = slot.id
    await flush_or_conflict(session)
    if action == "accept" and slot_id is not None and settings.instant:
        await schedule_in(session, edition, meeting, slot_id, base_url, tell=False)
    kind = {"accept": "meeting_accepted", "decline": "meeting_declined", "propose": "meeting_proposed"}[
        action
    ]
    meeting = await get_meeting(session, meeting.id)
    params: dict[str, Any] = {"name_other": meeting.recipient.name_latin}
    if meeting.proposed_slot is not None:  # the proposed time, not the (empty) scheduled one
        slot = meeting.proposed_slot
        params |= {
            f"when_{lang}": dates.format_range(
                slot.starts_at, slot.ends_at, lang, edition.timezone, "datetime_range"
            )
            for lang in ("en", "ja")
        }
    invitation = await request_of(session, edition, meeting, base_url)
    await tell_parties(session, edition, [meeting.requester_id], kind, meeting, base_url, params, invitation)
    if meeting.status == "scheduled":
        await tell_parties(
            session, edition, [meeting.recipient_id], "meeting_scheduled", meeting, base_url, {}, invitation
        )
    return meeting


async def take_proposal(
    session: AsyncSession, edition: Edition, meeting_id: int, actor_id: int, base_url: str
) -> Meeting:
    """The requester agrees to the time the recipient proposed."""
    meeting = await get_meeting(session, meeting_id, edition.id)
    if not await may_act_for(session, edition.id, actor_id, meeting.requester_id):
        raise DomainError("matching.error.not_yours", "not_yours", status=403)
    if meeting.status != "accepted" or meeting.proposed_slot_id is None:
        raise DomainError("matching.error.no_proposal", "no_proposal", status=409)
    await schedule_in(session, edition, meeting, meeting.proposed_slot_id, base_url)
    return await get_meeting(session, meeting.id)


async def cancel(
    session: AsyncSession, edition: Edition, meeting_id: int, actor_id: int, organizer: bool, base_url: str
) -> Meeting:
    meeting = await get_meeting(session, meeting_id, edition.id)
    await require_party_or_organizer(session, edition.id, meeting, actor_id, organizer)
    if meeting.status not in OPEN_STATUSES:
        raise DomainError("matching.error.not_open", "not_open", status=409)
    was_scheduled = meeting.status == "scheduled"
    # When and where it was, before it loses its slot.
    when = {
        **when_params(meeting, edition.timezone),
        **{f"place_{lang}": place_label(meeting, lang) for lang in ("en", "ja")},
    }
    # The event as calendars have it, to cancel it there once the meeting has lost its slot.
    in_calendars = (
        await invitations.calendar_item(session, edition, meeting, base_url) if was_scheduled else None
    )
    had_slot = webhook_events.slot_of(meeting)
    await unschedule(session, meeting)
    meeting.status = "cancelled"
    meeting.cancelled_by_id = actor_id
    await flush_or_conflict(session)
    if was_scheduled:  # a receiver knows a meeting from meeting.scheduled; a withdrawn request is no news
        await webhook_events.cancelled(session, meeting.id, had_slot)
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
