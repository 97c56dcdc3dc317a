"""Test worlds built once per test process, then copied into each test's fresh database.

Building a world (an edition, its people, the marketplace, a matching session ...) through the services costs
about a second of CPU per test, and several hundred tests start from one of a dozen worlds. The first test that
asks for a world builds it for real; its rows are read back and kept in memory. A later test asking for the same
world (same builder and arguments, same kind of database, same ASCC_* environment) into an empty database gets
those rows inserted instead: a few milliseconds. The namespace the builder returned is rebuilt with its ORM
objects loaded again in the test's own session, so a test cannot tell the two apart, except by the time.

A builder is only replayed into an empty database; called inside another snapshotted builder, or with arguments
that are not plain values, it simply runs.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Table, insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ascc import db

T = TypeVar("T")

_building: contextvars.ContextVar[bool] = contextvars.ContextVar("building", default=False)


@dataclass(frozen=True)
class _Ref:
    """An ORM object of the built namespace, by class, primary key and the relationships it had loaded."""

    cls: type
    identity: tuple[Any, ...]
    loaded: tuple[str, ...]


@dataclass
class _Snapshot:
    rows: list[tuple[Table, list[dict[str, Any]]]]
    sequences: list[tuple[str, int]]  # PostgreSQL: name, last value
    shape: Any


_kept: dict[tuple[Any, ...], _Snapshot] = {}
_PLAIN = (str, int, float, bool, type(None))
# To compare with building every world for real: ASCC_TEST_BUILD_WORLDS=1.
_DISABLED = os.environ.get("ASCC_TEST_BUILD_WORLDS") == "1"


def snapshotted(builder: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(builder)
    async def build(session: AsyncSession, *args: Any, **kwargs: Any) -> T:
        values = list(args) + list(kwargs.values())
        if _building.get() or _DISABLED or not all(isinstance(v, _PLAIN) for v in values):
            return await builder(session, *args, **kwargs)
        dialect = session.get_bind().dialect.name
        key = (
            builder.__module__,
            builder.__qualname__,
            repr(args),
            repr(sorted(kwargs.items())),
            dialect,
            _env(),
        )
        if not await _is_empty(session):
            return await builder(session, *args, **kwargs)
        kept = _kept.get(key)
        if kept is not None:
            await _restore(session, kept, dialect)
            return await _rehydrate(session, kept.shape)  # type: ignore[no-any-return]
        token = _building.set(True)
        try:
            result = await builder(session, *args, **kwargs)
        finally:
            _building.reset(token)
        await session.commit()
        _kept[key] = await _capture(session, result, dialect)
        return result

    return build


def _env() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("ASCC_")))


async def _is_empty(session: AsyncSession) -> bool:
    for table in ("edition", "user_account"):
        if (await session.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))).first() is not None:
            return False
    return True


def _tables() -> list[Table]:
    return list(db.load_models().sorted_tables)


async def _capture(session: AsyncSession, result: Any, dialect: str) -> _Snapshot:
    rows = []
    for table in _tables():
        found = (await session.execute(select(table))).all()
        if found:
            rows.append((table, [{c.key: row._mapping[c] for c in table.columns} for row in found]))
    sequences: list[tuple[str, int]] = []
    if dialect == "postgresql":
        found = await session.execute(
            text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        )
        sequences = [(name, value) for name, value in found if value is not None]
    await session.commit()
    return _Snapshot(rows, sequences, _shape(result))


async def _restore(session: AsyncSession, kept: _Snapshot, dialect: str) -> None:
    if dialect == "postgresql":
        await session.execute(text("SET LOCAL session_replication_role = replica"))  # no FK order to follow
    else:
        await session.execute(text("PRAGMA defer_foreign_keys = ON"))  # checked at commit
    for table, rows in kept.rows:
        await session.execute(insert(table), [dict(row) for row in rows])
    for name, value in kept.sequences:
        await session.execute(
            text("SELECT setval(:name, :value, true)"), {"name": f'"{name}"', "value": value}
        )
    await session.commit()


def _shape(value: Any) -> Any:
    """The namespace with ORM objects replaced by references (and containers copied)."""
    if isinstance(value, SimpleNamespace):
        return SimpleNamespace(**{k: _shape(v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_shape(v) for v in value)
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    state = sa_inspect(value, raiseerr=False)
    if state is not None and getattr(state, "mapper", None) is not None and state.identity is not None:
        relationships = {r.key for r in state.mapper.relationships}
        loaded = tuple(sorted(relationships - set(state.unloaded)))
        return _Ref(type(value), state.identity, loaded)
    return value


async def _rehydrate(session: AsyncSession, value: Any) -> Any:
    if isinstance(value, SimpleNamespace):
        return SimpleNamespace(**{k: await _rehydrate(session, v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [await _rehydrate(session, v) for v in value]
    if isinstance(value, tuple):
        return tuple([await _rehydrate(session, v) for v in value])
    if isinstance(value, dict):
        return {k: await _rehydrate(session, v) for k, v in value.items()}
    if isinstance(value, _Ref):
        mapper = sa_inspect(value.cls)
        statement = select(value.cls).where(
            *(column == part for column, part in zip(mapper.primary_key, value.identity, strict=True))
        )
        statement = statement.options(*(selectinload(getattr(value.cls, key)) for key in value.loaded))
        return (await session.execute(statement)).scalar_one()
    return copy.deepcopy(value)  # a test may change what it was given
