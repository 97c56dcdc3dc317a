"""What a worker keeps for a second, and forgets as soon as this process writes to the tables it came from.

A `WriteWatch` counts this process's ORM writes to some tables (a flush of new, changed or deleted rows, or an
ORM-enabled INSERT, UPDATE or DELETE), once at the write and again at its commit (a lookup between the two may
have kept the old answer). A `Kept` answer remembers the count it was read under and is dropped when the count
moved, and in any case after `ttl` seconds: the longest another worker's write can take to count here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_watches: list[WriteWatch] = []


class WriteWatch:
    def __init__(self, tables: Iterable[str]) -> None:
        self.tables = frozenset(tables)
        self.generation = 0
        self._flag = f"written:{id(self)}"
        _watches.append(self)

    def bump(self) -> None:
        self.generation += 1


def _mark(session: Session, watch: WriteWatch) -> None:
    session.info[watch._flag] = True
    watch.bump()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    names = {getattr(obj, "__tablename__", None) for obj in (*session.new, *session.dirty, *session.deleted)}
    for watch in _watches:
        if names & watch.tables:
            _mark(session, watch)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    names = {getattr(mapper.local_table, "name", None) for mapper in state.all_mappers}
    for watch in _watches:
        if names & watch.tables:
            _mark(state.session, watch)


# A savepoint's end fires these too, while the real transaction goes on: only the outermost commit or rollback
# counts (in its event, only a savepoint's end is still "in a nested transaction").
@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for watch in _watches:
        if session.info.pop(watch._flag, False):
            watch.bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for watch in _watches:
        if session.info.pop(watch._flag, False):
            watch.bump()  # a lookup made after the write, inside the transaction, may have kept what is now undone


class Kept:
    """Key -> an answer read under `watch`, per worker, for at most `ttl` seconds (the newest `size` keys)."""

    def __init__(self, watch: WriteWatch, ttl: float = 1.0, size: int = 4096) -> None:
        self.watch = watch
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        kept = self._items.get(key)
        if kept is None:
            return None
        value, seen_generation, until = kept
        if seen_generation != self.watch.generation or time.monotonic() >= until:
            self._items.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: Any, seen_generation: int) -> None:
        """`seen_generation`: the watch's generation read before the lookup, so a write during it is not kept."""
        if seen_generation != self.watch.generation:
            return
        self._items[key] = (value, seen_generation, time.monotonic() + self.ttl)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
