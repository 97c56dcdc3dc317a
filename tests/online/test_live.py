"""Live delivery across workers: two real servers on one database and one Redis; a question posted to one
reaches the subscribers of the other, moderators first, then everyone once it is approved."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from tests.accounts.test_rate_limit_redis import _redis_reachable
from tests.online.conftest import build_online
from tests.support import needs
from tests.support.live import live_server

REDIS_URL = "redis://127.0.0.1:6379/14"


async def _world(database_url: str):
    engine = create_engine(database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_online(session)
        w.tokens = {}
        for name in ("viewer", "in_room", "moderator"):
            w.tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
    await engine.dispose()
    return w


async def _next_event(stream, lines, name: str, text: str) -> str:
    """Read the SSE stream until an event `name` whose data holds `text`; returns its data."""
    event, data = None, []
    async for line in lines:
        if line.startswith("event: "):
            event, data = line[7:], []
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and event == name and text in "\n".join(data):
            return "\n".join(data)
    raise AssertionError(f"the stream ended without {name} {text!r}")


async def test_a_question_posted_to_one_worker_reaches_subscribers_of_the_other(
    sqlite_url: str, tmp_path: Path
) -> None:
    needs.service(_redis_reachable(), "Redis is not reachable at 127.0.0.1:6379")
    w = await _world(sqlite_url)

    def auth(name: str) -> dict[str, str]:
        return {"authorization": f"Bearer {w.tokens[name]}"}

    env = {"ASCC_REDIS_URL": REDIS_URL, "ASCC_NOW": "2023-11-14T10:20+09:00"}
    with (
        live_server(sqlite_url, tmp_path / "a.log", **env) as first,
        live_server(sqlite_url, tmp_path / "b.log", **env) as second,
    ):
        async with httpx.AsyncClient(timeout=20) as http, AsyncExitStack() as stack:
            mod = await stack.enter_async_context(
                http.stream(
                    "GET", f"{second}/sessions/{w.water}/live?view=moderate", headers=auth("moderator")
                )
            )
            # Eight viewers, English and Japanese, subscribing at the same moment on the second worker.
            audience = await asyncio.gather(
                *(
                    stack.enter_async_context(
                        http.stream(
                            "GET",
                            f"{second}/sessions/{w.water}/live",
                            headers={**auth("in_room"), "cookie": f"ascc_lang={lang}"},
                        )
                    )
                    for lang in ("en", "ja") * 4
                )
            )
            assert mod.headers["content-type"].startswith("text/event-stream")
            mod_lines = mod.aiter_lines()
            lines = [room.aiter_lines() for room in audience]
            assert await anext(mod_lines) == "retry: 3000"  # subscribed
            assert [await anext(each) for each in lines] == ["retry: 3000"] * 8
            body = "Worker A には届きましたか？ 🙏"
            asked = await http.post(
                f"{first}/api/v1/sessions/{w.water}/questions", json={"body": body}, headers=auth("viewer")
            )
            assert asked.status_code == 201
            pending = await asyncio.wait_for(_next_event(mod, mod_lines, "question", body), 10)
            assert 'data-testid="question-status">pending' in pending
            approved = await http.post(
                f"{first}/api/v1/questions/{asked.json()['id']}/moderate",
                json={"action": "approve"},
                headers=auth("moderator"),
            )
            assert approved.status_code == 200
            shown = await asyncio.wait_for(
                asyncio.gather(
                    *(
                        _next_event(room, each, "question", body)
                        for room, each in zip(audience, lines, strict=True)
                    )
                ),
                10,
            )
            assert all(f'id="q-{asked.json()["id"]}"' in one and "Nguyen Thi Lan" in one for one in shown)
            assert ["投票" in one for one in shown] == [False, True] * 4  # each in its reader's language
            # A vote on the first worker updates the count the second worker's audience sees.
            await http.post(f"{first}/api/v1/questions/{asked.json()['id']}/vote", headers=auth("in_room"))
            counted = await asyncio.wait_for(
                _next_event(audience[0], lines[0], "question", 'data-votes="1"'), 10
            )
            assert body in counted
