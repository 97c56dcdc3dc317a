"""Loading tours from data (the demo seed), with some bookings and ballot preferences. Idempotent."""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.tours import booking, editing
from ascc.tours import services as tours
from ascc.tours.models import Course, Preference, Tour

if TYPE_CHECKING:
    from ascc.editions.models import Edition


async def load_tours(
    session: AsyncSession, edition: Edition, data: dict[str, Any], participants: list[int]
) -> int:
    """Tours and courses by code; then seats on first-come tours and rankings on ballots for `participants`."""
    existing = {t.code for t in await tours.list_tours(session, edition.id)}
    created = 0
    for row in data["tours"]:
        if row["code"] in existing:
            continue
        tour = Tour(edition_id=edition.id, **{k: row[k] for k in editing.TOUR_FIELDS if k in row})
        if row.get("ballot_deadline"):
            tour.ballot_deadline = datetime.fromisoformat(row["ballot_deadline"])
        tour.courses = [
            Course(
                sort_order=n,
                departs_at=datetime.fromisoformat(c["departs"]),
                returns_at=datetime.fromisoformat(c["returns"]),
                **{k: c[k] for k in editing.COURSE_FIELDS if k in c},
            )
            for n, c in enumerate(row["courses"])
        ]
        session.add(tour)
        await session.flush()
        for course in tour.courses:
            await booking.open_seats(session, course)
        created += 1
        await _fill(session, tour, data, participants)
    return created


async def _fill(session: AsyncSession, tour: Tour, data: dict[str, Any], participants: list[int]) -> None:
    rng = random.Random(f"ascc-demo-{tour.code}")
    courses = {c.code: c for c in tour.courses}
    delegate = data.get("delegate", {})
    if tour.mode == "fcfs":
        people = participants[: data.get("bookings", {}).get(tour.code, 0)]
        for user_id in people:
            await booking.take_seat(session, user_id, tour.courses[0])
        if delegate.get("book") in courses and delegate.get("user_id"):
            await booking.take_seat(session, delegate["user_id"], courses[delegate["book"]])
        return
    people = participants[: data.get("preferences", {}).get(tour.code, 0)]
    popularity = [5, 3, 2][: len(tour.courses)] + [1] * max(len(tour.courses) - 3, 0)
    for user_id in people:
        ranking = []
        pool = list(tour.courses)
        weights = list(popularity)
        for _ in range(rng.randint(1, len(pool))):
            pick = rng.choices(range(len(pool)), weights=weights)[0]
            ranking.append(pool.pop(pick))
            weights.pop(pick)
        session.add_all(
            Preference(tour_id=tour.id, user_id=user_id, course_id=c.id, rank=n)
            for n, c in enumerate(ranking, 1)
        )
    if delegate.get("ranking") and delegate.get("user_id"):
        exists = await session.scalar(
            select(Preference.id).where(
                Preference.tour_id == tour.id, Preference.user_id == delegate["user_id"]
            )
        )
        if exists is None:
            session.add_all(
                Preference(tour_id=tour.id, user_id=delegate["user_id"], course_id=courses[code].id, rank=n)
                for n, code in enumerate(delegate["ranking"], 1)
                if code in courses
            )
    await session.flush()
