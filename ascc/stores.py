"""Key-value stores for rate limits and caches: Redis when configured, kept working while Redis is away.

Pages must keep working when Redis goes down (issue #12): a store call that cannot reach Redis falls back to
this worker's memory for a few seconds, then tries Redis again. Rate limits then count per worker and caches
are per worker, exactly as with one worker and no Redis, until Redis is back.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("ascc.stores")
RETRY_SECONDS = 5.0  # while Redis is away, how long memory answers before Redis is tried again


class ResilientStore(Store):
    def __init__(self, redis: RedisStore) -> None:
        self.redis = redis
        self.memory = MemoryStore()
        self._redis_again_at = 0.0

    async def _call(self, name: str, *args: Any) -> Any:
        if time.monotonic() >= self._redis_again_at:
            try:
                return await getattr(self.redis, name)(*args)
            except (RedisError, OSError) as exc:
                log.warning(
                    "Redis unreachable (%s): this worker's memory answers for %.0f s", exc, RETRY_SECONDS
                )
                self._redis_again_at = time.monotonic() + RETRY_SECONDS
        return await getattr(self.memory, name)(*args)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self._call("set", key, value, expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._call("get", key, renew_for)

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def delete_all(self) -> None:
        await self._call("delete_all")

    async def exists(self, key: str) -> bool:
        return await self._call("exists", key)

    async def expires_in(self, key: str) -> int | None:
        return await self._call("expires_in", key)


def stores(redis_url: str | None) -> dict[str, Store]:
    """The app's named stores: `rate_limit` and `cache`."""
    if not redis_url:
        return {"rate_limit": MemoryStore(), "cache": MemoryStore()}
    # Short timeouts: a Redis host that vanished must cost a request milliseconds, not the OS's minutes.
    client = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
    root = RedisStore(redis=client, namespace="ascc")
    return {name: ResilientStore(root.with_namespace(name)) for name in ("rate_limit", "cache")}
