"""The Redis channels backend on a real Redis: viewers whose first subscriptions arrive at the same moment
(one reads English, one Japanese) all get what is published afterwards."""

from __future__ import annotations

import asyncio
import uuid

from ascc.badges.live import SerialRedisBackend
from tests.accounts.test_rate_limit_redis import _redis_reachable
from tests.support import needs


async def test_first_subscriptions_at_the_same_moment_all_receive() -> None:
    needs.service(_redis_reachable(), "Redis is not reachable at 127.0.0.1:6379")
    from redis.asyncio import Redis

    backend = SerialRedisBackend(redis=Redis.from_url("redis://127.0.0.1:6379/14"))
    names = [f"test:{uuid.uuid4().hex}:{lang}" for lang in ("en", "ja", "th", "vi")]
    await asyncio.gather(*(backend.subscribe([name]) for name in names))
    received: set[str] = set()

    async def listen() -> None:
        async for channel, _ in backend.stream_events():
            received.add(channel)
            if received == set(names):
                return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.05)
    for name in names:
        await backend.publish(b"hello", [name])
    await asyncio.wait_for(listener, 5)
    assert received == set(names)
    await backend.on_shutdown()
