"""Who an API token or a browser session belongs to, kept for a second per worker (issue #26: a check-in phone
scans hundreds of badges a minute, each with the same token; a signed-in page looked its person up on every
request, a third of a small page's database time).

A kept answer is dropped as soon as this process changes an account, a token, an organization or a signed-out
session (any ORM write to their tables: revoking, deactivating, a new role or name, signing out), and in any
case after `ttl` seconds, the longest another worker's revocation or sign-out can take to reach this one.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

WATCHED_TABLES = frozenset({"api_token", "user_account", "organization", "ended_session"})

_generation = 0  # bumped whenever this process writes to a watched table


def generation() -> int:
    return _generation


def _bump() -> None:
    global _generation
    _generation += 1


def _touches_watched(objects: Iterable[Any]) -> bool:
    return any(getattr(obj, "__tablename__", None) in WATCHED_TABLES for obj in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if _touches_watched((*session.new, *session.dirty, *session.deleted)):
        session.info["accounts_written"] = True
        _bump()


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and any(
        getattr(mapper.local_table, "name", None) in WATCHED_TABLES for mapper in state.all_mappers
    ):
        state.session.info["accounts_written"] = True
        _bump()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Again at commit: a lookup between the write and its commit may have kept the old answer.
    if session.info.pop("accounts_written", False):
        _bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("accounts_written", None)


class TokenCache:
    """Raw token (hashed), or a session cookie's user and session id -> what the lookup found (the current user),
    per worker, for at most `ttl` seconds."""

    def __init__(self, ttl: float = 1.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[str, tuple[Any, int, float]] = OrderedDict()

    @staticmethod
    def key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str) -> Any:
        kept = self._items.get(key)
        if kept is None:
            return None
        value, seen_generation, until = kept
        if seen_generation != _generation or time.monotonic() >= until:
            self._items.pop(key, None)
            return None
        return value

    def put(self, key: str, value: Any, seen_generation: int) -> None:
        """`seen_generation`: generation() read before the lookup, so a write during it is not kept."""
        if seen_generation != _generation:
            return
        self._items[key] = (value, seen_generation, time.monotonic() + self.ttl)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
