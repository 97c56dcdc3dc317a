"""Live delivery of questions, polls and announcements over server-sent events.

A change is rendered once per language into an SSE frame and published on a channel (Litestar channels:
in memory, or on Redis with ASCC_REDIS_URL so that every worker's subscribers get it). Subscribers get the
frames as they are, so a thousand viewers cost a thousand writes of the same bytes, not a thousand
renderings. Attendee channels carry only what everyone may see (approved questions, results); moderators
have their own channel with the pending and hidden ones. Vote counts and poll results are coalesced:
a storm of votes becomes a few updates a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from litestar.channels import ChannelsPlugin

from ascc.i18n import LANGUAGES

log = logging.getLogger("ascc.online")
KEEPALIVE = 15.0  # seconds: a comment line so proxies keep the stream open
RECHECK = 60.0  # seconds: how often an open stream asks whether its person may still take part
COALESCE = 0.25  # seconds: vote counts and poll results go out at most this often per item


def attendee_channel(session_id: int, lang: str) -> str:
    return f"live:{session_id}:{lang}"


def moderator_channel(session_id: int, lang: str) -> str:
    return f"live:{session_id}:moderators:{lang}"


def announcement_channel(edition_id: int, lang: str) -> str:
    return f"announce:{edition_id}:{lang}"


def frame(event: str, html: str) -> bytes:
    """One SSE event; every line of the data gets its own "data:" field."""
    data = "".join(f"data: {line}\n" for line in (html.splitlines() or [""]))
    return f"event: {event}\n{data}\n".encode()


def fragment(app: Any, template: str, lang: str, **context: Any) -> str:
    """A template rendered for everyone who reads `lang` (no person's data, no CSRF token)."""
    reader = SimpleNamespace(state=SimpleNamespace(lang=lang), scope={}, cookies={}, headers={})
    return app.template_engine.engine.get_template(template).render(request=reader, **context)


def per_language(app: Any, event: str, template: str, channel: Callable[[str], str], **context: Any) -> dict:
    return {channel(lang): frame(event, fragment(app, template, lang, **context)) for lang in LANGUAGES}


async def publish(app: Any, frames: dict[str, bytes]) -> None:
    """Send each frame to its channel; the change is stored already, so a Redis hiccup only costs liveness."""
    plugin = app.plugins.get(ChannelsPlugin)
    for channel, data in frames.items():
        try:
            plugin.publish(data, channels=[channel])
        except Exception:
            log.warning("could not publish a live update on %s", channel, exc_info=True)


async def events(
    app: Any,
    channels: list[str],
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
    recheck: float = RECHECK,
) -> AsyncIterator[bytes]:
    """The byte stream of one subscriber: a retry hint, then every frame published on its channels, with a
    keep-alive comment after 15 quiet seconds. Ends when the client goes (the response stops iterating),
    or when `still_allowed` says no at one of its checks (a cancelled registration)."""
    plugin = app.plugins.get(ChannelsPlugin)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    async with plugin.start_subscription(channels) as subscriber:

        async def listen() -> None:
            async for data in subscriber.iter_events():
                queue.put_nowait(data)

        listener = asyncio.create_task(listen())
        loop = asyncio.get_running_loop()
        next_check = loop.time() + recheck
        try:
            yield b"retry: 3000\n: connected\n\n"
            while True:
                try:
                    wait = min(KEEPALIVE, max(next_check - loop.time(), 0)) if still_allowed else KEEPALIVE
                    data = await asyncio.wait_for(queue.get(), timeout=wait)
                except TimeoutError:
                    data = b": keep-alive\n\n"
                if still_allowed is not None and loop.time() >= next_check:
                    if not await still_allowed():
                        return
                    next_check = loop.time() + recheck
                yield data
        finally:
            listener.cancel()


class Coalescer:
    """Runs a job at most once per `delay` for a key; changes during the wait ride along with it."""

    def __init__(self, delay: float = COALESCE) -> None:
        self.delay = delay
        self._pending: set[Any] = set()
        self._tasks: set[asyncio.Task] = set()

    def schedule(self, key: Any, job: Callable[[], Awaitable[None]]) -> None:
        if key in self._pending:
            return
        self._pending.add(key)

        async def run() -> None:
            try:
                await asyncio.sleep(self.delay)
            finally:
                self._pending.discard(key)  # a change from now on schedules the next run
            try:
                await job()
            except Exception:
                log.exception("a live update failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
