"""Business rules of the year-round network."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.network.models import NetworkMember


async def member_ids(session: AsyncSession) -> set[int]:
    """The people who are in the network now (joined and not left): retention keeps their data."""
    rows = await session.scalars(select(NetworkMember.user_id).where(NetworkMember.left_at.is_(None)))
    return set(rows)
