"""Viewing time: heartbeats counted per minute (short gaps filled), who watched, and the figures
organizers read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.db import insert_ignoring_duplicates
from ascc.online import providers
from ascc.online.models import LiveQuestion, ViewingMinute
from ascc.online.services import Viewer, require_attendee
from ascc.registration import services as registration

HEARTBEAT_GAP = 3  # minutes: a gap this short (a throttled background tab, a reconnect) is filled
LIVE_MARGIN = timedelta(minutes=30)  # heartbeats count from this long before the start to after the end


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def heartbeat(
    session: AsyncSession, who: Viewer, item: Any, channel: str | None, now: datetime
) -> tuple[bool, int]:
    """The watch page is open now. Counts the minute (once, however many tabs), fills a short gap since the
    last heartbeat (browsers slow timers in background tabs; networks drop), and only while the session is
    on (from half an hour before to half an hour after). Returns (counted, minutes watched so far)."""
    require_attendee(who)
    counted = item.starts_at - LIVE_MARGIN <= now <= item.ends_at + LIVE_MARGIN
    if counted:
        minute = _minute(now)
        last = await session.scalar(
            select(func.max(ViewingMinute.minute)).where(
                ViewingMinute.session_id == item.id, ViewingMinute.user_id == who.user_id
            )
        )
        first = minute
        if last is not None and timedelta(0) < minute - last <= timedelta(minutes=HEARTBEAT_GAP):
            first = last + timedelta(minutes=1)
        span = int((minute - first).total_seconds() // 60) + 1
        stamp = datetime.now(UTC)
        rows = [
            {
                "session_id": item.id,
                "user_id": who.user_id,
                "minute": first + timedelta(minutes=i),
                "channel": channel if channel in providers.CHANNELS else "floor",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for i in range(span)
        ]
        await session.execute(
            insert_ignoring_duplicates(session, ViewingMinute)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["session_id", "user_id", "minute"])
        )
    watched = await session.scalar(
        select(func.count())
        .select_from(ViewingMinute)
        .where(ViewingMinute.session_id == item.id, ViewingMinute.user_id == who.user_id)
    )
    return counted, watched or 0


async def viewers_per_minute(session: AsyncSession, session_id: int) -> dict[datetime, int]:
    rows = await session.execute(
        select(ViewingMinute.minute, func.count())
        .where(ViewingMinute.session_id == session_id)
        .group_by(ViewingMinute.minute)
    )
    return {minute: count for minute, count in rows.tuples().all()}


@dataclass(frozen=True)
class Watcher:
    user_id: int
    name: str
    organization: str
    mode: str
    minutes: int
    first: datetime
    last: datetime


async def watchers(session: AsyncSession, edition_id: int, session_id: int) -> list[Watcher]:
    """Everyone who watched, with their minutes, most first."""
    rows = (
        await session.execute(
            select(
                ViewingMinute.user_id,
                func.count(),
                func.min(ViewingMinute.minute),
                func.max(ViewingMinute.minute),
            )
            .where(ViewingMinute.session_id == session_id)
            .group_by(ViewingMinute.user_id)
        )
    ).all()
    regs = await registration.registrations_of(session, edition_id, [r[0] for r in rows])
    found = []
    for user_id, count, first, last in rows:
        reg = regs.get(user_id)
        found.append(
            Watcher(
                user_id=user_id,
                name=reg.user.name_latin if reg else f"#{user_id}",
                organization=(reg.organization.name_en if reg and reg.organization else ""),
                mode=reg.mode if reg else "",
                minutes=count,
                first=first,
                last=last + timedelta(minutes=1),
            )
        )
    return sorted(found, key=lambda w: (-w.minutes, w.name))


@dataclass(frozen=True)
class SessionFigures:
    session_id: int
    viewers: int  # different people who watched
    peak: int  # most people watching in one minute
    minutes: int  # summed viewing minutes
    questions: int


async def figures(session: AsyncSession, session_ids: list[int]) -> dict[int, SessionFigures]:
    if not session_ids:
        return {}
    per_minute = (
        select(ViewingMinute.session_id, ViewingMinute.minute, func.count().label("n"))
        .where(ViewingMinute.session_id.in_(session_ids))
        .group_by(ViewingMinute.session_id, ViewingMinute.minute)
        .subquery()
    )
    peaks = dict(
        (
            await session.execute(
                select(per_minute.c.session_id, func.max(per_minute.c.n)).group_by(per_minute.c.session_id)
            )
        )
        .tuples()
        .all()
    )
    totals = {
        sid: (people, minutes)
        for sid, people, minutes in (
            await session.execute(
                select(
                    ViewingMinute.session_id, func.count(func.distinct(ViewingMinute.user_id)), func.count()
                )
                .where(ViewingMinute.session_id.in_(session_ids))
                .group_by(ViewingMinute.session_id)
            )
        ).all()
    }
    asked = dict(
        (
            await session.execute(
                select(LiveQuestion.session_id, func.count())
                .where(LiveQuestion.session_id.in_(session_ids))
                .group_by(LiveQuestion.session_id)
            )
        )
        .tuples()
        .all()
    )
    return {
        sid: SessionFigures(
            sid, totals.get(sid, (0, 0))[0], peaks.get(sid, 0), totals.get(sid, (0, 0))[1], asked.get(sid, 0)
        )
        for sid in session_ids
    }
