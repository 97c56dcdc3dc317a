"""Redis down: pages, sign-in and rate limits keep working on each worker's memory, and Redis is used again
once it is back (issue #12's fault "Redis down")."""

from __future__ import annotations

import time

from litestar.stores.redis import RedisStore
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from ascc import stores
from ascc.app import create_app
from tests.factories import make_user
from tests.support.web import sign_in

LIVE = "redis://127.0.0.1:6379/13"
GONE = "redis://127.0.0.1:1/13"  # nothing listens there


async def test_store_falls_back_to_memory_and_returns_to_redis(monkeypatch) -> None:
    store = stores.stores(GONE)["cache"]
    await store.set("k", "while away", expires_in=60)
    assert await store.get("k") == b"while away"  # memory answered; no error reached the caller
    live = RedisStore(redis=Redis.from_url(LIVE), namespace="ascc-test").with_namespace("cache")
    store.redis = live  # Redis is back at the same address
    monkeypatch.setattr(stores, "RETRY_SECONDS", 0.0)
    store._redis_again_at = time.monotonic()
    await store.set("k", "in redis", expires_in=60)
    assert await live.get("k") == b"in redis"
    await live.delete("k")


async def test_sign_in_works_while_redis_is_down(make_settings, settings) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from ascc.db import create_engine

    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await make_user(session, "lan@example.org", name="Nguyễn Thị Lan")
    await engine.dispose()
    down = make_settings(redis_url=GONE)
    async with AsyncTestClient(app=create_app(down), base_url="http://testserver.local") as client:
        assert (await client.get("/")).status_code == 200
        await sign_in(client, "lan@example.org", "correct horse battery")
        assert (
            "Nguyễn Thị Lan" in (await client.get("/account")).text
        )  # signed in: the rate limit let it through
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["redis"]["ok"] is False
