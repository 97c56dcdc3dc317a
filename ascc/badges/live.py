"""Live check-in figures: every scan publishes a note on the edition's channel; organizer pages listen over
server-sent events and redraw the figures at most twice a second (a queue of 500 scans a minute does not
become 500 redraws). Channels run in memory, or on Redis when ASCC_REDIS_URL is set (several workers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.response.sse import ServerSentEventMessage

log = logging.getLogger("ascc.badges")
REDRAW_EVERY = 0.5  # seconds
KEEPALIVE = 15.0  # seconds: a comment line so proxies keep the stream open


class SerialRedisBackend(RedisChannelsPubSubBackend):
    """Subscriptions one at a time. redis-py's PubSub opens its connection on the first SUBSCRIBE; two first
    SUBSCRIBEs at once (say, the first English and the first Japanese viewer of a worker) open two, and the
    channels of the one that is replaced are never read again: those viewers would get nothing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._serial = asyncio.Lock()

    async def subscribe(self, channels: Any) -> None:
        async with self._serial:
            await super().subscribe(channels)

    async def unsubscribe(self, channels: Any) -> None:
        async with self._serial:
            await super().unsubscribe(channels)


def channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    if redis_url:
        from redis.asyncio import Redis

        backend: Any = SerialRedisBackend(redis=Redis.from_url(redis_url))
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


def channel(edition_id: int) -> str:
    return f"checkin:{edition_id}"


async def publish(request: Request, edition_id: int) -> None:
    """Tell listeners that figures changed; a check-in never fails because the live view is down."""
    try:
        request.app.plugins.get(ChannelsPlugin).publish("changed", channels=[channel(edition_id)])
    except Exception:  # Redis away: the scan is stored; pages catch up at the next change
        log.warning("could not publish a check-in to the live figures", exc_info=True)


async def figures_stream(
    request: Request, edition_id: int, draw: Callable[[], Awaitable[str]]
) -> AsyncIterator[str | ServerSentEventMessage]:
    """The figures now, then again after each change (coalesced), with keep-alive comments between."""
    plugin = request.app.plugins.get(ChannelsPlugin)
    changed = asyncio.Event()
    yield await draw()
    async with plugin.start_subscription([channel(edition_id)]) as subscriber:

        async def listen() -> None:
            async for _ in subscriber.iter_events():
                changed.set()

        listener = asyncio.create_task(listen())
        try:
            while True:
                try:
                    await asyncio.wait_for(changed.wait(), timeout=KEEPALIVE)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive")  # a comment line: no event to swap
                    continue
                await asyncio.sleep(REDRAW_EVERY)
                changed.clear()
                yield await draw()
        finally:
            listener.cancel()
