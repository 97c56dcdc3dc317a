"""With ASCC_REDIS_URL, workers share one sign-in rate limit (a real Redis server)."""

from __future__ import annotations

import socket
import uuid

from litestar.testing import AsyncTestClient

from ascc.app import create_app
from tests.support import needs
from tests.support.web import post_form

REDIS = ("127.0.0.1", 6379)
TEST_REDIS = "redis://127.0.0.1:6379/15"


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


async def test_two_workers_share_the_sign_in_limit_through_redis(make_settings) -> None:
    needs.service(_redis_reachable(), "Redis is not reachable at 127.0.0.1:6379")
    import redis.asyncio as redis

    await redis.from_url(TEST_REDIS).flushdb()  # database 15 is the tests' own
    settings = make_settings(redis_url=TEST_REDIS, auth_rate_limit_per_minute=4)
    attempt = {"email": f"{uuid.uuid4().hex}@example.org", "password": "wrong-password"}
    async with (
        AsyncTestClient(app=create_app(settings)) as worker_a,
        AsyncTestClient(app=create_app(settings)) as worker_b,
    ):
        codes = []
        for index in range(6):
            client = worker_a if index % 2 == 0 else worker_b
            codes.append((await post_form(client, "/login", attempt)).status_code)
    assert codes == [401, 401, 401, 401, 429, 429]
