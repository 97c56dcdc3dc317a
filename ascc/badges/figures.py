"""Check-in figures: today's entrance, each session room, tour bus and meeting area of the day, answers by
kind, and the latest scans (the organizers' live page, the API and the edition report read them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.badges.checkin import places
from ascc.badges.models import CheckIn, Scan
from ascc.editions import services as editions
from ascc.places import Place
from ascc.programme import services as programme
from ascc.registration import services as registration
from ascc.tours import services as tours


@dataclass(frozen=True)
class PlaceCount:
    place: Place
    checked_in: int
    expected: int | None  # seats booked, room capacity or people with a meeting; None if unknown


@dataclass(frozen=True)
class Stats:
    day: str
    entrance_today: int
    in_person_registered: int
    sessions: list[PlaceCount]
    tours: list[PlaceCount]
    meetings: list[PlaceCount]
    results_today: dict[str, int]
    flagged_today: int


async def _counts(session: AsyncSession, edition_id: int, place_type: str) -> dict[int, int]:
    rows = await session.execute(
        select(CheckIn.place_id, func.count())
        .where(CheckIn.edition_id == edition_id, CheckIn.place_type == place_type)
        .group_by(CheckIn.place_id)
    )
    return {place_id: count for place_id, count in rows.tuples().all() if place_id is not None}


async def session_check_ins(session: AsyncSession, edition_id: int) -> dict[int, int]:
    """People checked in at each session room's door (session id -> count): beside the online viewers."""
    return await _counts(session, edition_id, "session")


async def arrivals(session: AsyncSession, edition_id: int, session_id: int) -> list[datetime]:
    """When each person was checked in at a session room's door."""
    rows = await session.scalars(
        select(CheckIn.checked_in_at).where(
            CheckIn.edition_id == edition_id, CheckIn.place_key == f"session:{session_id}"
        )
    )
    return sorted(rows.all())


async def stats(session: AsyncSession, edition_id: int) -> Stats:
    """Today's figures in edition time: the entrance, each room, bus and meeting area of the day."""
    edition = await editions.get_by_id(session, edition_id)
    zone = ZoneInfo(edition.timezone)
    now = clock.now()
    day = now.astimezone(zone).date()
    start = datetime.combine(day, datetime.min.time(), zone)
    end = start + timedelta(days=1)

    def today(items: list[Place]) -> list[Place]:
        return [p for p in items if p.starts_at < end and p.ends_at > start]

    entrance = await session.scalar(
        select(func.count()).where(CheckIn.edition_id == edition_id, CheckIn.place_key == f"entrance:{day}")
    )
    registered = await registration.count_confirmed(session, edition_id, "in_person")
    figures: dict[str, list[PlaceCount]] = {}
    for kind in ("session", "tour", "meeting"):
        counts = await _counts(session, edition_id, kind)
        expected = await _expected(session, edition_id, kind)
        figures[kind] = [
            PlaceCount(p, counts.get(p.id, 0), expected.get(p.id))
            for p in today(await places(session, edition_id, kind))
        ]
    results = await session.execute(
        select(Scan.result, func.count())
        .where(Scan.edition_id == edition_id, Scan.received_at >= start, Scan.received_at < end)
        .group_by(Scan.result)
    )
    flagged = await session.scalar(
        select(func.count()).where(
            Scan.edition_id == edition_id, Scan.received_at >= start, Scan.clock_flagged.is_(True)
        )
    )
    return Stats(
        day.isoformat(),
        entrance or 0,
        registered,
        figures["session"],
        figures["tour"],
        figures["meeting"],
        dict(results.tuples().all()),
        flagged or 0,
    )


async def _expected(session: AsyncSession, edition_id: int, kind: str) -> dict[int, int]:
    if kind == "tour":
        return await tours.confirmed_seats(session, edition_id)
    if kind == "session":
        return await programme.room_capacities(session, edition_id)
    return {}


@dataclass(frozen=True)
class LoggedScan:
    received_at: datetime
    result: str
    reason: str | None
    place_type: str
    device_id: str
    name: str  # empty for codes that name nobody
    offline: bool
    clock_flagged: bool


async def recent_scans(session: AsyncSession, edition_id: int, limit: int = 15) -> list[LoggedScan]:
    """The newest scans, failed ones too: what the organizers' live page lists."""
    rows = await session.execute(
        select(Scan, registration.name_of(Scan.registration_id))
        .where(Scan.edition_id == edition_id)
        .order_by(Scan.id.desc())
        .limit(limit)
    )
    return [
        LoggedScan(
            s.received_at,
            s.result,
            s.reason,
            s.place_type,
            s.device_id,
            name or "",
            s.offline,
            s.clock_flagged,
        )
        for s, name in rows.tuples().all()
    ]
