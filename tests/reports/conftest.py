"""A small conference to report on: the badges world (a Cebu official, JICA, an online Da Nang official,
two exhibitors, a session with a seat, a tour booking, a scheduled meeting), plus a Japanese city, a
cancelled registration, an entrance check-in and the meeting held with an outcome and a contract."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ascc.badges import checkin
from ascc.matching import tracking
from ascc.organizations import services as organizations
from ascc.registration import registering
from ascc.registration import services as registration
from tests.badges.conftest import build_badges, code_of
from tests.support.snapshots import snapshotted
from tests.tours.conftest import registered


@snapshotted
async def build_report(session) -> SimpleNamespace:
    w = await build_badges(session)
    await registered(
        session, w.edition_id, "yokohama@example.org", organization="City of Yokohama", name="Taro Yamada"
    )
    yokohama = await organizations.find_or_create(session, "City of Yokohama")
    yokohama.country, yokohama.kind = "JP", "city"
    for name, country, kind in (
        ("Cebu City", "PH", "city"),
        ("JICA", "JP", "international"),
        ("Da Nang City", "VN", "city"),
    ):
        org = await organizations.find_or_create(session, name)
        org.country, org.kind = country, kind
    await registered(
        session,
        w.edition_id,
        "wb@example.org",
        category="international",
        organization="World Bank",
        name="Ama Mensah",
    )
    world_bank = await organizations.find_or_create(session, "World Bank")
    world_bank.country, world_bank.kind = None, "international"
    cancelled = await registered(
        session, w.edition_id, "gone@example.org", organization="Bangkok", name="Somchai"
    )
    await registering.cancel(
        session, await registration.my_registration(session, w.edition_id, cancelled.id), "", notify=False
    )
    code = await code_of(session, w.edition_id, w.official)
    await checkin.scan(
        session,
        w.edition_id,
        checkin.ScanInput(code=code, place_type="entrance", place_id=None, device_id="gate-1"),
        None,
    )
    await session.commit()
    return w


async def hold_meeting(session, w, monkeypatch: pytest.MonkeyPatch) -> None:
    """The meeting took place (at 13:30): both gave feedback, and a contract followed at 12 months."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T15:00+09:00")
    await tracking.give_feedback(
        session, w.edition_id, w.meeting, w.official, {"outcome": "follow_up", "follow_up": ["contract"]}
    )
    await tracking.give_feedback(
        session, w.edition_id, w.meeting, w.company, {"outcome": "cooperation_possible"}
    )
    await tracking.record_follow_up(
        session, w.edition_id, w.meeting, w.official, {"month": "12", "status": "contract"}
    )
    await session.commit()


@pytest.fixture(autouse=True)
def during_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:20+09:00")  # ten minutes before the first meeting slot
