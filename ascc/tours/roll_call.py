"""The manifest of a course (everyone on it, with what the facility needs) and the roll-call marks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.errors import NotFound
from ascc.registration import services as registration
from ascc.tours.id_documents import read_id_document
from ascc.tours.models import Booking, Course
from ascc.tours.services import get_course, pool_key


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
