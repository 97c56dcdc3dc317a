"""Fixtures for the year-round network: the 2023 marketplace and matching world (a Cebu official with a
need, a JICA officer, a Da Nang official online, two exhibitors' staff), then a 2024 edition made current,
for which the Cebu official registered again and Wakato Sludge exhibits again."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.exhibitors import demo as market_demo
from ascc.network import joining as network
from ascc.registration import registering
from tests.factories import make_edition
from tests.matching.conftest import BASE, PASSWORD, build_matching
from tests.support.snapshots import snapshotted

__all__ = ["BASE", "PASSWORD", "build_network", "next_edition"]

# The network lives between editions: "now" is months after the 2023 conference.
BETWEEN_EDITIONS = "2024-03-01T09:00+09:00"


async def next_edition(session, world: SimpleNamespace) -> SimpleNamespace:
    """The 2024 edition becomes current: the Cebu official registers again, Wakato Sludge exhibits again."""
    created = await make_edition(session, "ascc2024", year=2024)
    edition = await editions.get_by_id(session, created.id)
    await registering.register(
        session,
        edition.id,
        world.official,
        registering.RegistrationInput(
            category="city_official", organization="Cebu City", country="PH", privacy_accepted=True
        ),
        BASE,
        require_open=False,
        notify=False,
    )
    await market_demo.load_marketplace(
        session,
        edition,
        {
            "halls": [{"code": "N", "name_en": "Hall N", "name_ja": "ホールN", "width": 30, "height": 20}],
            "exhibitors": [
                {
                    "key": "sludge",
                    "organization": "Wakato Sludge Technologies Co., Ltd.",
                    "organization_ja": "若戸汚泥テクノロジー株式会社",
                    "country": "JP",
                    "kind": "company",
                    "description_en": "Sludge again.",
                    "booth": {"hall": "N", "number": "N-01", "x": 1, "y": 1, "w": 3, "h": 3},
                    "staff": ["staff-a@example.org"],
                    "solutions": [],
                }
            ],
            "needs": [],
        },
    )
    await session.commit()
    world.edition_2024 = edition.id
    return world


@snapshotted
async def build_network(session) -> SimpleNamespace:
    """The matching world, with the official (Japanese mail), the JICA officer and the Da Nang official
    (Vietnamese headline) in the network."""
    world = await build_matching(session)
    await network.join(
        session,
        world.official,
        {
            "headline": "下水汚泥処理とごみの分別（セブ市）",
            "interests": "し尿処理、JCM",
            "timezone": "Asia/Manila",
        },
    )
    await network.join(
        session,
        world.bank,
        {"headline": "JICA financing for sanitation", "interests": "PPP", "timezone": "Asia/Tokyo"},
    )
    await network.join(
        session,
        world.online,
        {
            "headline": "Quản lý nước thải cho Đà Nẵng",
            "interests": "Thoát nước đô thị, chống ngập",
            "timezone": "Asia/Ho_Chi_Minh",
        },
    )
    await accounts.set_preferred_lang(session, world.official, "ja")
    await session.commit()
    return world


@pytest.fixture(autouse=True)
def between_editions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", BETWEEN_EDITIONS)
