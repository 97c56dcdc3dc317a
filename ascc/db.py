"""Database wiring: the declarative base, engines for SQLite and PostgreSQL, and the model registry."""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
from typing import TYPE_CHECKING, Any, cast

from advanced_alchemy.base import IdentityAuditBase, orm_registry
from sqlalchemy import Delete, MetaData, Update, event
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Every domain's models; Alembic and the tests import them all through load_models().
MODEL_MODULES = (
    "ascc.organizations.models",
    "ascc.accounts.models",
    "ascc.editions.models",
    "ascc.mail.models",
    "ascc.capacity.models",
    "ascc.registration.models",
    "ascc.notifications.models",
    "ascc.files.models",
    "ascc.programme.models",
    "ascc.tours.models",
    "ascc.exhibitors.models",
    "ascc.matching.models",
    "ascc.badges.models",
    "ascc.calendar.models",
    "ascc.online.models",
    "ascc.audit.models",
    "ascc.campaigns.models",
    "ascc.privacy.models",
    "ascc.network.models",
    "ascc.reports.models",
    "ascc.webhooks.models",
    "ascc.messages.models",
    "ascc.certificates.models",
)

Base = IdentityAuditBase
metadata: MetaData = orm_registry.metadata


def load_models() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return metadata


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # One connection pool per process; the busy timeout makes writers wait instead of failing. Writers
        # queue on SQLite's one write lock while holding a connection, so the pool is larger than for
        # PostgreSQL: a burst of bookings must wait for the lock, not time out waiting for a connection.
        return {"connect_args": {"timeout": 30}, "pool_size": 20, "max_overflow": 40}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


@functools.cache
def _close_failed_sqlite_cursors() -> None:
    """Close an aiosqlite cursor whose statement failed, in its connection's thread, before raising.

    SQLAlchemy's aiosqlite adapter leaves such a cursor to the garbage collector, inside a reference cycle
    (the exception's traceback holds the frame that holds the cursor). The cyclic collector then finalizes it
    on the event loop's thread, and finalizing resets the statement, which waits for the connection's mutex.
    If that connection is meanwhile waiting for SQLite's write lock (up to the 30 s busy timeout), the whole
    event loop stops, including the request that holds the lock: every writer times out with "database is
    locked". Seen as 20 of 50 concurrent registrations failing (tests/registration/test_concurrency.py).
    """
    import aiosqlite.cursor

    def closing_on_error(method: Any) -> Any:
        async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except Exception:
                await self.close()
                raise

        return run

    cursor_class = aiosqlite.cursor.Cursor  # patched in place; mypy refuses assignments to methods
    cursor_class.execute = closing_on_error(cursor_class.execute)  # type: ignore[method-assign]
    cursor_class.executemany = closing_on_error(cursor_class.executemany)  # type: ignore[method-assign]


def configure_sqlite(engine: AsyncEngine) -> None:
    """WAL lets readers proceed during a write; foreign keys are off by default in SQLite; writers of this
    process take turns in arrival order (ascc.locks.WriterQueue)."""
    from ascc.locks import install_writer_queue

    _close_failed_sqlite_cursors()
    install_writer_queue(engine)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        if hasattr(
            dbapi_connection, "wal"
        ):  # ascc.sqlite_inline: reads on the loop's thread only in WAL mode
            dbapi_connection.wal = str(cursor.fetchone()[0]).lower() == "wal"
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_engine(url: str) -> AsyncEngine:
    options = engine_options(url)
    if url.startswith("sqlite+aiosqlite") and os.environ.get("ASCC_SQLITE_INLINE", "on") != "off":
        from ascc import sqlite_inline  # off: every statement through aiosqlite's thread, to measure against

        options["module"] = sqlite_inline.dbapi()
    engine = create_async_engine(url, **options)
    if url.startswith("sqlite"):
        configure_sqlite(engine)
    return engine


def alembic_config(url: str) -> Config:
    """Alembic configuration for `url`, without an alembic.ini: the migrations live in migrations/."""
    from pathlib import Path

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _outside_event_loop(work: Any) -> None:
    """Alembic's env.py runs its own event loop; from inside a running one, give it a thread of its own."""
    import threading

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    _outside_event_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    _outside_event_loop(lambda: command.downgrade(alembic_config(url), revision))


@functools.cache
def head_revision() -> str:
    """The newest migration in migrations/versions (read once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def insert_ignoring_duplicates(session: Any, model: type) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` for the session's database: the unique constraint decides who is
    first (check-ins, votes), without an exception, on PostgreSQL and SQLite alike."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def rows_changed(session: AsyncSession, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE; the number of rows it matched. (AsyncSession.execute() is typed as returning a
    Result; for these statements it is a CursorResult, which has the count.)"""
    result = await session.execute(statement)
    return cast("CursorResult[Any]", result).rowcount
