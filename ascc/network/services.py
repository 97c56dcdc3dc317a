"""The year-round network's members: who is in it, their choices (joined, left) and time zones, and
forgetting a member's texts. Joining and leaving are in joining.py, the members' directory and the
organizers' figures in directory.py, off-season meetings in meetings.py, carry-over in carry_over.py.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.network.models import MEETING_STATUSES, NetworkChoice, NetworkMeeting, NetworkMember
from ascc.programme.schedule import COMMON_ZONES, zone

__all__ = ["COMMON_ZONES", "MEETING_STATUSES", "NetworkMeeting", "NetworkMember"]

DEFAULT_ZONE = "Asia/Tokyo"


# --- membership -------------------------------------------------------------------------------------------


async def member_ids(session: AsyncSession) -> set[int]:
    """The people who are in the network now (joined and not left): retention keeps their data."""
    rows = await session.scalars(select(NetworkMember.user_id).where(NetworkMember.left_at.is_(None)))
    return set(rows)


async def membership(session: AsyncSession, user_id: int) -> NetworkMember | None:
    """The person's row, whether they are in the network now or left it."""
    return await session.scalar(select(NetworkMember).where(NetworkMember.user_id == user_id))


async def is_member(session: AsyncSession, user_id: int) -> bool:
    row = await membership(session, user_id)
    return row is not None and row.left_at is None


async def choices_of(session: AsyncSession, user_id: int) -> list[NetworkChoice]:
    rows = await session.scalars(
        select(NetworkChoice).where(NetworkChoice.user_id == user_id).order_by(NetworkChoice.chosen_at)
    )
    return list(rows)


async def zone_of(session: AsyncSession, user_id: int) -> str:
    member = await membership(session, user_id)
    return member.timezone if member and zone(member.timezone) else DEFAULT_ZONE


async def forget_member(session: AsyncSession, user_id: int) -> None:
    """The person is being anonymized: their directory lines and what they wrote in meeting requests go."""
    await session.execute(
        update(NetworkMember).where(NetworkMember.user_id == user_id).values(headline="", interests="")
    )
    await session.execute(
        update(NetworkMeeting).where(NetworkMeeting.requester_id == user_id).values(message="")
    )
    await session.execute(
        update(NetworkMeeting).where(NetworkMeeting.recipient_id == user_id).values(answer="")
    )
