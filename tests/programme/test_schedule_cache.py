"""The published programme's per-worker cache under a rush: while one request reloads it, the others answer
with the copy of a moment ago instead of queuing behind the reload (each of them holding a database
connection the reload may need: under load that stalled a worker for the pool's 30 s timeout)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from ascc.programme.services import ScheduleCache


class SlowLoads(ScheduleCache):
    """A cache whose second and later loads wait until the test lets them finish."""

    def __init__(self) -> None:
        @asynccontextmanager
        async def no_session():
            yield None

        super().__init__(no_session, ttl=0.05)
        self.loads = 0
        self.release = asyncio.Event()

    async def _load(self, session):
        self.loads += 1
        if self.loads > 1:
            await self.release.wait()
        return f"programme {self.loads}"


async def test_while_one_request_reloads_the_others_get_the_copy_of_a_moment_ago() -> None:
    cache = SlowLoads()
    first = await cache.current()
    await asyncio.sleep(0.06)  # the copy is due for its re-check
    reloading = asyncio.create_task(cache.current())
    await asyncio.sleep(0.01)  # the reload holds the lock, waiting on its database
    during = await asyncio.wait_for(asyncio.gather(*(cache.current() for _ in range(20))), timeout=1.0)
    cache.release.set()
    assert (first, set(during), await reloading) == ("programme 1", {"programme 1"}, "programme 2")


async def test_after_a_release_is_published_requests_wait_for_the_new_programme() -> None:
    cache = SlowLoads()
    await cache.current()
    cache.invalidate()  # a new release: the old copy must not be shown any more
    reloading = asyncio.create_task(cache.current())
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(cache.current())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    cache.release.set()
    assert (await reloading, await waiting) == ("programme 2", "programme 2")
