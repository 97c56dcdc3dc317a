"""An open event stream asks from time to time whether its person may still take part, and ends when not
(a registration cancelled while the page is open)."""

from __future__ import annotations

import asyncio

from litestar.channels import ChannelsPlugin

from ascc.online import live


async def test_an_open_stream_ends_when_its_person_may_no_longer_take_part(client) -> None:
    allowed = True

    async def still_allowed() -> bool:
        return allowed

    stream = live.events(client.app, ["live:test:en"], still_allowed, recheck=0.1)
    assert await anext(stream) == b"retry: 3000\n: connected\n\n"
    client.app.plugins.get(ChannelsPlugin).publish(
        b"event: question\ndata: one\n\n", channels=["live:test:en"]
    )
    frame = b": keep-alive\n\n"
    while frame == b": keep-alive\n\n":  # checks may come before the message
        frame = await asyncio.wait_for(anext(stream), 2)
    assert frame == b"event: question\ndata: one\n\n"  # still allowed: the stream goes on
    allowed = False
    ended = False
    try:
        while True:  # keep-alive lines until the next check, then the end
            await asyncio.wait_for(anext(stream), 2)
    except StopAsyncIteration:
        ended = True
    assert ended
