"""Seats and the waiting list on SQLite and PostgreSQL: never over the limit, first come first served."""

from __future__ import annotations

import asyncio

from ascc.capacity import services as capacity


async def make_pool(session_maker, key: str = "edition:1:in_person", limit: int | None = 2) -> str:
    async with session_maker() as session:
        await capacity.ensure_pool(session, key, limit)
        await session.commit()
    return key


async def claim(session_maker, key: str, holder: str) -> capacity.Claim:
    async with session_maker() as session:
        result = await capacity.claim(session, key, holder)
        await session.commit()
        return result


async def test_claims_fill_the_seats_then_queue_in_order(session_maker) -> None:
    key = await make_pool(session_maker, limit=2)
    results = [await claim(session_maker, key, f"r:{n}") for n in range(5)]
    assert results == [
        capacity.Claim("confirmed", None),
        capacity.Claim("confirmed", None),
        capacity.Claim("waiting", 1),
        capacity.Claim("waiting", 2),
        capacity.Claim("waiting", 3),
    ]


async def test_claim_twice_returns_the_same_place(session_maker) -> None:
    key = await make_pool(session_maker, limit=1)
    await claim(session_maker, key, "r:1")
    await claim(session_maker, key, "r:2")
    assert await claim(session_maker, key, "r:2") == capacity.Claim("waiting", 1)
    async with session_maker() as session:
        assert await capacity.counts(session, key) == capacity.PoolCounts(limit=1, confirmed=1, waiting=1)


async def test_release_promotes_the_first_in_line(session_maker) -> None:
    key = await make_pool(session_maker, limit=1)
    for n in range(4):
        await claim(session_maker, key, f"r:{n}")
    async with session_maker() as session:
        assert await capacity.release(session, key, "r:0") == ["r:1"]
        await session.commit()
        assert await capacity.holder_status(session, key, "r:2") == capacity.Claim("waiting", 1)
        # Leaving the queue promotes nobody and moves the others up.
        assert await capacity.release(session, key, "r:2") == []
        await session.commit()
        assert await capacity.waiting_holders(session, key) == ["r:3"]


async def test_newcomer_does_not_jump_the_queue_when_a_seat_frees(session_maker) -> None:
    key = await make_pool(session_maker, limit=1)
    await claim(session_maker, key, "a")
    await claim(session_maker, key, "b")
    async with session_maker() as session:
        await capacity.set_limit(session, key, 1)
        await session.commit()
    assert await claim(session_maker, key, "c") == capacity.Claim("waiting", 2)


async def test_raising_the_limit_promotes_waiting_holders(session_maker) -> None:
    key = await make_pool(session_maker, limit=1)
    for n in range(4):
        await claim(session_maker, key, f"r:{n}")
    async with session_maker() as session:
        assert await capacity.set_limit(session, key, 3) == ["r:1", "r:2"]
        await session.commit()
        assert (await capacity.counts(session, key)).free == 0


async def test_released_holder_may_claim_again_at_the_back(session_maker) -> None:
    key = await make_pool(session_maker, limit=1)
    await claim(session_maker, key, "a")
    await claim(session_maker, key, "b")
    async with session_maker() as session:
        await capacity.release(session, key, "a")
        await session.commit()
    assert await claim(session_maker, key, "a") == capacity.Claim("waiting", 1)


async def test_fifty_concurrent_claims_on_ten_seats(session_maker) -> None:
    key = await make_pool(session_maker, limit=10)
    results = await asyncio.gather(*(claim(session_maker, key, f"r:{n}") for n in range(50)))
    assert sum(r.status == "confirmed" for r in results) == 10
    assert sorted(r.position for r in results if r.status == "waiting") == list(range(1, 41))
    async with session_maker() as session:
        assert await capacity.counts(session, key) == capacity.PoolCounts(limit=10, confirmed=10, waiting=40)


async def test_concurrent_releases_promote_each_waiting_holder_once(session_maker) -> None:
    key = await make_pool(session_maker, limit=5)
    for n in range(15):
        await claim(session_maker, key, f"r:{n}")

    async def release(holder: str) -> list[str]:
        async with session_maker() as session:
            promoted = await capacity.release(session, key, holder)
            await session.commit()
            return promoted

    promoted = await asyncio.gather(*(release(f"r:{n}") for n in range(5)))
    assert sorted(h for batch in promoted for h in batch) == sorted(f"r:{n}" for n in range(5, 10))
    async with session_maker() as session:
        assert await capacity.counts(session, key) == capacity.PoolCounts(limit=5, confirmed=5, waiting=5)
