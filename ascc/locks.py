"""Locks that make the rules hold under concurrency, on SQLite and PostgreSQL (docs/concurrency.md).

Three mechanisms, and one order in which they are taken:
1. **Unique and partial unique indexes** for every "at most one" rule: the database decides, whatever the race.
2. **A lock on the person** (`lock_people`) before a person's counted limits or "one of these" rules are
   checked: PostgreSQL locks the person's row (`FOR NO KEY UPDATE`, which does not block rows that merely
   refer to the person); SQLite takes its single write lock (`BEGIN IMMEDIATE`) before the first read.
3. **Locks on shared things** (capacity pools, matching slots) with `lock_rows`, always in id order.
Order: people (by id), then shared things (by id), in every transaction: two transactions never wait for
each other in a circle. What a bug in that order leaves (a PostgreSQL deadlock or serialization failure) is
retried a bounded number of times by `retrying`, and otherwise answered 409 "try again", never 500.

SQLite has one writer at a time. Writers of one process wait for it here, in a first-come, first-served
queue (`WriterQueue`), instead of in SQLite's busy handler, which sleeps and polls (up to 100 ms a round)
and lets late arrivals jump ahead: under a burst of agenda saves, check-in scans starved.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import random
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import column, event, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

T = TypeVar("T")

WRITER_WAIT_SECONDS = 30.0  # as SQLite's busy timeout: past it a writer gives up ("database is locked")
RETRY_ATTEMPTS = 4
URGENT_RUN = 2  # check-in writes served in a row before one other waiting writer gets its turn
_RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "BEGIN", "CREATE", "DROP", "ALTER")


# --- SQLite: one writer at a time, first come first served ---------------------------------------------------


# Check-in's writes go first: the door must not slow down because people are saving sessions.
_urgent: contextvars.ContextVar[bool] = contextvars.ContextVar("ascc_urgent_writes", default=False)


@contextlib.contextmanager
def urgent_writes() -> Iterator[None]:
    """Writes made inside this block take SQLite's lock before the other writers waiting for it."""
    token = _urgent.set(True)
    try:
        yield
    finally:
        _urgent.reset(token)


class _HandOver:
    """A mutex handed directly to the next waiter, urgent ones first, each kind in arrival order."""

    def __init__(self) -> None:
        self.held = False
        self.urgent_run = 0
        self.waiting: dict[bool, collections.deque[asyncio.Future[None]]] = {
            True: collections.deque(),
            False: collections.deque(),
        }

    async def acquire(self, urgent: bool) -> None:
        if not self.held and not self.waiting[True] and not self.waiting[False]:
            self.held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[urgent].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed over just as the waiter gave up: pass it on
            else:
                with contextlib.suppress(
                    ValueError
                ):  # already skipped by a release() that found it cancelled
                    self.waiting[urgent].remove(turn)
            raise

    def release(self) -> None:
        # Urgent first, but never more than URGENT_RUN of them in a row while others wait: nobody starves.
        order = (False, True) if self.urgent_run >= URGENT_RUN else (True, False)
        for urgent in order:
            queue = self.waiting[urgent]
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    self.urgent_run = self.urgent_run + 1 if urgent else 0
                    turn.set_result(None)  # still held: now by that waiter
                    return
        self.held = False


class WriterQueue:
    """The write lock of one SQLite database in one process, handed out in arrival order (check-in first).

    A connection takes it at its first writing statement (or its first savepoint, which SQLite would
    otherwise open as a read that cannot later become a write once another writer has committed) and
    gives it back when its transaction ends. It mirrors SQLite's own lock, which the connection then
    holds for exactly that time, so nobody waits in SQLite's busy handler within this process.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _HandOver] = (
            weakref.WeakKeyDictionary()
        )
        self.owner: Any = None  # the DBAPI connection holding the lock
        self.owner_task: asyncio.Task | None = None

    def _lock(self) -> _HandOver:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = _HandOver()
        return lock

    async def acquire(self, connection: Any) -> None:
        if self.owner is connection:
            return
        task = asyncio.current_task()
        if self.owner is not None and task is not None and self.owner_task is task:
            # This task already writes through another connection, which cannot commit while we wait.
            raise RuntimeError(
                "a second connection of one request writes while the first holds SQLite's lock"
            )
        try:
            await asyncio.wait_for(self._lock().acquire(_urgent.get()), WRITER_WAIT_SECONDS)
        except TimeoutError:
            import sqlite3

            raise sqlite3.OperationalError("database is locked (waited for the writer queue)") from None
        self.owner, self.owner_task = connection, task

    def release(self, connection: Any) -> None:
        if self.owner is not connection:
            return
        self.owner = self.owner_task = None
        lock = self._lock()
        if lock.held:
            lock.release()


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:9].upper().startswith(_WRITES)


def install_writer_queue(engine: AsyncEngine) -> WriterQueue:
    """Route every writing transaction of this SQLite engine through one `WriterQueue`."""
    queue = WriterQueue()
    sync_engine: Engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not in_greenlet() or not _is_write(statement):
            return
        dbapi = conn.connection.dbapi_connection
        await_only(queue.acquire(dbapi))
        driver = dbapi.driver_connection
        if statement.lstrip()[:9].upper() == "SAVEPOINT" and not driver.in_transaction:
            # A savepoint outside a transaction would begin a deferred one: a reader that fails with
            # "database is locked" when it writes after another writer committed. Begin as the writer.
            await_only(_execute(driver, "BEGIN IMMEDIATE"))

    def _releasing(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(dbapi_connection: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(dbapi_connection, *args, **kwargs)
            finally:
                # The pool hands its own wrapper to do_rollback on return; the queue knows the DBAPI one.
                queue.release(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))

        return run

    # Wrapped in place on this engine's dialect; mypy refuses assignments to methods.
    dialect.do_commit = _releasing(dialect.do_commit)  # type: ignore[method-assign]
    dialect.do_rollback = _releasing(dialect.do_rollback)  # type: ignore[method-assign]

    def _gone(dbapi_connection: Any, *_args: Any) -> None:
        queue.release(dbapi_connection)

    for name in ("close", "invalidate", "soft_invalidate", "detach"):
        event.listen(sync_engine.pool, name, _gone)
    return queue


async def _execute(driver: Any, sql: str) -> None:
    cursor = await driver.execute(sql)
    await cursor.close()


async def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def write_lock(session: AsyncSession) -> None:
    """SQLite: make this transaction the writer now, before it reads what it will check. PostgreSQL: nothing
    (it locks rows instead)."""
    if await _dialect(session) != "sqlite":
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None  # a checked-out connection is open
    if not raw.driver_connection.in_transaction:
        from sqlalchemy import text

        await session.execute(text("BEGIN IMMEDIATE"))


# --- Locks on people and on shared rows -------------------------------------------------------------------------


async def lock_rows(session: AsyncSession, table_name: str, ids: Iterable[int]) -> None:
    """Lock these rows of `table_name` for the rest of the transaction, in id order."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return
    if await _dialect(session) == "sqlite":
        await write_lock(session)
        return
    rows = table(table_name, column("id"))
    await session.execute(
        select(rows.c.id).where(rows.c.id.in_(wanted)).order_by(rows.c.id).with_for_update(key_share=True)
    )


async def lock_people(session: AsyncSession, *user_ids: int) -> None:
    """Lock these people (their accounts) before checking their counted limits and their "one of" rules.

    `FOR NO KEY UPDATE`: two requests of one person queue here, while rows that only refer to the person
    (a meeting with them, an agenda item) can still be written by others.
    """
    wanted = sorted({int(i) for i in user_ids})
    if not wanted:
        return
    if await _dialect(session) == "sqlite":
        await write_lock(session)
        return
    people = table("user_account", column("id"))
    await session.execute(
        select(people.c.id)
        .where(people.c.id.in_(wanted))
        .order_by(people.c.id)
        .with_for_update(key_share=True)
    )


# --- PostgreSQL: a bounded retry for deadlocks and serialization failures -------------------------------------


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: nothing is wrong with the request; running it again works."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if str(getattr(seen, "sqlstate", "") or getattr(seen, "pgcode", "") or "") in _RETRYABLE_SQLSTATES:
            return True
        seen = getattr(seen, "orig", None) if isinstance(seen, DBAPIError) else seen.__cause__
    return False


async def retrying(
    session: AsyncSession, work: Callable[[], Awaitable[T]], attempts: int = RETRY_ATTEMPTS
) -> T:
    """Run `work` inside a savepoint; on a deadlock or serialization failure roll back to it (which also
    gives back the row locks taken inside) and run it again, a bounded number of times.

    Locks taken before the savepoint are kept: take the person's lock first, then call this.
    """
    if await _dialect(session) != "postgresql":
        return await work()
    for attempt in range(attempts):
        try:
            async with session.begin_nested():
                return await work()
        except DBAPIError as exc:
            if not is_retryable(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
    raise AssertionError("unreachable")
