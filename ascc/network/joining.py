"""Joining the network (or changing one's profile) and leaving it; leaving cancels the member's open
off-season requests and meetings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, locks
from ascc.errors import ValidationFailed
from ascc.network.meetings import OPEN, cancel_meeting, get_meeting
from ascc.network.models import CHOSEN_VIA, NetworkChoice, NetworkMeeting, NetworkMember
from ascc.network.services import DEFAULT_ZONE, membership
from ascc.programme.schedule import zone
from ascc.text import clean_line, collect, optional_block, optional_line

HEADLINE_MAX = 300
INTERESTS_MAX = 2000


def _check_profile(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict = {}
    headline = collect(errors, optional_line, "headline", values.get("headline"), HEADLINE_MAX)
    interests = collect(errors, optional_block, "interests", values.get("interests"), INTERESTS_MAX)
    tz_name = clean_line(values.get("timezone")) or DEFAULT_ZONE
    if zone(tz_name) is None:  # "UTC" is a zone; "Asia", a folder of zones, is not
        errors["timezone"] = ("network.error.timezone", {})
    if errors:
        raise ValidationFailed(errors)
    return {"headline": headline or "", "interests": interests or "", "timezone": tz_name}


async def join(
    session: AsyncSession, user_id: int, values: Mapping[str, Any], via: str = "account"
) -> NetworkMember:
    """Join (or, already in, change one's headline, interests and time zone). Bad input saves nothing.

    Joining twice at once (a double click, two tabs) keeps one membership and one record of the choice."""
    data = _check_profile(values)
    if via not in CHOSEN_VIA:
        raise ValueError(via)
    now = clock.now()
    member = await membership(session, user_id)
    if member is None:
        try:  # two first joins at once: one creates the row, the other finds it
            async with session.begin_nested():
                member = NetworkMember(user_id=user_id, joined_at=now, **data)
                session.add(member)
                session.add(NetworkChoice(user_id=user_id, action="join", via=via, chosen_at=now))
            return member
        except IntegrityError:
            member = await membership(session, user_id)
            if member is None:
                raise
    joining = member.left_at is not None
    if via == "registration":
        if not joining:
            return member  # ticking the box again when registering for a new edition changes nothing
        # The registration form asks nothing of the profile: joining again keeps what the member wrote before.
        data = {
            "headline": data["headline"] or member.headline,
            "interests": data["interests"] or member.interests,
            "timezone": data["timezone"] if clean_line(values.get("timezone")) else member.timezone,
        }
    if joining:
        member.joined_at, member.left_at = now, None
        session.add(NetworkChoice(user_id=user_id, action="join", via=via, chosen_at=now))
    member.headline, member.interests, member.timezone = data["headline"], data["interests"], data["timezone"]
    await session.flush()
    return member


async def leave(session: AsyncSession, user_id: int, base_url: str) -> None:
    """Leave at once: out of the directory, and open off-season requests and meetings are cancelled
    (the other person is told). The row stays, with its dates, as the record of the choice."""
    await locks.lock_people(session, user_id)  # a request to them being sent now waits, then finds them gone
    member = await membership(session, user_id)
    if member is None or member.left_at is not None:
        return
    now = clock.now()
    member.left_at = now
    session.add(NetworkChoice(user_id=user_id, action="leave", via="account", chosen_at=now))
    await session.flush()
    rows = await session.scalars(
        select(NetworkMeeting.id).where(
            NetworkMeeting.status.in_(OPEN),
            or_(NetworkMeeting.requester_id == user_id, NetworkMeeting.recipient_id == user_id),
        )
    )
    for meeting_id in list(rows):
        meeting = await get_meeting(session, meeting_id)
        if not meeting.expired(now) and (meeting.ends_at is None or meeting.ends_at > now):
            await cancel_meeting(session, meeting, user_id, base_url)
