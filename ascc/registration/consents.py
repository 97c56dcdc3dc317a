"""What a person agreed to on their registration, and the participants' directory that respects it.

Seeing, taking and deleting one's data span every domain: they are the privacy package's (ascc.privacy).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc.accounts import services as accounts
from ascc.i18n import is_country
from ascc.registration.models import CATEGORIES, Registration
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
                accounts.name_matches(q),
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
