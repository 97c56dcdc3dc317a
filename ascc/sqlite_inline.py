"""SQLite reads on the event loop's thread, without aiosqlite's thread round trips.

aiosqlite runs every call (cursor, execute, fetchall, close, commit) in a thread of its own and hands the
result back through the event loop: four thread hops per SELECT, about 0.3 ms of CPU each time on this
2-core machine, more than the query itself. A signed-in page of eight small reads spent ~3 ms there.

A SELECT in WAL mode never waits for a lock (readers see the last committed snapshot; only writers queue),
so it is run here directly on the sqlite3 connection, in microseconds. Everything that can wait for SQLite's
write lock (INSERT, UPDATE, DELETE, BEGIN IMMEDIATE, SAVEPOINT, COMMIT of a write, PRAGMA) still goes through
aiosqlite's thread, so the event loop never sits in SQLite's busy handler, but as one call (cursor, execute,
fetch and close together) instead of four, so a writer holds the lock for fewer round trips. A commit or
rollback of a connection with no open transaction (the pool's reset after every read-only request) has nothing to do and
makes no round trip. The connection is shared by two threads but never used by both at once: SQLAlchemy
awaits each call on it before the next, so the sqlite3 connection is opened with check_same_thread=False.

Measured: one session with eight primary-key reads, 3.2 ms of CPU through the thread, 0.8 ms inline
(docs/decisions.md). A read that scans a large table holds the loop for its duration instead of running
beside it: milliseconds for an organizer's export at this conference's size.
"""

from __future__ import annotations

import collections
from typing import Any, cast

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


async def _nothing() -> None:
    return None


def _is_read(operation: str) -> bool:
    return operation.lstrip()[:6].upper() == "SELECT"


def _head(operation: str) -> str:
    return operation.lstrip()[:15].upper()


_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _run(raw: Any, operation: Any, parameters: Any, many: bool) -> tuple[Any, list[Any], Any, int]:
    """One statement from cursor to close, in one call: on aiosqlite's thread for a write, one round trip."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        return description, cursor.fetchall() if description else [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class InlineReadCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _write(self, operation: Any, parameters: Any, many: bool) -> None:
        """A statement that may wait for the write lock: on the thread, but as one call instead of four. Once
        this connection's transaction holds the lock (its first INSERT, UPDATE, DELETE or BEGIN IMMEDIATE went
        through), its next INSERT, UPDATE or DELETE cannot wait for anyone (WAL: no exclusive lock for readers
        to release) and runs here at once, shortening the time everyone else waits for the lock."""
        adapted = cast("InlineReadConnection", self._adapt_connection)
        raw = self._connection._connection
        head = _head(operation)
        inline = (
            adapted.wal
            and adapted.holds_lock
            and raw is not None
            and raw.in_transaction
            and head.startswith(_DML)
        )
        try:
            if inline:
                self.await_(_nothing())  # see execute()
                found = _run(raw, operation, parameters, many)
            else:
                found = self.await_(
                    self._connection._execute(_run, self._connection._conn, operation, parameters, many)
                )
                if head.startswith((*_DML, "BEGIN IMMEDIATE")):
                    adapted.holds_lock = True
        except Exception as error:
            adapted._handle_exception(error)
        description, rows, lastrowid, rowcount = found
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = collections.deque(rows)
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._write(operation, seq_of_parameters, many=True)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if not _is_read(operation) or not cast("InlineReadConnection", self._adapt_connection).wal:
            self._write(operation, () if parameters is None else parameters, many=False)
            return None
        # AsyncConnection.execute insists that a statement awaited something: a coroutine that returns at
        # once satisfies it for the price of a greenlet switch, without a trip through the event loop.
        self.await_(_nothing())
        cursor = None
        try:
            cursor = self._connection._conn.cursor()
            cursor.execute(operation, () if parameters is None else parameters)
            self.description = cursor.description
            self.lastrowid = self.rowcount = -1
            self._rows = collections.deque(cursor.fetchall())
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        finally:
            if cursor is not None:
                cursor.close()


class InlineReadConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("holds_lock", "wal")

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.holds_lock = False  # this transaction has SQLite's write lock (see InlineReadCursor._write)
        # Set by db.configure_sqlite from what `PRAGMA journal_mode=WAL` answered. Without WAL (an in-memory
        # database, a file system without shared memory) a read may wait for a lock, and an in-memory
        # database's one connection is shared by every coroutine: everything goes through the thread then.
        self.wal = False

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            return super().cursor(server_side=True)
        return InlineReadCursor(self)

    def _idle(self) -> bool:
        raw = self._connection._connection  # None once closed: then the thread path raises as before
        return raw is not None and not raw.in_transaction

    def commit(self) -> None:
        self.holds_lock = False
        if not self._idle():
            super().commit()

    def rollback(self) -> None:
        self.holds_lock = False
        if not self._idle():
            super().rollback()


class InlineReadDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        return InlineReadConnection(self, adapted._connection)


def dbapi() -> InlineReadDBAPI:
    import sqlite3

    import aiosqlite

    return InlineReadDBAPI(aiosqlite, sqlite3)
