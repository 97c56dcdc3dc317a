"""Ballot tours: people rank courses until the deadline, then the organizer's allocation (a published
seed, ascc.tours.allocation) books seats and waiting lists and mails everyone.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, locks
from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.errors import DomainError, ValidationFailed
from ascc.registration import services as registration
from ascc.text import clean_line
from ascc.tours.allocation import Applicant, allocate
from ascc.tours.booking import check_eligible, mail_booking, take_seat
from ascc.tours.models import Preference, Tour
from ascc.tours.services import figures, get_tour, pool_key


async def set_preferences(
    session: AsyncSession, user_id: int, tour_id: int, course_ids: list[int]
) -> list[int]:
    await locks.lock_people(session, user_id)  # a ranking sent twice at once replaces itself once, then again
    # The tour too (people -> tours): an allocation under way finishes first, and this ranking is refused
    # instead of being saved and left out of it.
    await locks.lock_rows(session, Tour.__tablename__, [tour_id])
    tour = await get_tour(session, tour_id)
    await session.refresh(tour, ["allocated_at"])
    if tour.mode != "ballot":
        raise DomainError("error.tour_not_ballot", "not_ballot", status=409)
    if tour.allocated_at is not None or (tour.ballot_deadline and clock.now() >= tour.ballot_deadline):
        raise DomainError("error.ballot_closed", "ballot_closed", status=409)
    known = {c.id: c for c in tour.courses}
    chosen = list(dict.fromkeys(course_ids))
    if len(chosen) != len(course_ids) or any(c not in known for c in chosen):
        raise ValidationFailed({"courses": ("error.ranking_invalid", {})})
    for course_id in chosen:
        course = known[course_id]
        course.tour = tour
        await check_eligible(session, user_id, course, by_organizer=False)
    existing = await session.scalars(
        select(Preference).where(Preference.tour_id == tour_id, Preference.user_id == user_id)
    )
    for row in existing.all():
        await session.delete(row)
    await session.flush()
    session.add_all(
        Preference(tour_id=tour_id, user_id=user_id, course_id=c, rank=n) for n, c in enumerate(chosen, 1)
    )
    await session.flush()
    return chosen


async def ranked_counts(session: AsyncSession, tour_ids: list[int]) -> dict[int, int]:
    """How many people have ranked each ballot tour (what the organizer sees before allocating)."""
    rows = await session.execute(
        select(Preference.tour_id, func.count(func.distinct(Preference.user_id)))
        .where(Preference.tour_id.in_(tour_ids))
        .group_by(Preference.tour_id)
    )
    return dict(rows.tuples().all())


async def ballot(session: AsyncSession, tour: Tour) -> list[Applicant]:
    rows = await session.execute(
        select(Preference.user_id, Preference.course_id)
        .where(Preference.tour_id == tour.id)
        .order_by(Preference.user_id, Preference.rank)
    )
    rankings: dict[int, list[int]] = {}
    for user_id, course_id in rows.tuples():
        rankings.setdefault(user_id, []).append(course_id)
    people = await registration.registrations_of(session, tour.edition_id, list(rankings))
    applicants = []
    for user_id, ranking in rankings.items():
        mine = people.get(user_id)
        if mine is None or mine.status != "confirmed":
            continue  # cancelled since they ranked
        city = (
            mine.city or (mine.organization.name_en if mine.organization else "") or ""
        ).casefold() or None
        group = f"delegation:{mine.delegation_id}" if mine.delegation_id else None
        applicants.append(Applicant(user_id, tuple(ranking), city, group))
    return applicants


async def run_allocation(
    session: AsyncSession,
    tour_id: int,
    seed: str | None,
    base_url: str,
    *,
    close_early: bool = False,
    actor: audit.Actor | None = None,
) -> dict[str, Any]:
    """Allocate the ballot, book the results (seats, then waiting lists in lottery order), mail everyone.

    Before the deadline only when the organizer deliberately closes the ranking early.
    """
    # The people whose bookings it makes, then the tour, then its pools: the one order (docs/concurrency.md).
    # Two organizers pressing "Allocate" at once: the second waits at the tour, then finds it allocated.
    rankers = await session.scalars(
        select(Preference.user_id).where(Preference.tour_id == tour_id).distinct()
    )
    await locks.lock_people(session, *rankers.all())
    await locks.lock_rows(session, Tour.__tablename__, [tour_id])
    tour = await get_tour(session, tour_id)
    await session.refresh(tour, ["allocated_at"])
    await capacity.lock_pools(session, [pool_key(c.id) for c in tour.courses])
    if tour.mode != "ballot":
        raise DomainError("error.tour_not_ballot", "not_ballot", status=409)
    if tour.allocated_at is not None:
        raise DomainError("error.already_allocated", "already_allocated", status=409)
    now = clock.now()
    if tour.ballot_deadline is not None and now < tour.ballot_deadline and not close_early:
        raise DomainError("error.ballot_still_open", "ballot_open", status=409)
    if any(c.departs_at <= now for c in tour.courses):
        raise DomainError("error.tour_departed", "departed", status=409)
    seed = clean_line(seed)[:64] or secrets.token_hex(8)
    applicants = await ballot(session, tour)
    current = await figures(session, tour.courses)  # seats organizers filled by invitation stay taken
    seats = {c.id: current[c.id].free for c in tour.courses}
    result = allocate(applicants, seats, seed, city_cap=tour.city_cap, keep_groups=tour.keep_delegations)
    by_id = {a.id: a for a in applicants}
    courses = {c.id: c for c in tour.courses}
    # Seats first, then the waiting lists (a queue in front of a seat would make the seat wait too).
    placed = [(u, course_id) for u in result.lottery if (course_id := result.assigned[u]) is not None]
    left_out = [u for u in result.lottery if result.assigned[u] is None]
    for user_id, course_id in placed:
        course = courses[course_id]
        await take_seat(session, user_id, course)
        await mail_booking(session, user_id, course, "tour_allocated", base_url)
    for user_id in left_out:
        for ranked in by_id[user_id].ranking:
            await take_seat(session, user_id, courses[ranked], queue_only=True)
        await mail_booking(session, user_id, courses[by_id[user_id].ranking[0]], "tour_left_out", base_url)
    tour.allocation_seed = seed
    tour.allocated_at = clock.now()
    tour.allocation = {
        **result.stats,
        "optimal": result.optimal,
        "assigned": {str(k): v for k, v in result.assigned.items()},
    }
    await session.flush()
    await audit.record(
        session,
        actor,
        "tours.allocate",
        "tour",
        tour.id,
        f"{tour.code} · {tour.name_en}",
        before={"allocated": False},
        after={
            "allocated": True,
            "seed": seed,
            "close_early": close_early,
            "placed": len(placed),
            "left_out": len(left_out),
            "optimal": result.optimal,
        },
        edition_id=tour.edition_id,
    )
    return tour.allocation
