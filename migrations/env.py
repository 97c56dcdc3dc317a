"""Alembic environment: async engines for SQLite and PostgreSQL, metadata from every domain's models."""

from __future__ import annotations

import asyncio

from advanced_alchemy.types import DateTimeUTC
from alembic import context
from sqlalchemy.engine import Connection

from ascc.db import create_engine, load_models

target_metadata = load_models()


def _render_item(kind: str, obj: object, _autogen_context: object) -> str | bool:
    # New migrations import DateTimeUTC by name (script.py.mako) instead of its private module path.
    if kind == "type" and isinstance(obj, DateTimeUTC):
        return "DateTimeUTC(timezone=True)"
    return False


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        # SQLite cannot ALTER most things; batch mode rebuilds tables so the same migrations run on both.
        render_as_batch=True,
        literal_binds=connection is None,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
        await connection.commit()
    await engine.dispose()


url = context.config.get_main_option("sqlalchemy.url")
if context.is_offline_mode():
    _configure(url=url)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async(url))
