"""Fixtures for the marketplace: a hall, two approved exhibitors with staff and solutions, one draft."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from ascc.editions import services as editions
from ascc.exhibitors import demo
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.models import Exhibitor
from ascc.registration import services as registration
from tests.factories import make_edition
from tests.support.snapshots import snapshotted
from tests.tours.conftest import BASE, PASSWORD, registered

__all__ = ["BASE", "PASSWORD", "build_market", "registered", "with_consent"]


def _exhibitor(key, name, name_ja, number, x, staff, solutions):
    return {
        "key": key,
        "organization": name,
        "organization_ja": name_ja,
        "organization_kind": "company",
        "country": "JP",
        "home_city": "Kitakyushu",
        "kind": "company",
        "description_en": f"{name} makes things for cities.",
        "description_ja": f"{name_ja}は都市のための製品を作っています。",
        "contact_name": "Ken Mori",
        "contact_email": "ken@example.com",
        "website": "https://example.com/",
        "booth": {"hall": "N", "number": number, "x": x, "y": 1, "w": 3, "h": 3},
        "staff": staff,
        "solutions": solutions,
    }


MARKET = {
    "halls": [{"code": "N", "name_en": "Hall N", "name_ja": "ホールN", "width": 30, "height": 20}],
    "exhibitors": [
        _exhibitor(
            "sludge",
            "Wakato Sludge Technologies Co., Ltd.",
            "若戸汚泥テクノロジー株式会社",
            "N-01",
            1,
            ["staff-a@example.org"],
            [
                {
                    "title_en": "Septage sludge dewatering unit",
                    "title_ja": "し尿汚泥脱水ユニット",
                    "summary_en": "A truck-sized screw press for septage sludge dewatering where there is no sewer.",
                    "summary_ja": "下水道のない地域でし尿汚泥を脱水する車載型スクリュープレス。",
                    "sectors": ["water"],
                    "sdgs": ["6.2", "6.3"],
                    "countries": ["PH", "VN"],
                }
            ],
        ),
        _exhibitor(
            "plastics",
            "Hibiki Eco Plastics Co., Ltd.",
            "響エコプラスチック株式会社",
            "N-02",
            5,
            ["staff-b@example.org"],
            [
                {
                    "title_en": "Waste plastics to fuel plant",
                    "title_ja": "廃プラスチック油化プラント",
                    "summary_en": "Turns mixed waste plastics to fuel oil; cuts landfill volume.",
                    "summary_ja": "混合廃プラスチックを燃料油に変え、埋立量を減らします。",
                    "sectors": ["waste"],
                    "sdgs": ["12.5"],
                    "countries": ["PH"],
                    "package_partners": [
                        {"exhibitor": "sludge", "role_en": "Sludge part", "role_ja": "汚泥部分"}
                    ],
                }
            ],
        ),
        _exhibitor(
            "draft",
            "Hidden Solar Co., Ltd.",
            "隠れソーラー株式会社",
            "N-03",
            9,
            [],
            [
                {
                    "title_en": "Secret solar roof",
                    "title_ja": "秘密の太陽光屋根",
                    "summary_en": "Not yet published.",
                    "sectors": ["energy"],
                    "sdgs": ["7.2"],
                }
            ],
        ),
    ],
    "needs": [],
}


@snapshotted
async def build_market(session) -> SimpleNamespace:
    created = await make_edition(session, "ascc2023")
    edition = await editions.get_by_id(session, created.id)
    staff_a = await registered(
        session, edition.id, "staff-a@example.org", category="company", name="Aiko Staff"
    )
    staff_b = await registered(
        session, edition.id, "staff-b@example.org", category="company", name="Bao Staff"
    )
    await demo.load_marketplace(session, edition, MARKET)
    exhibitors = {e.name_en: e for e in await marketplace.list_exhibitors(session, edition.id)}
    draft = exhibitors["Hidden Solar Co., Ltd."]
    await session.execute(update(Exhibitor).where(Exhibitor.id == draft.id).values(status="draft"))
    await session.commit()
    sludge = exhibitors["Wakato Sludge Technologies Co., Ltd."]
    plastics = exhibitors["Hibiki Eco Plastics Co., Ltd."]
    return SimpleNamespace(
        edition_id=edition.id,
        sludge=sludge.id,
        plastics=plastics.id,
        draft=draft.id,
        sludge_solution=sludge.solutions[0].id,
        plastics_solution=plastics.solutions[0].id,
        staff_a=staff_a.id,
        staff_b=staff_b.id,
    )


async def with_consent(session, edition_id: int, user_id: int, scanning: bool) -> str:
    """Set the person's scanning consent; returns the code printed on their badge."""
    mine = await registration.my_registration(session, edition_id, user_id)
    mine.consent_scanning = scanning
    await session.commit()
    return mine.badge_code


@pytest.fixture(autouse=True)
def during_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")
