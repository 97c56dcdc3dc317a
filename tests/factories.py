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


async def make_token_holders(session: AsyncSession, count: int, prefix: str) -> list[tuple[int, str]]:
    """`count` verified delegates `<prefix><n>@example.org`, each with an API token: (user id, raw token).

    One password hash for all: argon2 per person is slow, and concurrency tests use the tokens only.
    """
    password_hash = accounts.hash_password("not used here")
    holders = []
    for n in range(count):
        user = accounts.User(
            email=f"{prefix}{n}@example.org",
            email_key=f"{prefix}{n}@example.org",
            password_hash=password_hash,
            name_latin=f"Person {n}",
            role="delegate",
            preferred_lang="en",
            is_active=True,
        )
        session.add(user)
        await session.flush()
        raw, _ = await accounts.create_api_token(session, user.id)
        holders.append((user.id, raw))
    return holders
