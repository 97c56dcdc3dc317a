"""Plain factories: each makes exactly what its name says, verified accounts by default."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.editions import services as editions

PASSWORD = "correct horse battery"


async def make_user(
    session: AsyncSession,
    email: str = "person@example.org",
    role: str = "delegate",
    name: str = "Haruka Sato",
    **extra: object,
) -> accounts.User:
    user = await accounts.create_user(
        session, email=email, role=role, password=PASSWORD, name_latin=name, **extra
    )
    await session.commit()
    return user


async def make_edition(
    session: AsyncSession,
    slug: str = "ascc2023",
    current: bool = True,
    status: str = "registration_open",
    year: int = 2023,
    **extra: object,
) -> editions.Edition:
    data = editions.EditionInput(
        slug=slug,
        name_en=f"Edition {slug}",
        name_ja=f"第{year}回",
        starts_on=date(year, 11, 13),
        ends_on=date(year, 11, 15),
        status=status,
        venue_name_en="Pacifico Yokohama North",
        venue_name_ja="パシフィコ横浜ノース",
        **extra,
    )
    edition = await editions.create(session, data)
    if current:
        await editions.set_current(session, slug)
    await session.commit()
    return edition
