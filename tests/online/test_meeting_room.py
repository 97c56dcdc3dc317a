"""An online business meeting: its page counts down and opens the video room at its time, through a fresh
signed link; the room's own address is in no page, API answer or calendar file."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.registration import registering
from ascc.registration import services as registration
from tests.matching.conftest import build_matching
from tests.support.web import sign_in, text_of
from tests.tours.conftest import PASSWORD


@pytest.fixture
async def world(settings, monkeypatch):
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")  # the meetings are from 13:30
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_matching(session)
        w.tokens = {}
        for name in ("online", "company", "bank"):
            w.tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
    await engine.dispose()
    return w


async def test_the_room_opens_at_the_meeting_time_for_its_parties_only(client, world, monkeypatch) -> None:
    def auth(name: str) -> dict[str, str]:
        return {"authorization": f"Bearer {world.tokens[name]}"}

    made = await client.post(
        "/api/v1/meetings/requests",
        json={"recipient_id": world.company, "message": "Online, please", "format": "online"},
        headers=auth("online"),
    )
    meeting = made.json()
    accepted = await client.post(
        f"/api/v1/meetings/requests/{meeting['id']}/accept",
        json={"slot_id": world.slots[1]},
        headers=auth("company"),
    )
    assert accepted.json()["status"] == "scheduled" and accepted.json()["place"] == "room"
    join = f"/matching/meetings/{meeting['id']}/join"
    assert accepted.json()["online_room_url"] == f"http://testserver.local{join}"
    await sign_in(client, "online@example.org", PASSWORD)
    page = await client.get(f"/matching/meetings/{meeting['id']}")
    assert "meet.jit.si" not in page.text and "ascc-" not in page.text
    assert "The room opens 15 minutes before the meeting starts." in text_of(page.text)
    assert "data-countdown=" in page.text and "data-reload-at=" in page.text  # counts down, then opens
    early = await client.get(join, follow_redirects=False)
    assert early.status_code == 409
    ics = await client.get(f"/matching/meetings/{meeting['id']}/calendar.ics")
    assert "meet.jit.si" not in ics.text and join in ics.text.replace("\r\n ", "")

    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:45+09:00")  # ten minutes before
    page = await client.get(f"/matching/meetings/{meeting['id']}")
    assert 'data-testid="room-link"' in page.text and "meet.jit.si" not in page.text
    assert "Aiko Staff" in text_of(page.text)  # the other party's profile beside it
    signed = await client.get(join, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"].startswith("/online/go/room.")
    room = await client.get(signed.headers["location"], follow_redirects=False)
    assert room.status_code == 303 and room.headers["location"].startswith("https://meet.jit.si/ascc-")

    engine = create_engine(client.app.state.settings.database_url)
    async with async_sessionmaker(engine)() as session:  # the online official cancels their registration
        reg = await registration.my_registration(session, world.edition_id, world.online)
        await registering.cancel(session, reg, "http://testserver.local", notify=False)
        await session.commit()
    await engine.dispose()
    assert (await client.get(join, follow_redirects=False)).status_code == 403
    assert (await client.get(signed.headers["location"], follow_redirects=False)).status_code == 403

    await sign_in(client, "bank@example.org", PASSWORD)  # not a party
    assert (await client.get(join, follow_redirects=False)).status_code == 404
    borrowed = await client.get(signed.headers["location"], follow_redirects=False)
    assert borrowed.status_code == 403  # the link was signed for someone else
