"""Recording organizers' and exhibitors' changes, and reading them back.

Every domain calls `record(...)` in the same transaction as the change itself: a change that rolls back
leaves no entry, and an entry never describes a change that did not happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import actions as known
from ascc.audit.filters import Filters
from ascc.audit.models import AuditEntry
from ascc.text import like_pattern

# Never written into the log, whatever a caller passes.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash", "id_number", "secret"})


class Actor(Protocol):
    """The signed-in person (security.CurrentUser satisfies it); None means the system itself."""

    id: int
    role: str

    @property
    def display_name(self) -> str: ...


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field's value, as a person would read it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Keep only the fields whose value changed (all of them for a creation or a deletion), secrets dropped."""
    before = {k: _plain(v) for k, v in (before or {}).items() if k not in SECRET_FIELDS}
    after = {k: _plain(v) for k, v in (after or {}).items() if k not in SECRET_FIELDS}
    if not before or not after:
        return before or None, after or None
    names = dict.fromkeys([*before, *after])  # in the order the caller listed the fields
    changed = [key for key in names if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


def snapshot(obj: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named fields of a model object, to pass as `before` or `after`."""
    return {name: _plain(getattr(obj, name, None)) for name in fields}


async def record(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: int | None,
    label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    edition_id: int | None = None,
) -> AuditEntry | None:
    """Add one entry to the session (the caller commits with its change). An update that changed nothing is
    not recorded."""
    old, new = changes(before, after)
    if before is not None and after is not None and not old and not new:
        return None
    entry = AuditEntry(
        edition_id=edition_id,
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name[:300] if actor else "system",
        actor_role=actor.role if actor else "system",
        action=action[:60],
        target_type=target_type[:40],
        target_id=target_id,
        target_label=(label or "")[:300],
        before=old,
        after=new,
    )
    session.add(entry)
    return entry


# --- reading the log back ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """What the filters may name: the listed actions and target types and whatever the log already holds."""

    actions: set[str]
    domains: set[str]
    target_types: set[str]


async def vocabulary(session: AsyncSession) -> Vocabulary:
    stored = set((await session.scalars(select(AuditEntry.action).distinct())).all())
    types = set((await session.scalars(select(AuditEntry.target_type).distinct())).all())
    acts = set(known.ACTIONS) | stored
    return Vocabulary(acts, {known.domain_of(a) for a in acts}, set(known.TARGET_TYPES) | types)


async def actors(session: AsyncSession) -> list[tuple[int, str, str]]:
    """(id, name, role) of everyone who appears in the log, by name: the "person" filter's choices."""
    rows = await session.execute(
        select(AuditEntry.actor_id, func.max(AuditEntry.actor_name), func.max(AuditEntry.actor_role))
        .where(AuditEntry.actor_id.is_not(None))
        .group_by(AuditEntry.actor_id)
    )
    return sorted(((r[0], r[1], r[2]) for r in rows.all()), key=lambda r: (r[1].casefold(), r[0]))


def _filtered(filters: Filters, tz: Any) -> Select:
    statement = select(AuditEntry)
    if filters.actor is not None:
        statement = statement.where(AuditEntry.actor_id == filters.actor)
    if filters.action:
        statement = statement.where(AuditEntry.action == filters.action)
    elif filters.domain:
        statement = statement.where(AuditEntry.action.like(f"{filters.domain}.%"))
    if filters.target_type:
        statement = statement.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        statement = statement.where(AuditEntry.target_id == filters.target_id)
    start, end = filters.window(tz)
    if start is not None:
        statement = statement.where(AuditEntry.created_at >= start)
    if end is not None:
        statement = statement.where(AuditEntry.created_at < end)
    if filters.q:
        statement = statement.where(AuditEntry.target_label.ilike(like_pattern(filters.q), escape="\\"))
    return statement


async def search(
    session: AsyncSession, filters: Filters, tz: Any, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    """The entries that match, newest first, and how many match in all."""
    statement = _filtered(filters, tz)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = await session.scalars(
        statement.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.all()), total


async def all_matching(
    session: AsyncSession, filters: Filters, tz: Any, limit: int = 100_000
) -> list[AuditEntry]:
    rows = await session.scalars(
        _filtered(filters, tz).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    )
    return list(rows.all())


async def forget_actor(session: AsyncSession, user_id: int, name: str) -> None:
    """The person is being anonymized: the entries they made name them as their account now reads."""
    await session.execute(
        update(AuditEntry).where(AuditEntry.actor_id == user_id).values(actor_name=name[:300])
    )
