"""Live updates through a Redis outage, on a Redis server of the test's own (stopped and started again on the
same port, so that nothing else on the machine loses its Redis): publishing while Redis is away fails
nobody, and a viewer subscribed before the outage, and one who subscribed during it, both get what is
published once Redis is back, without restarting anything."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from litestar.channels import ChannelsPlugin

from ascc.badges.live import channels_plugin
from tests.support import needs
from tests.support.services import private_redis


@pytest.fixture(autouse=True)
def _redis_server_installed() -> None:
    needs.installed(shutil.which("redis-server") is not None, "redis-server (Debian package redis-server)")


async def received(subscriber, timeout: float = 10.0) -> list[bytes]:
    got = []
    try:
        async with asyncio.timeout(timeout):
            async for event in subscriber.iter_events():
                got.append(event)
                return got
    except TimeoutError:
        return got


async def test_live_updates_resume_after_redis_comes_back(free_port, tmp_path) -> None:
    plugin: ChannelsPlugin = channels_plugin(f"redis://127.0.0.1:{free_port}/0")
    with private_redis(free_port, tmp_path):
        await plugin._on_startup()
        before = await plugin.subscribe(["questions:1"])
        await asyncio.sleep(0.2)
        plugin.publish("first", ["questions:1"])
        first = await received(before)

    # Redis is gone: a question is posted, a viewer opens the page.
    plugin.publish("while away", ["questions:1"])
    during = await plugin.subscribe(["questions:1"])
    await asyncio.sleep(1.5)

    with private_redis(free_port, tmp_path):
        await asyncio.sleep(2.5)  # the listener retries every second and subscribes again
        plugin.publish("after", ["questions:1"])
        after_old, after_new = await asyncio.gather(received(before), received(during))
        await plugin._on_shutdown()

    assert first == [b"first"]
    assert (after_old, after_new) == ([b"after"], [b"after"])
