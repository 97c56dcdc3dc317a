"""Fixtures for calendars: the badges world (an official with a signed-up session, a seat on tour bus B and a
scheduled business meeting), the official speaking in a second session, and the programme published."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from ascc.editions import services as editions
from ascc.programme import editing, session_editing
from ascc.programme.models import Speaker
from tests.badges.conftest import BASE, PASSWORD, build_badges
from tests.programme.conftest import publish, session_form
from tests.support.snapshots import snapshotted

__all__ = ["BASE", "PASSWORD", "build_calendar"]


@snapshotted
async def build_calendar(session) -> SimpleNamespace:
    w = await build_badges(session)
    edition = await editions.get_by_id(session, w.edition_id)
    speaker = await editing.save_speaker(
        session, edition.id, None, editing.SpeakerInput(name="Maria Reyes", affiliation_en="Cebu City")
    )
    await session.execute(update(Speaker).where(Speaker.id == speaker.id).values(user_id=w.official))
    panel, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(
            title_en="Panel: cities and companies",
            title_ja="パネル：都市と企業",
            kind="panel",
            start="11:30",
            end="12:15",
            speakers=[str(speaker.id)],
        ),
    )
    await session.commit()
    await publish(session, edition.id)
    await session.commit()
    return SimpleNamespace(**w.__dict__, panel=panel.id)


@pytest.fixture(autouse=True)
def before_the_meetings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")
