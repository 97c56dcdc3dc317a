"""The front page and the organizers' overview: figures gathered from the other domains' services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.db import head_revision
from ascc.editions import services as editions
from ascc.mail import services as mail
from ascc.organizations import services as organizations


@dataclass
class Overview:
    accounts_total: int
    organizations: int
    editions: int
    outbox: dict[str, int]


async def overview(session: AsyncSession) -> Overview:
    _, total = await accounts.list_users(session, limit=1)
    return Overview(
        accounts_total=total,
        organizations=await organizations.count(session),
        editions=len(await editions.list_editions(session, include_drafts=True)),
        outbox=await mail.outbox_counts(session),
    )


async def current_edition(session: AsyncSession) -> editions.Edition | None:
    return await editions.current(session)


@dataclass
class DatabaseStatus:
    ok: bool
    schema: str | None
    expected_schema: str


async def database_status(session: AsyncSession) -> DatabaseStatus:
    """Reachable and migrated to the code's newest revision; raises when the database cannot be reached."""
    expected = head_revision()
    try:
        schema = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        await session.rollback()
        await session.execute(text("SELECT 1"))  # reachable, but never migrated
        schema = None
    return DatabaseStatus(ok=schema == expected, schema=schema, expected_schema=expected)
