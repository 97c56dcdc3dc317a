"""Create, list and mark read a person's notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.notifications.models import Notification


async def notify_many(
    session: AsyncSession, user_ids: Iterable[int], kind: str, link: str | None, params: dict[str, Any]
) -> None:
    session.add_all(
        Notification(user_id=user_id, kind=kind, link=link, params=params) for user_id in user_ids
    )
    await session.flush()


async def notify(
    session: AsyncSession, user_id: int, kind: str, link: str | None, params: dict[str, Any]
) -> None:
    await notify_many(session, [user_id], kind, link, params)


# Built once: the pages that show unread notes (my agenda, matching) ask on every request.
_UNREAD = (
    select(Notification)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
    .order_by(Notification.id.desc())
    .limit(bindparam("limit"))
)


async def unread(session: AsyncSession, user_id: int, limit: int = 20) -> list[Notification]:
    rows = await session.scalars(_UNREAD, {"user_id": user_id, "limit": limit})
    return list(rows.all())


async def unread_count(session: AsyncSession, user_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


async def mark_all_read(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
