"""An open event stream asks from time to time whether its person may still take part, and ends when not
(a registration cancelled while the page is open)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from ascc.online import live


async def test_an_open_stream_ends_when_its_person_may_no_longer_take_part() -> None:
    allowed = True

    async def still_allowed() -> bool:
        return allowed

    plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    async with plugin:  # the plugin runs in this test's own event loop
        app = SimpleNamespace(plugins=SimpleNamespace(get=lambda _: plugin))
        stream = live.events(app, ["live:test:en"], still_allowed, recheck=0.1)
        assert await anext(stream) == b"retry: 3000\n: connected\n\n"
        await plugin.wait_published(b"event: question\ndata: one\n\n", channels=["live:test:en"])
        frames = []
        async with asyncio.timeout(5):
            while b"event: question\ndata: one\n\n" not in frames:  # checks may come before the message
                frames.append(await anext(stream))
        allowed = False
        async with asyncio.timeout(5):
            rest = [frame async for frame in stream]  # keep-alives until the next check, then the end
        assert set(rest) <= {b": keep-alive\n\n"}
