"""What a person agreed to, the directory that respects it, and the right to see, take and delete one's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.exhibitors import staff
from ascc.i18n import is_country
from ascc.mail import services as mail
from ascc.matching import services as matching
from ascc.network import services as network
from ascc.online import services as online
from ascc.registration.delegations import hand_over
from ascc.registration.models import ACTIVE_STATUSES, CATEGORIES, DelegationInvite, Registration
from ascc.registration.services import cancel
from ascc.taxonomy import SECTORS
from ascc.text import like_pattern

CONSENTS = ("consent_directory", "consent_scanning", "consent_recommendations", "consent_photos")


async def update_consents(session: AsyncSession, registration: Registration, given: set[str]) -> Registration:
    for name in CONSENTS:
        setattr(registration, name, name in given)
    await session.flush()
    return registration


@dataclass(frozen=True)
class DirectoryEntry:
    name_latin: str
    name_local: str | None
    organization_en: str | None
    organization_ja: str | None
    position: str | None
    country: str | None
    category: str
    interests: list[str]


async def directory(
    session: AsyncSession,
    edition_id: int,
    q: str | None = None,
    country: str | None = None,
    category: str | None = None,
    sector: str | None = None,
    limit: int = 60,
) -> list[DirectoryEntry]:
    """Confirmed participants who opted in to the directory. Unknown filter values are ignored."""
    statement = (
        select(Registration)
        .join(Registration.user)
        .where(
            Registration.edition_id == edition_id,
            Registration.status == "confirmed",
            Registration.consent_directory.is_(True),
        )
        .options(joinedload(Registration.user), joinedload(Registration.organization))
        .order_by(accounts.User.name_latin)
    )
    if q and q.strip():
        like = like_pattern(q)
        statement = statement.where(
            or_(
                accounts.User.name_latin.ilike(like, escape="\\"),
                accounts.User.name_local.ilike(like, escape="\\"),
                Registration.position.ilike(like, escape="\\"),
            )
        )
    if is_country(country):
        statement = statement.where(Registration.country == country.upper())
    if category in CATEGORIES:
        statement = statement.where(Registration.category == category)
    rows = list((await session.scalars(statement.limit(500))).unique().all())
    if sector in SECTORS:  # a JSON list: filtered here, the same on SQLite and PostgreSQL
        rows = [r for r in rows if sector in (r.interests or [])]
    return [
        DirectoryEntry(
            name_latin=r.user.name_latin,
            name_local=r.user.name_local,
            organization_en=r.organization.name_en if r.organization else None,
            organization_ja=r.organization.name_ja if r.organization else None,
            position=r.position,
            country=r.country,
            category=r.category,
            interests=list(r.interests or []),
        )
        for r in rows[:limit]
    ]


async def export_my_data(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Everything held about a person, as they can read it (GDPR/APPI-style access and portability)."""
    user = await accounts.get_user(session, user_id)
    registrations = (
        await session.scalars(
            select(Registration)
            .where(Registration.user_id == user_id)
            .options(joinedload(Registration.organization))
        )
    ).all()
    messages = await mail.messages_to(session, user.email)
    return {
        "exported_at": clock.now().isoformat(),
        "account": {
            "email": user.email,
            "name_latin": user.name_latin,
            "name_local": user.name_local,
            "organization": user.organization.name_en if user.organization else None,
            "country": user.country,
            "preferred_lang": user.preferred_lang,
            "role": user.role,
            "created_at": user.created_at.isoformat(),
            "email_verified_at": user.email_verified_at.isoformat() if user.email_verified_at else None,
        },
        "registrations": [
            {
                "reference": r.reference,
                "edition_id": r.edition_id,
                "status": r.status,
                "mode": r.mode,
                "category": r.category,
                "organization": r.organization.name_en if r.organization else None,
                "position": r.position,
                "country": r.country,
                "city": r.city,
                "interpretation": r.interpretation,
                "dietary": r.dietary,
                "accessibility": r.accessibility,
                "interests": r.interests,
                "answers": r.answers,
                "consents": {name.removeprefix("consent_"): getattr(r, name) for name in CONSENTS},
                "privacy_version": r.privacy_version,
                "privacy_accepted_at": r.privacy_accepted_at.isoformat(),
                "created_at": r.created_at.isoformat(),
            }
            for r in registrations
        ],
        "mail": [
            {"subject": m.subject, "status": m.status, "queued_at": m.created_at.isoformat()}
            for m in messages
        ],
    }


async def delete_account(session: AsyncSession, user_id: int, base_url: str) -> None:
    """Personal data goes; what reports count (category, country, mode of past registrations) stays, unnamed."""
    registrations = (await session.scalars(select(Registration).where(Registration.user_id == user_id))).all()
    for registration in registrations:
        if registration.status in ACTIVE_STATUSES:
            await cancel(session, registration, base_url, notify=False)
    await forget_person(session, user_id)


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """Anonymize a person without touching their registrations' status (so past editions' figures stay):
    the account, the registrations' personal fields and consents, delegations they led, their mail, and what
    they wrote elsewhere (questions' author line, matching and network texts, staff invitations, audit names).

    `delete_account` (the person's own choice) cancels their open registrations first; the retention rules
    (ascc.privacy) call this directly for people of editions long past.
    """
    registrations = (await session.scalars(select(Registration).where(Registration.user_id == user_id))).all()
    for registration in registrations:
        registration.position = registration.city = registration.dietary = registration.accessibility = None
        registration.answers, registration.interests, registration.note = {}, [], None
        for name in CONSENTS:
            setattr(registration, name, False)
    await hand_over(session, user_id)
    user = await accounts.get_user(session, user_id)
    await session.execute(delete(DelegationInvite).where(DelegationInvite.email_key == user.email.casefold()))
    address = user.email
    await mail.forget_recipient(session, address)
    await staff.forget_invites(session, address)
    await online.forget_author(session, user_id)
    await matching.forget_person(session, user_id)
    await network.forget_member(session, user_id)
    await accounts.anonymize(session, user_id)
    user = await accounts.get_user(session, user_id)
    await audit.forget_actor(session, user_id, user.name_latin)
