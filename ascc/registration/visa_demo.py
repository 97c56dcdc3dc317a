"""The demo edition's visa letters: two requests awaiting review, one approved, one revoked, asked for by
confirmed in-person participants (not the demo accounts, so that the demo delegate can ask for one). Idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.registration import visa
from ascc.registration.models import Registration, VisaLetter

STATES = ("requested", "requested", "approved", "revoked")
DEMO_ACCOUNTS = ("organizer", "delegate", "online", "exhibitor", "checkin")


async def load_visa_letters(session: AsyncSession, edition_id: int, secret: str) -> int:
    """Four letters in different states; none when the edition has some already. Returns how many were made."""
    if await session.scalar(select(VisaLetter.id).where(VisaLetter.edition_id == edition_id).limit(1)):
        return 0
    rows = await session.scalars(
        select(Registration)
        .where(
            Registration.edition_id == edition_id,
            Registration.status == "confirmed",
            Registration.mode == "in_person",
            Registration.country.is_not(None),
            Registration.country != "JP",  # people coming from abroad
        )
        .options(joinedload(Registration.user))
        .order_by(Registration.id)
    )
    people = [r for r in rows.unique().all() if r.user.email.split("@")[0] not in DEMO_ACCOUNTS][
        : len(STATES)
    ]
    now = clock.now()
    for n, (registration, status) in enumerate(zip(people, STATES, strict=False)):
        passport = visa.Passport(
            f"P{7340215 + 1111 * n}", date(1975 + 3 * n, 1 + n, 10 + n), registration.country or "PH"
        )
        asked = now - timedelta(days=12 - 2 * n)
        session.add(
            VisaLetter(
                edition_id=edition_id,
                user_id=registration.user_id,
                registration_id=registration.id,
                reference=visa.new_reference(),
                status=status,
                passport_data=visa.seal_passport(passport, secret),
                requested_at=asked,
                approved_at=asked + timedelta(days=1) if status != "requested" else None,
                revoked_at=asked + timedelta(days=3) if status == "revoked" else None,
            )
        )
    await session.flush()
    return len(people)
