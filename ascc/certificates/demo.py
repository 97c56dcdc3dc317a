"""Demo attendance, so that the demo accounts can download a certificate of the (past) 12th ASCC: the
delegate and a dozen in-person participants checked in at the entrance (the delegate also at the opening,
the keynote and a thematic session, and on the bus of each site visit booked), the online attendee with
90 minutes watched. Only what has happened by the platform's clock is recorded: a demo seeded before the
conference (as the browser tests seed it) has no attendance yet. Twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts.models import User
from ascc.badges.models import CheckIn
from ascc.db import insert_ignoring_duplicates
from ascc.editions.models import Edition
from ascc.online.models import ViewingMinute
from ascc.programme.models import ProgrammeSession
from ascc.registration.models import Registration
from ascc.tours.models import Booking

OTHERS = 12  # in-person participants checked in besides the delegate


async def _registration(session: AsyncSession, edition_id: int, email: str) -> Registration | None:
    return await session.scalar(
        select(Registration)
        .join(User, User.id == Registration.user_id)
        .where(
            Registration.edition_id == edition_id, User.email_key == email, Registration.status == "confirmed"
        )
    )


def _check_in(
    edition: Edition, reg: Registration, kind: str, place_id: int | None, key: str, at: datetime
) -> dict:
    now = datetime.now(UTC)
    return {
        "edition_id": edition.id,
        "registration_id": reg.id,
        "place_type": kind,
        "place_id": place_id,
        "place_key": key,
        "checked_in_at": at,
        "device_id": "demo",
        "created_at": now,
        "updated_at": now,
    }


async def load_attendance(session: AsyncSession, edition: Edition) -> int:
    """Check-ins and viewing minutes of the demo; returns how many check-ins it wrote."""
    sessions = list(
        (
            await session.scalars(
                select(ProgrammeSession)
                .where(
                    ProgrammeSession.edition_id == edition.id,
                    ProgrammeSession.kind.in_(("ceremony", "keynote", "thematic", "plenary")),
                )
                .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
                .limit(3)
            )
        ).all()
    )
    if not sessions:
        return 0
    opening = sessions[0].starts_at - timedelta(minutes=30)
    now = clock.now()
    rows = []
    delegate = await _registration(session, edition.id, "delegate@example.org")
    if delegate is not None:
        rows.append(_check_in(edition, delegate, "entrance", None, f"entrance:{edition.starts_on}", opening))
        for item in sessions:
            rows.append(
                _check_in(edition, delegate, "session", item.id, f"session:{item.id}", item.starts_at)
            )
        courses = await session.scalars(
            select(Booking.course_id).where(Booking.user_id == delegate.user_id, Booking.active.is_(True))
        )
        for course_id in courses.all():
            rows.append(_check_in(edition, delegate, "tour", course_id, f"tour:{course_id}", opening))
    others = await session.scalars(
        select(Registration)
        .where(
            Registration.edition_id == edition.id,
            Registration.status == "confirmed",
            Registration.mode == "in_person",
            Registration.id != (delegate.id if delegate else 0),
        )
        .order_by(Registration.id)
        .limit(OTHERS)
    )
    for reg in others.all():
        rows.append(_check_in(edition, reg, "entrance", None, f"entrance:{edition.starts_on}", opening))
    rows = [row for row in rows if row["checked_in_at"] <= now]
    if rows:
        await session.execute(
            insert_ignoring_duplicates(session, CheckIn)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["registration_id", "place_key"])
        )
    online = await _registration(session, edition.id, "online@example.org")
    watcher = online.user_id if online is not None else None
    stamp = datetime.now(UTC)
    minutes = [
        {
            "session_id": item.id,
            "user_id": watcher,
            "minute": item.starts_at + timedelta(minutes=m),
            "channel": "en",
            "created_at": stamp,
            "updated_at": stamp,
        }
        for item in (sessions[:2] if watcher is not None else [])
        for m in range(min(45, int((item.ends_at - item.starts_at).total_seconds() // 60)))
        if item.starts_at + timedelta(minutes=m + 1) <= now
    ]
    if minutes:
        await session.execute(
            insert_ignoring_duplicates(session, ViewingMinute)
            .values(minutes)
            .on_conflict_do_nothing(index_elements=["session_id", "user_id", "minute"])
        )
    await session.flush()
    return len(rows)
