"""Booking tour courses (first come, first served or by ballot), ID data for facilities, manifests, roll-call.

Seats and waiting lists are the capacity service's pools "course:<id>", holders "user:<id>"; a Booking
row carries what a tour needs besides the seat (the facility's ID data, the roll-call mark).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.mail import services as mail
from ascc.notifications import services as notifications
from ascc.places import Place
from ascc.registration import services as registration
from ascc.text import clean_line, local_time, whole_number
from ascc.tours.allocation import Applicant, allocate
from ascc.tours.models import Booking, Course, Preference, Tour

ID_KINDS = ("passport", "national_id")


def pool_key(course_id: int) -> str:
    return f"course:{course_id}"


def _fernet(secret: str) -> Fernet:
    """ID numbers are encrypted at rest with a key derived from ASCC_SECRET_KEY."""
    digest = hashlib.sha256(b"ascc-tour-id-data:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


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


async def my_bookings(session: AsyncSession, user_id: int, edition_id: int) -> list[MyBooking]:
    result = []
    for booking, course in await _active_bookings(session, user_id, edition_id):
        claim = await capacity.holder_status(session, pool_key(course.id), capacity.person(user_id))
        if claim is None:
            continue
        result.append(
            MyBooking(
                course, claim.status, claim.position, course.requires_id and booking.id_document is None
            )
        )
    return sorted(result, key=lambda b: b.course.departs_at)


async def my_preferences(session: AsyncSession, user_id: int, tour_id: int) -> list[int]:
    rows = await session.scalars(
        select(Preference.course_id)
        .where(Preference.user_id == user_id, Preference.tour_id == tour_id)
        .order_by(Preference.rank)
    )
    return list(rows.all())


# --- Booking (first come, first served) ----------------------------------------------------------


async def who_may_not_join(session: AsyncSession, edition_id: int, user_id: int) -> str | None:
    """Why this person cannot book or rank any tour (a message key), or None: shown before they try."""
    mine = await registration.my_registration(session, edition_id, user_id)
    if mine is None or mine.status != "confirmed":
        return "error.tour_needs_registration"
    if mine.mode != "in_person":
        return "error.tour_in_person_only"
    return None


async def _eligible(session: AsyncSession, user_id: int, course: Course, by_organizer: bool) -> Any:
    mine = await registration.my_registration(session, course.tour.edition_id, user_id)
    if mine is None or mine.status != "confirmed":
        raise DomainError("error.tour_needs_registration", "not_registered", status=403)
    if mine.mode != "in_person":
        raise DomainError("error.tour_in_person_only", "online_registration", status=409)
    if by_organizer:
        return mine
    if course.invitation_only:
        raise DomainError("error.tour_invitation_only", "invitation_only", status=403)
    if course.categories and mine.category not in course.categories:
        raise DomainError("error.tour_not_eligible", "not_eligible", status=403)
    return mine


async def _active_bookings(
    session: AsyncSession, user_id: int, edition_id: int
) -> list[tuple[Booking, Course]]:
    rows = await session.execute(
        select(Booking, Course)
        .join(Course, Course.id == Booking.course_id)
        .join(Tour, Tour.id == Course.tour_id)
        .where(Booking.user_id == user_id, Booking.active.is_(True), Tour.edition_id == edition_id)
    )
    return list(rows.tuples().all())


async def book(
    session: AsyncSession, user_id: int, course_id: int, base_url: str, *, by_organizer: bool = False
) -> capacity.Claim:
    """A seat on a course, or a place on its waiting list when it is full. One course per tour.

    The person is locked first: two bookings of theirs at once (two courses of one tour, a double click)
    run one after the other, so the second sees the first's booking (docs/concurrency.md).
    """
    await locks.lock_people(session, user_id)
    course = await get_course(session, course_id)
    if course.tour.mode == "ballot" and not by_organizer:
        raise DomainError("error.tour_is_ballot", "ballot", status=409)
    if course.departs_at <= clock.now():
        raise DomainError("error.tour_departed", "departed", status=409)
    await _eligible(session, user_id, course, by_organizer)
    for _booking, other in await _active_bookings(session, user_id, course.tour.edition_id):
        if other.id == course.id:
            raise DomainError("error.tour_already_booked", "already_booked", status=409)
        if other.tour_id == course.tour_id:
            raise DomainError("error.tour_one_course", "one_course_per_tour", status=409, course=other.code)
        if other.departs_at < course.returns_at and course.departs_at < other.returns_at:
            raise DomainError("error.tour_same_time", "same_time", status=409, course=other.code)
    claim = await take_seat(session, user_id, course)
    await _mail(session, user_id, course, f"tour_{claim.status}", base_url, position=claim.position)
    return claim


async def open_seats(session: AsyncSession, course: Course) -> None:
    """The course's seat pool; made with the course, so that the first bookings do not race to create it."""
    await capacity.ensure_pool(session, pool_key(course.id), course.seats)


async def take_seat(
    session: AsyncSession, user_id: int, course: Course, queue_only: bool = False
) -> capacity.Claim:
    key, who = pool_key(course.id), capacity.person(user_id)
    await capacity.ensure_pool(session, key, course.seats)
    claim = await capacity.claim(session, key, who, queue_only=queue_only)
    booking = await session.scalar(
        select(Booking).where(Booking.course_id == course.id, Booking.user_id == user_id)
    )
    if booking is None:
        try:
            async with session.begin_nested():
                session.add(Booking(course_id=course.id, user_id=user_id, active=True))
        except IntegrityError:  # two requests of the same person at once: the seat claim above is idempotent
            pass
    else:
        booking.active = True
        booking.present = None
    await session.flush()
    return claim


async def cancel(session: AsyncSession, user_id: int, course_id: int, base_url: str) -> None:
    """Give up a seat or a waiting place; the next person in line gets the seat at once, and a mail."""
    await locks.lock_people(session, user_id)
    await locks.retrying(session, lambda: _cancel(session, user_id, course_id, base_url))


async def _cancel(session: AsyncSession, user_id: int, course_id: int, base_url: str) -> None:
    course = await get_course(session, course_id)
    # A promotion here may release the promoted person's places on the tour's other courses: every
    # pool of the tour is locked now, in id order, so two cancellations at once cannot deadlock.
    await capacity.lock_pools(
        session, [pool_key(c.id) for c in (await get_tour(session, course.tour_id)).courses]
    )
    booking = await session.scalar(
        select(Booking)
        .where(Booking.course_id == course_id, Booking.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    if booking is None or not booking.active:
        raise DomainError("error.tour_not_booked", "not_booked", status=404)
    if course.departs_at <= clock.now():
        raise DomainError("error.tour_departed", "departed", status=409)
    booking.active = False
    booking.id_document = None  # nothing kept about people who do not go
    promoted = await capacity.release(session, pool_key(course_id), capacity.person(user_id))
    await session.flush()
    await _promote(session, course, promoted, base_url)


async def book_by_email(
    session: AsyncSession, email: str, course_id: int, base_url: str, actor: audit.Actor | None = None
) -> capacity.Claim:
    """An organizer books a registered participant in by e-mail (invitation-only courses, ballots after the fact)."""
    person = await accounts.find_by_email(session, clean_line(email))
    if person is None:
        raise DomainError("error.unknown_participant", "unknown_participant", field="email", status=404)
    claim = await book(session, person.id, course_id, base_url, by_organizer=True)
    course = await get_course(session, course_id)
    await audit.record(
        session,
        actor,
        "tours.book",
        "course",
        course.id,
        f"{course.code} · {person.name_latin}",
        before={"booking": None},
        after={"booking": claim.status, "person": person.name_latin, "position": claim.position},
        edition_id=course.tour.edition_id,
    )
    return claim


async def _promote(session: AsyncSession, course: Course, promoted: list[str], base_url: str) -> None:
    if not promoted:
        return
    tour = await get_tour(session, course.tour_id)
    for holder_key in promoted:
        user_id = capacity.person_of(holder_key)
        # A seat on one course of a tour ends the wait for its other courses (one course per tour).
        waiting_elsewhere = set(
            (
                await session.scalars(
                    select(Booking.course_id).where(
                        Booking.user_id == user_id,
                        Booking.active.is_(True),
                        Booking.course_id.in_([c.id for c in tour.courses if c.id != course.id]),
                    )
                )
            ).all()
        )
        for other in tour.courses:
            if other.id in waiting_elsewhere:
                more = await capacity.release(session, pool_key(other.id), capacity.person(user_id))
                await session.execute(
                    update(Booking)
                    .where(Booking.course_id == other.id, Booking.user_id == user_id)
                    .values(active=False)
                )
                await _promote(session, other, more, base_url)
        await notifications.notify(
            session,
            user_id,
            "tour_promoted",
            "/tours",
            {"course_en": course.theme_en, "course_ja": course.theme_ja},
        )
        await _mail(session, user_id, course, "tour_promoted", base_url)


async def _mail(
    session: AsyncSession, user_id: int, course: Course, kind: str, base_url: str, **extra: Any
) -> None:
    person = await accounts.get_user(session, user_id)
    booking = await session.scalar(
        select(Booking).where(Booking.course_id == course.id, Booking.user_id == user_id)
    )
    await mail.queue_mail(
        session,
        to=person.email,
        name=person.name_latin,
        lang=person.preferred_lang,
        kind=kind,
        context={
            "name": person.name_latin,
            "course_en": f"{course.code} {course.theme_en}",
            "course_ja": f"{course.code} {course.theme_ja}",
            "departs": course.departs_at,
            "meeting_en": course.meeting_point_en,
            "meeting_ja": course.meeting_point_ja,
            "id_missing": course.requires_id and (booking is None or booking.id_document is None),
            "link": f"{base_url}/tours",
            "position": extra.get("position"),
        },
    )


# --- ID data the facility requires -----------------------------------------------------------------


async def set_id_document(
    session: AsyncSession, user_id: int, course_id: int, kind: str, number: str, secret: str
) -> None:
    booking = await session.scalar(
        select(Booking).where(Booking.course_id == course_id, Booking.user_id == user_id)
    )
    if booking is None or not booking.active:
        raise DomainError("error.tour_not_booked", "not_booked", status=404)
    errors: dict = {}
    if kind not in ID_KINDS:
        errors["id_kind"] = ("error.choice_invalid", {})
    number = clean_line(number).replace(" ", "").upper()
    if not 5 <= len(number) <= 20 or not number.isalnum() or not number.isascii():
        errors["id_number"] = ("error.id_number_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    booking.id_document = _fernet(secret).encrypt(f"{kind}:{number}".encode())
    await session.flush()


def read_id_document(data: bytes | None, secret: str) -> tuple[str, str] | None:
    if data is None:
        return None
    try:
        kind, number = _fernet(secret).decrypt(data).decode().split(":", 1)
    except (InvalidToken, ValueError):
        return None
    return kind, number


async def _id_documents_past_retention(
    session: AsyncSession, max_days: int | None
) -> list[tuple[Booking, Course, Tour]]:
    """Bookings holding ID data whose course returned more than the retention days ago: the tour's own days,
    or the privacy rule's (`max_days`) when that is shorter."""
    now = clock.now()
    rows = await session.execute(
        select(Booking, Course, Tour)
        .join(Course, Course.id == Booking.course_id)
        .join(Tour, Tour.id == Course.tour_id)
        .where(Booking.id_document.is_not(None))
    )
    due = []
    for booking, course, tour in rows.tuples():
        days = tour.id_retention_days if max_days is None else min(tour.id_retention_days, max_days)
        if course.returns_at + timedelta(days=days) < now:
            due.append((booking, course, tour))
    return due


async def id_documents_due(session: AsyncSession, max_days: int | None = None) -> dict[int, int]:
    """How many bookings' ID data is past retention, per edition (nothing is changed)."""
    counts: dict[int, int] = {}
    for _, _, tour in await _id_documents_past_retention(session, max_days):
        counts[tour.edition_id] = counts.get(tour.edition_id, 0) + 1
    return counts


async def purge_id_documents(session: AsyncSession, max_days: int | None = None) -> int:
    """Delete ID numbers once a course returned more than its retention days ago (the privacy domain's
    `tour_id_numbers` rule calls this with its period; see ascc.privacy.services)."""
    due = await _id_documents_past_retention(session, max_days)
    for booking, _, _ in due:
        booking.id_document = None
    await session.flush()
    return len(due)


# --- Ballot ---------------------------------------------------------------------------------------


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
        await _eligible(session, user_id, course, by_organizer=False)
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
    placed = [u for u in result.lottery if result.assigned[u] is not None]
    left_out = [u for u in result.lottery if result.assigned[u] is None]
    for user_id in placed:
        course = courses[result.assigned[user_id]]
        await take_seat(session, user_id, course)
        await _mail(session, user_id, course, "tour_allocated", base_url)
    for user_id in left_out:
        for ranked in by_id[user_id].ranking:
            await take_seat(session, user_id, courses[ranked], queue_only=True)
        await _mail(session, user_id, courses[by_id[user_id].ranking[0]], "tour_left_out", base_url)
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


# --- Manifest and roll-call ------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestLine:
    user_id: int
    name_latin: str
    name_local: str | None
    organization: str
    country: str | None
    dietary: str | None
    accessibility: str | None
    id_document: tuple[str, str] | None
    id_missing: bool
    status: str
    position: int | None
    present: bool | None


async def manifest(session: AsyncSession, course_id: int, secret: str) -> tuple[Course, list[ManifestLine]]:
    """Everyone on the course, seats first then the waiting list in order, with what the facility needs."""
    course = await get_course(session, course_id)
    bookings = {
        b.user_id: b
        for b in (
            await session.scalars(
                select(Booking).where(Booking.course_id == course_id, Booking.active.is_(True))
            )
        ).all()
    }
    people = await registration.registrations_of(session, course.tour.edition_id, list(bookings))
    waiting = await capacity.waiting_holders(session, pool_key(course_id))
    position = {capacity.person_of(h): n for n, h in enumerate(waiting, 1)}
    statuses = {u: ("waiting" if u in position else "confirmed") for u in bookings}
    lines = []
    for user_id, booking in bookings.items():
        mine = people.get(user_id)
        if mine is None:
            continue
        lines.append(
            ManifestLine(
                user_id=user_id,
                name_latin=mine.user.name_latin,
                name_local=mine.user.name_local,
                organization=mine.organization.name_en if mine.organization else "",
                country=mine.country,
                dietary=mine.dietary,
                accessibility=mine.accessibility,
                id_document=read_id_document(booking.id_document, secret),
                id_missing=course.requires_id and booking.id_document is None,
                status=statuses[user_id],
                position=position.get(user_id),
                present=booking.present,
            )
        )
    lines.sort(key=lambda line: (line.status != "confirmed", line.position or 0, line.name_latin.casefold()))
    return course, lines


async def mark(
    session: AsyncSession,
    course_id: int,
    user_id: int,
    present: bool | None,
    actor: audit.Actor | None = None,
) -> None:
    booking = await session.scalar(
        select(Booking).where(
            Booking.course_id == course_id, Booking.user_id == user_id, Booking.active.is_(True)
        )
    )
    if booking is None:
        raise NotFound("booking")
    before = audit.snapshot(booking, ("present",))
    booking.present = present
    booking.marked_at = clock.now() if present is not None else None
    await session.flush()
    if actor is not None:  # the bus's scanner marks the roll-call too: only people's own marks are logged
        course = await get_course(session, course_id)
        person = await accounts.get_user(session, user_id)
        await audit.record(
            session,
            actor,
            "checkin.roll_call",
            "booking",
            booking.id,
            f"{course.code} · {person.name_latin}",
            before=before,
            after=audit.snapshot(booking, ("present",)),
            edition_id=course.tour.edition_id,
        )


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


# --- Organizers edit tours and courses --------------------------------------------------------------


async def save_tour(
    session: AsyncSession,
    edition: Any,
    tour_id: int | None,
    values: dict[str, str],
    actor: audit.Actor | None = None,
) -> Tour:
    """A tour from the organizer's form: code, names, booking mode, ballot deadline, caps, ID retention."""
    errors: dict = {}
    text = {}
    for key, limit in (("code", 10), ("name_en", 200), ("name_ja", 200)):
        text[key] = clean_line(values.get(key))[:limit]
        if not text[key]:
            errors[key] = ("error.required", {})
    mode = values.get("mode", "fcfs")
    if mode not in ("fcfs", "ballot"):
        errors["mode"] = ("error.choice_invalid", {})
    deadline = None
    if mode == "ballot":
        deadline = local_time(
            errors,
            "ballot_deadline",
            values.get("deadline_day", ""),
            values.get("deadline_time", ""),
            ZoneInfo(edition.timezone),
        )
    city_cap = whole_number(errors, "city_cap", values.get("city_cap", ""), 1, 1000, required=False)
    retention = whole_number(
        errors, "id_retention_days", values.get("id_retention_days", "") or "14", 0, 365, required=True
    )
    if errors:
        raise ValidationFailed(errors)
    tour = await get_tour(session, tour_id) if tour_id else Tour(edition_id=edition.id, courses=[])
    before = _tour_view(tour, edition) if tour_id else None
    if tour_id is None:
        session.add(tour)
    tour.code, tour.name_en, tour.name_ja, tour.mode = text["code"], text["name_en"], text["name_ja"], mode
    tour.description_en = clean_line(values.get("description_en"))[:2000]
    tour.description_ja = clean_line(values.get("description_ja"))[:2000]
    tour.ballot_deadline, tour.city_cap, tour.id_retention_days = deadline, city_cap, retention
    tour.keep_delegations = values.get("keep_delegations") in ("1", "on")
    await session.flush()
    await audit.record(
        session,
        actor,
        "tours.tour_save",
        "tour",
        tour.id,
        f"{tour.code} · {tour.name_en}",
        before=before,
        after=_tour_view(tour, edition),
        edition_id=edition.id,
    )
    return tour


TOUR_FIELDS = (
    "code",
    "name_en",
    "name_ja",
    "description_en",
    "description_ja",
    "mode",
    "city_cap",
    "id_retention_days",
    "keep_delegations",
)
COURSE_FIELDS = (
    "code",
    "theme_en",
    "theme_ja",
    "description_en",
    "description_ja",
    "meeting_point_en",
    "meeting_point_ja",
    "accessibility_en",
    "accessibility_ja",
    "seats",
    "categories",
    "invitation_only",
    "requires_id",
)


def _tour_view(tour: Tour, edition: Any) -> dict[str, Any]:
    view = audit.snapshot(tour, TOUR_FIELDS)
    tz = ZoneInfo(edition.timezone)
    view["ballot_deadline"] = tour.ballot_deadline.astimezone(tz) if tour.ballot_deadline else None
    return view


def _course_view(course: Course, edition: Any) -> dict[str, Any]:
    view = audit.snapshot(course, COURSE_FIELDS)
    tz = ZoneInfo(edition.timezone)
    for name in ("departs_at", "returns_at"):
        moment = getattr(course, name)
        view[name] = moment.astimezone(tz).isoformat(timespec="minutes") if moment else None
    return view


async def save_course(
    session: AsyncSession,
    edition: Any,
    tour_id: int,
    course_id: int | None,
    values: dict[str, Any],
    categories: list[str],
    actor: audit.Actor | None = None,
) -> tuple[Course, list[str]]:
    """A course from the organizer's form; more seats promote people waiting (returned for their mail)."""
    tour = await get_tour(session, tour_id)
    errors: dict = {}
    text = {}
    for key, limit, required in (
        ("code", 10, True),
        ("theme_en", 200, True),
        ("theme_ja", 200, True),
        ("meeting_point_en", 300, False),
        ("meeting_point_ja", 300, False),
    ):
        text[key] = clean_line(values.get(key))[:limit]
        if required and not text[key]:
            errors[key] = ("error.required", {})
    tz = ZoneInfo(edition.timezone)
    departs = local_time(errors, "departs", values.get("day", ""), values.get("departs", ""), tz)
    returns = local_time(errors, "returns", values.get("day", ""), values.get("returns", ""), tz)
    if departs and returns and returns <= departs:
        errors["returns"] = ("error.session_end_before_start", {})
    seats = whole_number(errors, "seats", values.get("seats", ""), 1, 10_000, required=True)
    if errors:
        raise ValidationFailed(errors)
    before = None
    if course_id is None:
        course = Course(tour_id=tour.id, sort_order=len(tour.courses))
        session.add(course)
    else:
        course = next((c for c in tour.courses if c.id == course_id), None)
        if course is None:
            raise NotFound("course")
        before = _course_view(course, edition)
    for key, value in text.items():
        setattr(course, key, value)
    course.departs_at, course.returns_at, course.seats = departs, returns, seats
    for key in ("description_en", "description_ja", "accessibility_en", "accessibility_ja"):
        setattr(course, key, clean_line(values.get(key))[:2000])
    course.categories = [c for c in categories if c in registration.CATEGORIES]
    course.invitation_only = values.get("invitation_only") in ("1", "on")
    course.requires_id = values.get("requires_id") in ("1", "on")
    await session.flush()
    await audit.record(
        session,
        actor,
        "tours.course_save",
        "course",
        course.id,
        f"{course.code} · {course.theme_en}",
        before=before,
        after=_course_view(course, edition),
        edition_id=edition.id,
    )
    await open_seats(session, course)
    # More seats promote people, which may release their places on other courses of the tour: lock them all
    # in id order first, as a cancellation does.
    await capacity.lock_pools(session, [pool_key(c.id) for c in [*tour.courses, course]])
    promoted = await capacity.set_limit(session, pool_key(course.id), seats)
    return course, promoted


async def tell_promoted(session: AsyncSession, course: Course, promoted: list[str], base_url: str) -> None:
    await _promote(session, course, promoted, base_url)


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


async def check_in_places(session: AsyncSession, edition_id: int, only: int | None = None) -> list[Place]:
    """Tour buses: every course of the edition (`only`: that one), by departure, with its meeting point."""
    query = (
        select(Course)
        .join(Tour, Tour.id == Course.tour_id)
        .where(Tour.edition_id == edition_id)
        .order_by(Course.departs_at, Course.code)
    )
    rows = await session.scalars(query if only is None else query.where(Course.id == only))
    return [
        Place(
            course.id,
            f"{course.code} · {course.theme_en}",
            f"{course.code} · {course.theme_ja}",
            course.departs_at,
            course.returns_at,
            course.meeting_point_en,
            course.meeting_point_ja,
        )
        for course in rows.all()
    ]


async def holds_seat(session: AsyncSession, edition_id: int, course_id: int, user_id: int) -> bool | None:
    """For the roll-call by badge: does the person hold a seat on this bus? None: no such course."""
    course = await session.get(Course, course_id)
    if course is None or (await session.get(Tour, course.tour_id)).edition_id != edition_id:
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


async def copy_tours(
    session: AsyncSession, source_edition_id: int, target_edition_id: int, shift: timedelta
) -> tuple[int, int]:
    """The next edition's tours and courses from this one's, their times moved by `shift`: no booking, ID
    number, preference or allocation comes along. Returns (tours, courses)."""
    tours = await list_tours(session, source_edition_id)
    course_count = 0
    for source in tours:
        tour = Tour(
            edition_id=target_edition_id,
            code=source.code,
            name_en=source.name_en,
            name_ja=source.name_ja,
            description_en=source.description_en,
            description_ja=source.description_ja,
            mode=source.mode,
            ballot_deadline=source.ballot_deadline + shift if source.ballot_deadline else None,
            city_cap=source.city_cap,
            keep_delegations=source.keep_delegations,
            id_retention_days=source.id_retention_days,
            courses=[
                Course(
                    code=c.code,
                    theme_en=c.theme_en,
                    theme_ja=c.theme_ja,
                    description_en=c.description_en,
                    description_ja=c.description_ja,
                    departs_at=c.departs_at + shift,
                    returns_at=c.returns_at + shift,
                    meeting_point_en=c.meeting_point_en,
                    meeting_point_ja=c.meeting_point_ja,
                    seats=c.seats,
                    categories=list(c.categories or []),
                    invitation_only=c.invitation_only,
                    requires_id=c.requires_id,
                    accessibility_en=c.accessibility_en,
                    accessibility_ja=c.accessibility_ja,
                    sort_order=c.sort_order,
                )
                for c in source.courses
            ],
        )
        session.add(tour)
        await session.flush()
        for course in tour.courses:
            await open_seats(session, course)
        course_count += len(tour.courses)
    return len(tours), course_count
