"""Fixtures for badges and check-in: the matching world (an edition with a city official, a development bank,
an online official and exhibitor staff), plus a sign-up session, a tour bus and a scheduled meeting of the
official, so every kind of place has someone booked and someone not."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ascc.badges import services as badges
from ascc.editions import services as editions
from ascc.matching import meeting_requests, meetings, placement
from ascc.programme import services as programme
from ascc.programme import session_editing
from ascc.registration import services as registration
from ascc.tours import booking as tour_booking
from ascc.tours import demo as tours_demo
from ascc.tours import services as tours
from tests.matching.conftest import BASE, PASSWORD, build_matching
from tests.programme.conftest import session_form
from tests.support.snapshots import snapshotted
from tests.tours.conftest import tour_data

__all__ = ["BASE", "PASSWORD", "build_badges", "code_of"]


async def code_of(session, edition_id: int, user_id: int) -> str:
    """The signed QR text of a person's current badge."""
    reg = await registration.my_registration(session, edition_id, user_id)
    reg = await registration.get_registration(session, reg.id)
    badge = await badges.current_badge(session, reg)
    await session.commit()
    return badge.code


@snapshotted
async def build_badges(session) -> SimpleNamespace:
    w = await build_matching(session)
    edition = await editions.get_by_id(session, w.edition_id)
    talk, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(
            title_en="Sludge workshop", title_ja="汚泥ワークショップ", format="in_person", capacity="5"
        ),
    )
    await session.commit()
    schedule = await programme.published(session, edition)
    await programme.take_seat(session, w.official, schedule, talk.id)
    data = tour_data()
    bus = data["tours"][1]["courses"][0]  # course B leaves in the afternoon of the test's day
    bus.update(departs="2023-11-14T16:00:00+09:00", returns="2023-11-14T18:00:00+09:00")
    await tours_demo.load_tours(session, edition, data, [])
    courses = {c.code: c for t in await tours.list_tours(session, edition.id) for c in t.courses}
    await tour_booking.book_by_email(session, "official@example.org", courses["B"].id, BASE)
    await session.commit()
    meeting = await meeting_requests.send_request(
        session, edition, w.official, {"recipient_id": w.company}, BASE
    )
    await meeting_requests.answer(session, edition, meeting.id, w.company, "accept", {}, BASE)
    meeting = await meetings.get_meeting(session, meeting.id)
    await placement.schedule_in(session, edition, meeting, w.slots[0], BASE)
    await session.commit()
    return SimpleNamespace(
        **w.__dict__, talk=talk.id, bus=courses["B"].id, other_bus=courses["A1"].id, meeting=meeting.id
    )


@pytest.fixture(autouse=True)
def during_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:20+09:00")  # ten minutes before the first meeting slot


@pytest.fixture
async def world(session) -> SimpleNamespace:
    return await build_badges(session)
