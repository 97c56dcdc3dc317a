"""Live check-in figures: every scan publishes a note on the edition's channel; organizer pages listen over
server-sent events and redraw the figures at most twice a second (a queue of 500 scans a minute does not
become 500 redraws). Channels run in memory, or on Redis when ASCC_REDIS_URL is set (several workers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.response.sse import ServerSentEventMessage
from redis.exceptions import RedisError

log = logging.getLogger("ascc.badges")
REDRAW_EVERY = 0.5  # seconds
KEEPALIVE = 15.0  # seconds: a comment line so proxies keep the stream open
_REDIS_DOWN = (RedisError, OSError)


class SerialRedisBackend(RedisChannelsPubSubBackend):
    """Subscriptions one at a time. redis-py's PubSub opens its connection on the first SUBSCRIBE; two first
    SUBSCRIBEs at once (say, the first English and the first Japanese viewer of a worker) open two, and the
    channels of the one that is replaced are never read again: those viewers would get nothing.

    It also outlives a Redis outage. Litestar's channel tasks end at the first Redis error, and live pages
    would stay silent until the worker restarts; here a publish that Redis refuses is dropped (what changed is
    in the database: pages catch up at the next change), a subscription is remembered, and reading retries
    every second; redis-py subscribes to the remembered channels again once it reconnects."""

    RETRY_SECONDS = 1.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._serial = asyncio.Lock()
        self._redis_away = False

    def _away(self, what: str, exc: Exception) -> None:
        if not self._redis_away:
            log.warning("Redis is away (%s: %s): live updates pause until it returns", what, exc)
        self._redis_away = True

    async def subscribe(self, channels: Any) -> None:
        async with self._serial:
            try:
                await super().subscribe(channels)
            except _REDIS_DOWN as exc:
                self._away("subscribe", exc)
                # SUBSCRIBE again after the reconnection, like the channels subscribed before the outage.
                self._pub_sub.channels.update({name.encode(): None for name in channels})
                self._has_subscribed.set()

    async def unsubscribe(self, channels: Any) -> None:
        async with self._serial:
            try:
                await super().unsubscribe(channels)
            except _REDIS_DOWN as exc:
                self._away("unsubscribe", exc)
                for name in channels:
                    self._pub_sub.channels.pop(name.encode(), None)

    async def publish(self, data: bytes, channels: Any) -> None:
        try:
            await super().publish(data, channels)
        except _REDIS_DOWN as exc:
            self._away("publish", exc)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            try:
                async for event in super().stream_events():
                    if self._redis_away:
                        log.warning("Redis is back: live updates go on")
                        self._redis_away = False
                    yield event
            except _REDIS_DOWN as exc:
                self._away("listen", exc)
                await asyncio.sleep(self.RETRY_SECONDS)


def channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    if redis_url:
        from redis.asyncio import Redis

        # A connect timeout, so that a Redis host that vanished costs seconds, not the OS's minutes; publishing
        # happens in the plugin's own task, never in a request.
        client = Redis.from_url(redis_url, socket_connect_timeout=5)
        backend: Any = SerialRedisBackend(redis=client)
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
