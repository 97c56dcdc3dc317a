"""Tours and courses as they are read: lists, figures, each person's bookings, and what other domains
ask of tours (people's busy times, the buses for check-in, who holds a seat: audiences of campaigns and
reminders).

Seats and waiting lists are the capacity service's pools "course:<id>", holders "user:<id>"; a Booking
row carries what a tour needs besides the seat (the facility's ID data, the roll-call mark). Booking and
cancelling are in booking.py, the ballot in ballot.py, ID data in id_documents.py, manifests and the
roll-call in roll_call.py, the organizers' editing in editing.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ascc.capacity import services as capacity
from ascc.capacity.models import CapacityEntry, CapacityPool
from ascc.errors import NotFound
from ascc.places import Place
from ascc.tours.models import Booking, Course, Preference, Tour


def pool_key(course_id: int) -> str:
    return f"course:{course_id}"


# --- Reading -------------------------------------------------------------------------------------


async def list_tours(session: AsyncSession, edition_id: int) -> list[Tour]:
    rows = await session.scalars(
        select(Tour)
        .where(Tour.edition_id == edition_id)
        .options(selectinload(Tour.courses))
        .order_by(Tour.code)
    )
    return list(rows.all())


async def get_tour(session: AsyncSession, tour_id: int) -> Tour:
    tour = await session.scalar(select(Tour).where(Tour.id == tour_id).options(selectinload(Tour.courses)))
    if tour is None:
        raise NotFound("tour")
    return tour


async def get_course(session: AsyncSession, course_id: int) -> Course:
    course = await session.scalar(
        select(Course).where(Course.id == course_id).options(selectinload(Course.tour))
    )
    if course is None:
        raise NotFound("course")
    return course


@dataclass(frozen=True)
class CourseFigures:
    seats: int
    confirmed: int
    waiting: int
    present: int
    no_shows: int

    @property
    def free(self) -> int:
        return max(self.seats - self.confirmed, 0)

    @property
    def fill(self) -> float:
        return self.confirmed / self.seats if self.seats else 0.0


async def figures(session: AsyncSession, courses: list[Course]) -> dict[int, CourseFigures]:
    marks = await session.execute(
        select(Booking.course_id, Booking.present).where(
            Booking.course_id.in_([c.id for c in courses]),
            Booking.active.is_(True),
            Booking.present.is_not(None),
        )
    )
    present: dict[int, list[bool]] = {}
    for course_id, mark in marks.tuples():
        if mark is not None:  # always: the query leaves out the unmarked
            present.setdefault(course_id, []).append(mark)
    result = {}
    for course in courses:
        counts = await capacity.counts(session, pool_key(course.id))
        mine = present.get(course.id, [])
        result[course.id] = CourseFigures(
            course.seats, counts.confirmed, counts.waiting, sum(mine), mine.count(False)
        )
    return result


@dataclass(frozen=True)
class MyBooking:
    course: Course
    status: str  # confirmed | waiting
    position: int | None
    id_missing: bool
    id_document: bytes | None = None  # the encrypted ID data, when the course requires it and it is saved


_entry = CapacityEntry.__table__
_ahead = _entry.alias("ahead")
_pool = CapacityPool.__table__


@functools.cache
def _my_bookings_statement() -> Select[Any]:
    """Active bookings with the person's live seat in each course's pool and, when waiting, how many wait
    ahead: one statement, built once on first use (it was one per booking). The pool key is pool_key()'s
    "course:<id>", spelled in SQL; a booking whose seat is released or missing is left out, as before."""
    ahead = (
        select(func.count())
        .select_from(_ahead)
        .where(
            _ahead.c.pool_id == _entry.c.pool_id,
            _ahead.c.status == "waiting",
            _ahead.c.sequence < _entry.c.sequence,
        )
        .scalar_subquery()
    )
    return (
        select(Course, Booking.id_document, _entry.c.status, ahead.label("ahead"))
        .join(Course, Course.id == Booking.course_id)
        .join(Tour, Tour.id == Course.tour_id)
        .join(_pool, _pool.c.key == literal("course:") + cast(Course.id, String))
        .join(
            _entry,
            and_(
                _entry.c.pool_id == _pool.c.id,
                _entry.c.holder == bindparam("holder"),
                _entry.c.status != "released",
            ),
        )
        .where(
            Booking.user_id == bindparam("user_id"),
            Booking.active.is_(True),
            Tour.edition_id == bindparam("edition_id"),
        )
        .order_by(Course.departs_at, Course.id)
    )


async def my_bookings(session: AsyncSession, user_id: int, edition_id: int) -> list[MyBooking]:
    """The person's bookings in departure order, each confirmed or waiting at a position, read live."""
    rows = await session.execute(
        _my_bookings_statement(),
        {"user_id": user_id, "edition_id": edition_id, "holder": capacity.person(user_id)},
    )
    return [
        MyBooking(
            course,
            status,
            ahead + 1 if status == "waiting" else None,
            course.requires_id and id_document is None,
            id_document if course.requires_id else None,
        )
        for course, id_document, status, ahead in rows.tuples()
    ]


async def my_preferences(session: AsyncSession, user_id: int, tour_id: int) -> list[int]:
    rows = await session.scalars(
        select(Preference.course_id)
        .where(Preference.user_id == user_id, Preference.tour_id == tour_id)
        .order_by(Preference.rank)
    )
    return list(rows.all())


async def active_bookings(
    session: AsyncSession, user_id: int, edition_id: int
) -> list[tuple[Booking, Course]]:
    rows = await session.execute(
        select(Booking, Course)
        .join(Course, Course.id == Booking.course_id)
        .join(Tour, Tour.id == Course.tour_id)
        .where(Booking.user_id == user_id, Booking.active.is_(True), Tour.edition_id == edition_id)
    )
    return list(rows.tuples().all())


# --- What other domains ask of tours ---------------------------------------------------------------


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


async def busy_times(
    session: AsyncSession, edition_id: int, user_ids: list[int] | None = None
) -> dict[int, list[tuple[datetime, datetime, Course]]]:
    """The courses people are booked on (waiting lists too: they may be called), per person."""
    query = (
        select(Booking.user_id, Course)
        .join(Course, Course.id == Booking.course_id)
        .join(Tour, Tour.id == Course.tour_id)
        .where(Booking.active.is_(True), Tour.edition_id == edition_id)
    )
    if user_ids is not None:
        query = query.where(Booking.user_id.in_(user_ids))
    result: dict[int, list[tuple[datetime, datetime, Course]]] = {}
    for user_id, course in (await session.execute(query)).tuples():
        result.setdefault(user_id, []).append((course.departs_at, course.returns_at, course))
    return result


# The check-in page's buses, built once (Core columns, bound parameters) and read on every request: a course
# added or moved shows at once.
_place_course, _place_tour = Course.__table__, Tour.__table__
_CHECK_IN_PLACES = (
    select(
        _place_course.c.id,
        _place_course.c.code,
        _place_course.c.theme_en,
        _place_course.c.theme_ja,
        _place_course.c.departs_at,
        _place_course.c.returns_at,
        _place_course.c.meeting_point_en,
        _place_course.c.meeting_point_ja,
    )
    .select_from(_place_course.join(_place_tour, _place_tour.c.id == _place_course.c.tour_id))
    .where(_place_tour.c.edition_id == bindparam("edition_id"))
    .order_by(_place_course.c.departs_at, _place_course.c.code)
)
_CHECK_IN_PLACE = _CHECK_IN_PLACES.where(_place_course.c.id == bindparam("only"))


async def check_in_places(session: AsyncSession, edition_id: int, only: int | None = None) -> list[Place]:
    """Tour buses: every course of the edition (`only`: that one), by departure, with its meeting point."""
    if only is None:
        rows = await session.execute(_CHECK_IN_PLACES, {"edition_id": edition_id})
    else:
        rows = await session.execute(_CHECK_IN_PLACE, {"edition_id": edition_id, "only": only})
    return [
        Place(id_, f"{code} · {theme_en}", f"{code} · {theme_ja}", departs_at, returns_at, point_en, point_ja)
        for id_, code, theme_en, theme_ja, departs_at, returns_at, point_en, point_ja in rows.tuples().all()
    ]


async def holds_seat(session: AsyncSession, edition_id: int, course_id: int, user_id: int) -> bool | None:
    """For the roll-call by badge: does the person hold a seat on this bus? None: no such course."""
    course = await session.get(Course, course_id)
    if course is None:
        return None
    tour = await session.get(Tour, course.tour_id)
    if tour is None or tour.edition_id != edition_id:
        return None
    seat = await capacity.holder_status(session, pool_key(course_id), capacity.person(user_id))
    return seat is not None and seat.status == "confirmed"


async def confirmed_seats(session: AsyncSession, edition_id: int) -> dict[int, int]:
    """Seats taken on each course of the edition: who should be on the bus."""
    courses = await session.scalars(
        select(Course.id).join(Tour, Tour.id == Course.tour_id).where(Tour.edition_id == edition_id)
    )
    ids = list(courses.all())
    taken = await capacity.confirmed_counts(session, [pool_key(i) for i in ids])
    return {i: taken.get(pool_key(i), 0) for i in ids}


# --- Audiences (campaigns and reminders) ------------------------------------------------------------


async def seat_holders(session: AsyncSession, courses: list[Course]) -> dict[int, list[int]]:
    """Per course, the people holding a seat on it (not those waiting), in booking order."""
    held = await capacity.confirmed_holders(session, [pool_key(c.id) for c in courses])
    return {c.id: [capacity.person_of(h) for h in held.get(pool_key(c.id), [])] for c in courses}


async def booked_on(
    session: AsyncSession, edition_id: int, *, tour_id: int | None = None, course_id: int | None = None
) -> dict[int, Course]:
    """Who holds a seat on a tour (any of its courses) or on one course: person -> their course (with its tour)."""
    statement = (
        select(Course)
        .join(Tour, Tour.id == Course.tour_id)
        .where(Tour.edition_id == edition_id)
        .options(selectinload(Course.tour))
    )
    if tour_id is not None:
        statement = statement.where(Course.tour_id == tour_id)
    if course_id is not None:
        statement = statement.where(Course.id == course_id)
    courses = list((await session.scalars(statement.order_by(Course.departs_at, Course.id))).all())
    by_id = {c.id: c for c in courses}
    return {
        user_id: by_id[cid]
        for cid, users in (await seat_holders(session, courses)).items()
        for user_id in users
    }


async def departing_between(
    session: AsyncSession, edition_id: int, start: datetime, end: datetime
) -> list[tuple[Course, list[int]]]:
    """Courses departing in [start, end) with the people holding a seat: who gets a reminder."""
    courses = list(
        (
            await session.scalars(
                select(Course)
                .join(Tour, Tour.id == Course.tour_id)
                .where(Tour.edition_id == edition_id, Course.departs_at >= start, Course.departs_at < end)
                .options(selectinload(Course.tour))
                .order_by(Course.departs_at, Course.id)
            )
        ).all()
    )
    holders = await seat_holders(session, courses)
    return [(c, holders[c.id]) for c in courses]
