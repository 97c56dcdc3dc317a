"""The meeting-request window: requests close on their last day (the conference's when none is set); a request
sent later is refused, page and API alike, and nobody is told about a meeting that could never happen."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.editions import services as editions
from tests.matching.conftest import PASSWORD, build_matching
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_matching(session)
        w.token, _ = await accounts.create_api_token(session, w.official)
        await session.commit()
    w.engine = engine
    yield w
    await engine.dispose()


async def _count(world, sql: str, **params) -> int:
    async with async_sessionmaker(world.engine)() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def test_after_the_conference_no_request_is_sent_or_told(client, world, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-12-01T10:00+09:00")  # two weeks after the conference (13-15 Nov)
    mails = await _count(world, "select count(*) from outbox_message")
    refused = await client.post(
        "/api/v1/meetings/requests",
        json={"recipient_id": world.company, "message": "Still interested?"},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert refused.status_code == 409 and refused.json()["error"] == "requests_closed"
    assert (
        refused.json()["detail"]
        == "The conference ended on 15 November 2023: meetings can no longer be requested."
    )
    await sign_in(client, "official@example.org", PASSWORD)
    person = await client.get(f"/matching/people/{world.company}")
    assert "The conference ended on 15 November 2023: no new meeting requests." in text_of(person.text)
    assert f'action="/matching/people/{world.company}/request"' not in person.text
    posted = await post_form(client, f"/matching/people/{world.company}/request", {"message": "hi"})
    assert posted.status_code == 409
    assert await _count(world, "select count(*) from meeting") == 0
    assert await _count(world, "select count(*) from outbox_message") == mails  # the company was told nothing
    assert await _count(world, "select count(*) from notification where user_id = :u", u=world.company) == 0


async def test_requests_close_on_the_day_the_organizers_set(client, world, monkeypatch) -> None:
    async with async_sessionmaker(world.engine, expire_on_commit=False)() as session:
        edition = await editions.get_by_id(session, world.edition_id)
        await editions.set_timeline(session, edition, editions.TimelineInput(None, None, date(2023, 11, 13)))
        await session.commit()
    await sign_in(client, "official@example.org", PASSWORD)
    monkeypatch.setenv("ASCC_NOW", "2023-11-13T18:00+09:00")
    home = text_of((await client.get("/matching")).text)
    assert "Meeting requests until 13 November 2023." in home
    sent = await post_form(client, f"/matching/people/{world.company}/request", {"message": "Day one"})
    assert sent.status_code == 303
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T09:00+09:00")
    await client.get("/lang/ja?next=/")
    home = text_of((await client.get("/matching")).text)
    assert "商談の申込は2023年11月13日に締め切りました。" in home
    await client.get("/lang/en?next=/")
    refused = await post_form(
        client, f"/matching/people/{world.other_company}/request", {"message": "Day two"}
    )
    assert refused.status_code == 409
    assert "Meeting requests closed on 13 November 2023. You can still answer" in text_of(refused.text)
    assert await _count(world, "select count(*) from meeting") == 1
