"""Booking tour courses first come, first served: book, cancel, an organizer booking someone in, and
the promotion of the next person waiting (with their mail).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.editions import services as editions
from ascc.errors import DomainError
from ascc.mail import services as mail
from ascc.notifications import services as notifications
from ascc.registration import services as registration
from ascc.text import clean_line
from ascc.tours.models import Booking, Course, Tour
from ascc.tours.services import active_bookings, get_course, get_tour, pool_key


async def who_may_not_join(session: AsyncSession, edition_id: int, user_id: int) -> str | None:
    """Why this person cannot book or rank any tour (a message key), or None: shown before they try."""
    mine = await registration.my_registration(session, edition_id, user_id)
    if mine is None or mine.status != "confirmed":
        return "error.tour_needs_registration"
    if mine.mode != "in_person":
        return "error.tour_in_person_only"
    return None


async def check_eligible(session: AsyncSession, user_id: int, course: Course, by_organizer: bool) -> Any:
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
    await check_eligible(session, user_id, course, by_organizer)
    for _booking, other in await active_bookings(session, user_id, course.tour.edition_id):
        if other.id == course.id:
            raise DomainError("error.tour_already_booked", "already_booked", status=409)
        if other.tour_id == course.tour_id:
            raise DomainError("error.tour_one_course", "one_course_per_tour", status=409, course=other.code)
        if other.departs_at < course.returns_at and course.departs_at < other.returns_at:
            raise DomainError("error.tour_same_time", "same_time", status=409, course=other.code)
    claim = await take_seat(session, user_id, course)
    await mail_booking(session, user_id, course, f"tour_{claim.status}", base_url, position=claim.position)
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
        await mail_booking(session, user_id, course, "tour_promoted", base_url)


async def mail_booking(
    session: AsyncSession, user_id: int, course: Course, kind: str, base_url: str, **extra: Any
) -> None:
    person = await accounts.get_user(session, user_id)
    booking = await session.scalar(
        select(Booking).where(Booking.course_id == course.id, Booking.user_id == user_id)
    )
    tour = await session.get_one(Tour, course.tour_id)
    edition = await editions.get_by_id(session, tour.edition_id)
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
            # When and where, and what to bring: the badge, and the ID whose number the facility has.
            "departs": course.departs_at,
            "returns": course.returns_at,
            "tz": edition.timezone,
            "meeting_en": course.meeting_point_en,
            "meeting_ja": course.meeting_point_ja,
            "requires_id": course.requires_id,
            "id_missing": course.requires_id and (booking is None or booking.id_document is None),
            "link": f"{base_url}/tours",
            "position": extra.get("position"),
        },
    )


async def tell_promoted(session: AsyncSession, course: Course, promoted: list[str], base_url: str) -> None:
    await _promote(session, course, promoted, base_url)
