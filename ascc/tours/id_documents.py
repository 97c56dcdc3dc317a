"""ID data the facility requires: passport or national ID numbers, encrypted at rest, deleted once
their retention days after the course are over.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, sealed
from ascc.errors import DomainError, ValidationFailed
from ascc.text import clean_line
from ascc.tours.models import Booking, Course, Tour

ID_KINDS = ("passport", "national_id")


_PURPOSE = "ascc-tour-id-data"  # ID numbers are encrypted at rest with a key derived from ASCC_SECRET_KEY


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
    # Full-width letters and digits (Ｃ１２３４５６７, as Japanese input methods type them) are the ASCII ones.
    number = unicodedata.normalize("NFKC", clean_line(number)).replace(" ", "").upper()
    if not 5 <= len(number) <= 20 or not number.isalnum() or not number.isascii():
        errors["id_number"] = ("error.id_number_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    booking.id_document = sealed.seal(f"{kind}:{number}", secret, _PURPOSE)
    await session.flush()


def read_id_document(data: bytes | None, secret: str) -> tuple[str, str] | None:
    text = sealed.unseal(data, secret, _PURPOSE)
    if text is None or ":" not in text:
        return None
    kind, number = text.split(":", 1)
    return kind, number


def id_on_file(data: bytes | None, secret: str) -> tuple[str, str] | None:
    """What the holder is shown of their saved ID data: the kind and the number's last two characters."""
    found = read_id_document(data, secret)
    return None if found is None else (found[0], found[1][-2:])


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
