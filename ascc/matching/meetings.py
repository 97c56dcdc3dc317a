"""Meetings between participants: reading them, who may see and act on one (the two people, their
delegation heads, organizers), the video room of an online one, how many a person has open, and telling
the two people (a notification and a mail with the calendar invitation).

Asking and answering are ascc.matching.meeting_requests; putting a meeting at a time and a table,
ascc.matching.placement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ascc import dates
from ascc.accounts import services as accounts
from ascc.errors import DomainError, NotFound
from ascc.mail import services as mail
from ascc.matching import invitations
from ascc.matching import services as matching
from ascc.matching.models import OPEN_STATUSES, MatchingSlot, Meeting
from ascc.matching.services import place_label
from ascc.notifications import services as notifications
from ascc.registration import delegations
from ascc.registration import services as registration

if TYPE_CHECKING:
    from ascc.editions.models import Edition

MESSAGE_MAX = 1000
NO_SHOW_AFTER = timedelta(minutes=10)


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


async def require_party_or_organizer(
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


def open_count_among(found: Iterable[Any], user_id: int) -> int:
    """open_count over meetings already read (all of the person's, e.g. tracking.mine's or my_meetings.lines'
    lists: anything with a status, a requester_id and a recipient_id)."""
    return sum(
        1
        for m in found
        if (m.status in ("accepted", "scheduled") and user_id in (m.requester_id, m.recipient_id))
        or (m.status == "requested" and m.requester_id == user_id)
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


# A request the other person accepted, and everything after it: the two people agreed to meet (messages).
AGREED_STATUSES = ("accepted", "scheduled", "held", "no_show")


async def agreed_partners(session: AsyncSession, edition_id: int, user_id: int) -> set[int]:
    """The people with whom this person has an accepted request or a meeting in the edition."""
    rows = await session.execute(
        select(Meeting.requester_id, Meeting.recipient_id).where(
            Meeting.edition_id == edition_id,
            Meeting.status.in_(AGREED_STATUSES),
            or_(Meeting.requester_id == user_id, Meeting.recipient_id == user_id),
        )
    )
    return {b if a == user_id else a for a, b in rows.tuples()}


async def agreed_between(session: AsyncSession, edition_id: int, a: int, b: int) -> bool:
    """The two have an accepted request or a meeting in the edition."""
    low, high = sorted((a, b))
    found = await session.scalar(
        select(Meeting.id)
        .where(
            Meeting.edition_id == edition_id,
            Meeting.person_low == low,
            Meeting.person_high == high,
            Meeting.status.in_(AGREED_STATUSES),
        )
        .limit(1)
    )
    return found is not None


async def request_of(session: AsyncSession, edition: Edition, meeting: Meeting, base_url: str) -> dict | None:
    """The calendar invitation of a scheduled meeting (None while it has no time)."""
    if meeting.status != "scheduled" or meeting.slot is None:
        return None
    item = await invitations.calendar_item(session, edition, meeting, base_url)
    return invitations.request_payload(item, edition, meeting)


async def flush_or_conflict(session: AsyncSession) -> None:
    """Write the meeting; if someone changed it since we read it (its version moved on), say so."""
    try:
        await session.flush()
    except StaleDataError:
        raise DomainError("matching.error.changed_meanwhile", "changed_meanwhile", status=409) from None


# --- Telling people ---------------------------------------------------------------------------------


def when_params(meeting: Meeting, tz: str) -> dict[str, str]:
    if meeting.slot_id is None:
        return {"when_en": "", "when_ja": ""}
    assert meeting.slot is not None  # callers load a meeting with its slot
    return {
        f"when_{lang}": dates.format_range(
            meeting.slot.starts_at, meeting.slot.ends_at, lang, tz, "datetime_range"
        )
        for lang in ("en", "ja")
    }


async def tell_parties(
    session: AsyncSession,
    edition: Edition,
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
    when = when_params(meeting, edition.timezone)
    link = f"/matching/meetings/{meeting.id}"
    context = {
        **when,
        "place_en": place_label(meeting, "en"),
        "place_ja": place_label(meeting, "ja"),
        **params,
    }
    plain = {k: v for k, v in context.items() if isinstance(v, str) and k != "message"}
    # A table needs the badge (checked in there); an online room is joined from the meeting page.
    context["place_kind"] = meeting.place if meeting.slot_id is not None else None
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
