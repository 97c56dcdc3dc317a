"""Capacity with a first-come, first-served waiting list, safe under concurrency on SQLite and PostgreSQL.

Every change starts with an UPDATE of the pool row. On PostgreSQL that takes the row lock, so a
second transaction waits and then reads the committed counts (READ COMMITTED); on SQLite the UPDATE
takes the database write lock before anything is read (SQLite's driver begins the transaction at the
first write), so concurrent claims queue up behind each other instead of counting stale numbers. A SQLite
transaction that is already the writer (it locked a person first) has nothing left to lock: it reads the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import locks
from ascc.capacity.models import CapacityEntry, CapacityPool
from ascc.errors import NotFound


def person(user_id: int) -> str:
    """The holder key of a person holding a seat themselves (session sign-ups, tour bookings)."""
    return f"user:{user_id}"


def person_of(holder: str) -> int:
    return int(holder.split(":", 1)[1])


@dataclass(frozen=True)
class Claim:
    status: str  # confirmed | waiting
    position: int | None  # place on the waiting list, 1 = next to be promoted


@dataclass(frozen=True)
class PoolCounts:
    limit: int | None
    confirmed: int
    waiting: int

    @property
    def free(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.confirmed, 0)


async def ensure_pool(session: AsyncSession, key: str, limit: int | None) -> CapacityPool:
    pool = await session.scalar(select(CapacityPool).where(CapacityPool.key == key))
    if pool is None:
        try:
            async with session.begin_nested():  # two first bookings at once: one creates, the other finds it
                pool = CapacityPool(key=key, limit=limit, confirmed=0, next_sequence=1, version=0)
                session.add(pool)
        except IntegrityError:
            pool = await session.scalar(select(CapacityPool).where(CapacityPool.key == key))
            assert pool is not None
    return pool


async def ensure_pools(session: AsyncSession, limits: dict[str, int | None]) -> None:
    """Several pools (key -> limit for a new one) made sure of with one query when they all exist."""
    found = set(await session.scalars(select(CapacityPool.key).where(CapacityPool.key.in_(limits))))
    for key, limit in limits.items():
        if key not in found:
            await ensure_pool(session, key, limit)


async def lock_pools(session: AsyncSession, keys: list[str]) -> None:
    """Lock several pools at once, in id order (the one order every transaction takes them in), before a
    change whose promotions may reach any of them (a tour's courses)."""
    ids = await session.scalars(select(CapacityPool.id).where(CapacityPool.key.in_(keys)))
    await locks.lock_rows(session, CapacityPool.__tablename__, ids.all())


_LOCK_POOL = (
    update(CapacityPool)
    .where(CapacityPool.key == bindparam("pool_key"))
    .values(version=CapacityPool.version + 1)
    .returning(CapacityPool)
    .execution_options(populate_existing=True, synchronize_session=False)
)
_READ_POOL = (
    select(CapacityPool)
    .where(CapacityPool.key == bindparam("pool_key"))
    .execution_options(populate_existing=True)
)


async def _sqlite_writer(session: AsyncSession) -> bool:
    """SQLite, and this transaction already holds the database's one write lock (it has written or began
    IMMEDIATE: the SQLite driver opens a transaction only for a write)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    raw = await (await session.connection()).get_raw_connection()
    return bool(raw.driver_connection is not None and raw.driver_connection.in_transaction)


async def lock_pool(session: AsyncSession, key: str) -> CapacityPool:
    """Take the pool's lock for the rest of the transaction and return it with fresh counts (one statement:
    the UPDATE that locks returns the row). On SQLite a transaction that is already the writer holds every
    row's lock: a plain read (on the event loop's thread, ascc/sqlite_inline.py) returns the same counts
    without a write's round trip through the driver's thread while all other writers wait."""
    statement = _READ_POOL if await _sqlite_writer(session) else _LOCK_POOL
    pool = await session.scalar(statement, {"pool_key": key})
    if pool is None:
        raise NotFound("capacity")
    return pool


async def _entry(session: AsyncSession, pool: CapacityPool, holder: str) -> CapacityEntry | None:
    return await session.scalar(
        select(CapacityEntry)
        .where(CapacityEntry.pool_id == pool.id, CapacityEntry.holder == holder)
        .execution_options(populate_existing=True)
    )


async def _waiting_count(session: AsyncSession, pool: CapacityPool) -> int:
    return (
        await session.scalar(
            select(func.count()).where(CapacityEntry.pool_id == pool.id, CapacityEntry.status == "waiting")
        )
        or 0
    )


async def _position(session: AsyncSession, pool: CapacityPool, entry: CapacityEntry) -> int:
    ahead = await session.scalar(
        select(func.count()).where(
            CapacityEntry.pool_id == pool.id,
            CapacityEntry.status == "waiting",
            CapacityEntry.sequence < entry.sequence,
        )
    )
    return (ahead or 0) + 1


async def admit(session: AsyncSession, pool: CapacityPool, *, queue_only: bool = False) -> str:
    """What a holder new to this pool (locked by the caller) would get now: confirmed or waiting. Reads only."""
    has_room = pool.limit is None or pool.confirmed < pool.limit
    # Nobody jumps the queue: while people wait, a newcomer waits too.
    if not queue_only and has_room and await _waiting_count(session, pool) == 0:
        return "confirmed"
    return "waiting"


async def claim(
    session: AsyncSession,
    key: str,
    holder: str,
    *,
    queue_only: bool = False,
    locked: CapacityPool | None = None,
    admitted: str | None = None,
) -> Claim:
    """A seat if one is free and nobody waits, else a place on the waiting list. Idempotent per holder.

    `queue_only`: a waiting place even if a seat is free (a ballot's left-out people queue for later seats).
    `locked`: the pool as lock_pool returned it earlier in this transaction (its lock and counts hold).
    `admitted`: what `admit` answered for this holder, new to the pool, with `locked` held since (its row
    can then be written with its status at once): no lookup of an earlier entry, no second count.
    """
    pool = locked if locked is not None and locked.key == key else await lock_pool(session, key)
    entry = None
    status = admitted if pool is locked else None
    if status is None:
        entry = await _entry(session, pool, holder)
        if entry is not None and entry.status != "released":
            position = await _position(session, pool, entry) if entry.status == "waiting" else None
            return Claim(entry.status, position)
        status = await admit(session, pool, queue_only=queue_only)
    sequence = pool.next_sequence
    pool.next_sequence += 1
    if status == "confirmed":
        pool.confirmed += 1
    if entry is None:
        entry = CapacityEntry(pool_id=pool.id, holder=holder, status=status, sequence=sequence)
        session.add(entry)
    else:
        entry.status, entry.sequence = status, sequence
    await session.flush()
    return Claim(status, await _position(session, pool, entry) if status == "waiting" else None)


async def _promote(session: AsyncSession, pool: CapacityPool) -> list[str]:
    promoted: list[str] = []
    while pool.limit is None or pool.confirmed < pool.limit:
        next_in_line = await session.scalar(
            select(CapacityEntry)
            .where(CapacityEntry.pool_id == pool.id, CapacityEntry.status == "waiting")
            .order_by(CapacityEntry.sequence)
            .limit(1)
        )
        if next_in_line is None:
            break
        next_in_line.status = "confirmed"
        pool.confirmed += 1
        promoted.append(next_in_line.holder)
        await session.flush()
    return promoted


async def release(session: AsyncSession, key: str, holder: str) -> list[str]:
    """Give up a seat or a place in the queue; returns the holders promoted into freed seats, in order."""
    pool = await lock_pool(session, key)
    entry = await _entry(session, pool, holder)
    if entry is None or entry.status == "released":
        return []
    was_confirmed = entry.status == "confirmed"
    entry.status = "released"
    if was_confirmed:
        pool.confirmed -= 1
    await session.flush()
    return await _promote(session, pool) if was_confirmed else []


async def set_limit(session: AsyncSession, key: str, limit: int | None) -> list[str]:
    """Change the limit; a larger one promotes waiting holders at once. A smaller one moves nobody out."""
    pool = await lock_pool(session, key)
    pool.limit = limit
    await session.flush()
    return await _promote(session, pool)


async def holder_status(session: AsyncSession, key: str, holder: str) -> Claim | None:
    row = (
        await session.execute(
            select(CapacityEntry.status, CapacityEntry.sequence, CapacityEntry.pool_id)
            .join(CapacityPool, CapacityPool.id == CapacityEntry.pool_id)
            .where(CapacityPool.key == key, CapacityEntry.holder == holder)
        )
    ).first()
    if row is None or row.status == "released":
        return None
    if row.status != "waiting":
        return Claim(row.status, None)
    ahead = await session.scalar(
        select(func.count()).where(
            CapacityEntry.pool_id == row.pool_id,
            CapacityEntry.status == "waiting",
            CapacityEntry.sequence < row.sequence,
        )
    )
    return Claim(row.status, (ahead or 0) + 1)


async def counts(session: AsyncSession, key: str) -> PoolCounts:
    pool = await session.scalar(select(CapacityPool).where(CapacityPool.key == key))
    if pool is None:
        return PoolCounts(limit=None, confirmed=0, waiting=0)
    return PoolCounts(limit=pool.limit, confirmed=pool.confirmed, waiting=await _waiting_count(session, pool))


async def waiting_holders(session: AsyncSession, key: str) -> list[str]:
    pool = await session.scalar(select(CapacityPool).where(CapacityPool.key == key))
    if pool is None:
        return []
    rows = await session.scalars(
        select(CapacityEntry.holder)
        .where(CapacityEntry.pool_id == pool.id, CapacityEntry.status == "waiting")
        .order_by(CapacityEntry.sequence)
    )
    return list(rows.all())


async def holder_count(session: AsyncSession, key: str) -> int:
    """People holding a seat or waiting (0 when the pool does not exist yet)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(CapacityEntry)
            .join(CapacityPool, CapacityPool.id == CapacityEntry.pool_id)
            .where(CapacityPool.key == key, CapacityEntry.status != "released")
        )
        or 0
    )


async def statuses_of(session: AsyncSession, keys: list[str], holder: str) -> dict[str, str]:
    """One holder's status (confirmed | waiting) in many pools, in one query."""
    if not keys:
        return {}
    rows = await session.execute(
        select(CapacityPool.key, CapacityEntry.status)
        .join(CapacityEntry, CapacityEntry.pool_id == CapacityPool.id)
        .where(CapacityPool.key.in_(keys), CapacityEntry.holder == holder, CapacityEntry.status != "released")
    )
    return dict(rows.tuples().all())


async def confirmed_counts(session: AsyncSession, keys: list[str]) -> dict[str, int]:
    """Seats taken per pool, for many pools in one query."""
    rows = await session.execute(
        select(CapacityPool.key, CapacityPool.confirmed).where(CapacityPool.key.in_(keys))
    )
    return dict(rows.tuples().all())


async def waiting_in(session: AsyncSession, keys: list[str]) -> dict[str, set[str]]:
    """Who is on the waiting list of each of these pools (no seat yet), in one query."""
    if not keys:
        return {}
    rows = await session.execute(
        select(CapacityPool.key, CapacityEntry.holder)
        .join(CapacityEntry, CapacityEntry.pool_id == CapacityPool.id)
        .where(CapacityPool.key.in_(keys), CapacityEntry.status == "waiting")
    )
    result: dict[str, set[str]] = {}
    for key, holder in rows.tuples():
        result.setdefault(key, set()).add(holder)
    return result


async def confirmed_holders(session: AsyncSession, keys: list[str]) -> dict[str, list[str]]:
    """Who holds a seat in each of these pools (not the waiting list), in one query."""
    if not keys:
        return {}
    rows = await session.execute(
        select(CapacityPool.key, CapacityEntry.holder)
        .join(CapacityEntry, CapacityEntry.pool_id == CapacityPool.id)
        .where(CapacityPool.key.in_(keys), CapacityEntry.status == "confirmed")
        .order_by(CapacityEntry.sequence)
    )
    result: dict[str, list[str]] = {}
    for key, holder in rows.tuples():
        result.setdefault(key, []).append(holder)
    return result
