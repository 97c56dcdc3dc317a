"""Fixtures for business matching: the marketplace's edition and exhibitors, a city official with a need, a
development bank, an online official, and one matching session (4 slots of 25 minutes, 2 tables, 1 room)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from ascc.editions import services as editions
from ascc.exhibitors import directory
from ascc.matching import services as matching
from ascc.registration import services as registration
from tests.exhibitors.conftest import build_market
from tests.support.snapshots import snapshotted
from tests.tours.conftest import BASE, PASSWORD, registered

__all__ = ["BASE", "PASSWORD", "build_matching", "listed"]

SESSION = {
    "name_en": "Business matching",
    "name_ja": "ビジネスマッチング",
    "day": "2023-11-14",
    "starts": "13:30",
    "ends": "15:30",
    "slot_minutes": "25",
    "break_minutes": "5",
    "tables": "2",
    "online_rooms": "1",
    "location_en": "Hall B",
    "location_ja": "ホールB",
}


async def listed(session, edition_id: int, user_id: int, recommendations: bool = True) -> None:
    """In the participant directory (and, by default, open to recommendations)."""
    await session.execute(
        update(registration.Registration)
        .where(
            registration.Registration.edition_id == edition_id, registration.Registration.user_id == user_id
        )
        .values(consent_directory=True, consent_recommendations=recommendations)
    )
    await session.commit()


@snapshotted
async def build_matching(session) -> SimpleNamespace:
    market = await build_market(session)
    edition = await editions.get_by_id(session, market.edition_id)
    official = await registered(
        session, edition.id, "official@example.org", name="Maria Reyes", city="Cebu City"
    )
    bank = await registered(
        session,
        edition.id,
        "bank@example.org",
        category="international",
        name="Akane Shimizu",
        organization="JICA",
    )
    online = await registered(
        session,
        edition.id,
        "online@example.org",
        mode="online",
        name="Nguyễn Thị Thu",
        organization="Da Nang City",
    )
    for user_id in (official.id, bank.id, online.id, market.staff_a, market.staff_b):
        await listed(session, edition.id, user_id)
    mine = await registration.my_registration(session, edition.id, official.id)
    await directory.save_need(
        session,
        edition.id,
        official.id,
        {
            "title_en": "Septage and sludge dewatering for a city with no sewer network",
            "title_ja": "下水道のない都市のし尿汚泥脱水",
            "description_en": "Our barangays have septic tanks and no sewer; we need sludge dewatering.",
            "description_ja": "下水道がなく、し尿汚泥の脱水が必要です。",
            "sectors": ["water"],
            "sdgs": ["6.2"],
        },
    )
    assert mine is not None
    block = await matching.save_session(session, edition, None, SESSION)
    await session.commit()
    return SimpleNamespace(
        edition=edition,
        edition_id=edition.id,
        official=official.id,
        bank=bank.id,
        online=online.id,
        company=market.staff_a,  # Wakato Sludge: septage dewatering
        other_company=market.staff_b,
        slots=[s.id for s in block.slots],
        session_id=block.id,
    )


@pytest.fixture(autouse=True)
def before_the_meetings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")


@pytest.fixture
async def world(session) -> SimpleNamespace:
    return await build_matching(session)
