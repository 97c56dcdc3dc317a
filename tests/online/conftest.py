"""Fixtures for online attendance: the programme world published, a water session streamed on two channels,
an online and an in-person participant, someone not registered, an organizer and the session's moderator."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ascc.online import services as online
from ascc.programme.models import SessionPerson, Speaker
from tests.factories import make_user
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.snapshots import snapshotted
from tests.tours.conftest import registered

__all__ = ["BASE", "build_online"]

YOUTUBE = "https://www.youtube.com/watch?v=ascc23water"
HLS = "https://live.example.org/ascc2023/water/ja.m3u8"


@snapshotted
async def build_online(session) -> SimpleNamespace:
    p = await build_programme(session)
    await publish(session, p.edition_id)
    viewer = await registered(
        session, p.edition_id, "viewer@example.org", mode="online", name="Nguyen Thi Lan"
    )
    in_room = await registered(session, p.edition_id, "room@example.org", name="Somchai Jaidee")
    outsider = await make_user(session, "outsider@example.org", name="Not Registered")
    organizer = await make_user(session, "organizer@example.org", role="organizer", name="Mika Organizer")
    moderator = await make_user(session, "moderator@example.org", name="Priya Raman")
    speaker = await session.get(Speaker, p.speakers[0])
    speaker.user_id = moderator.id
    session.add(SessionPerson(session_id=p.water, speaker_id=speaker.id, role="moderator", sort_order=5))
    await online.save_streams(session, p.water, {"floor": YOUTUBE, "ja": HLS})
    await session.commit()
    return SimpleNamespace(
        **p.__dict__,
        viewer=viewer.id,
        in_room=in_room.id,
        outsider=outsider.id,
        organizer=organizer.id,
        moderator=moderator.id,
    )


@pytest.fixture(autouse=True)
def during_the_water_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """The water session runs 10:00–11:00 on 14 November 2023 (Tokyo)."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:20+09:00")


@pytest.fixture
async def world(session) -> SimpleNamespace:
    return await build_online(session)
