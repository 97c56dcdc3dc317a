"""Fixtures for tours: an edition with a ballot tour (three courses) and a first-come tour, and registered people."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest

from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.registration import registering
from ascc.tours import demo
from ascc.tours import services as tours
from tests.factories import make_edition
from tests.support.snapshots import snapshotted

BASE = "http://testserver.local"
SECRET = "test-secret"
PASSWORD = "correct horse battery"


@functools.cache
def _password_hash() -> str:
    """One argon2 hash for everybody: hashing per person is slow, and it is not what these tests test."""
    return accounts.hash_password(PASSWORD)


def tour_data(seats_b: int = 2, deadline: str = "2023-11-08T17:00:00+09:00") -> dict:
    course = {"departs": "2023-11-13T10:15:00+09:00", "returns": "2023-11-13T12:30:00+09:00"}
    return {
        "tours": [
            {
                "code": "A",
                "mode": "ballot",
                "ballot_deadline": deadline,
                "name_en": "Tour A",
                "name_ja": "視察A",
                "courses": [
                    {
                        **course,
                        "code": "A1",
                        "theme_en": "Green energy",
                        "theme_ja": "グリーンエネルギー",
                        "seats": 2,
                    },
                    {**course, "code": "A2", "theme_en": "R&D hubs", "theme_ja": "研究開発拠点", "seats": 2},
                    {**course, "code": "A3", "theme_en": "MICE and PPP", "theme_ja": "MICEとPPP", "seats": 1},
                ],
            },
            {
                "code": "B",
                "mode": "fcfs",
                "name_en": "Tour B",
                "name_ja": "視察B",
                "id_retention_days": 14,
                "courses": [
                    {
                        "code": "B",
                        "theme_en": "Water reclamation",
                        "theme_ja": "水再生",
                        "seats": seats_b,
                        "requires_id": True,
                        "categories": ["city_official", "company"],
                        "departs": "2023-11-13T13:30:00+09:00",
                        "returns": "2023-11-13T16:30:00+09:00",
                        "meeting_point_en": "1F main entrance",
                        "meeting_point_ja": "1階正面入口",
                    }
                ],
            },
        ]
    }


async def registered(
    session, edition_id: int, email: str, mode: str = "in_person", category: str = "city_official", **extra
):
    user = await accounts.create_user(
        session,
        email=email,
        role="delegate",
        password=PASSWORD,
        password_hash=_password_hash(),
        name_latin=extra.pop("name", "Haruka Sato"),
        name_local=extra.pop("local", None),
    )
    await registering.register(
        session,
        edition_id,
        user.id,
        registering.RegistrationInput(
            mode=mode,
            category=category,
            organization=extra.pop("organization", "Cebu City"),
            privacy_accepted=True,
            country="PH",
            dietary=extra.pop("dietary", None),
            city=extra.pop("city", None),
        ),
        BASE,
        notify=False,
    )
    await session.commit()
    return user


@snapshotted
async def build_tours(
    session, seats_b: int = 2, deadline: str = "2023-11-08T17:00:00+09:00"
) -> SimpleNamespace:
    created = await make_edition(session, "ascc2023")
    edition = await editions.get_by_id(session, created.id)
    await demo.load_tours(session, edition, tour_data(seats_b, deadline), [])
    await session.commit()
    items = await tours.list_tours(session, edition.id)
    a, b = items
    return SimpleNamespace(
        edition_id=edition.id,
        a=a.id,
        b=b.id,
        a1=a.courses[0].id,
        a2=a.courses[1].id,
        a3=a.courses[2].id,
        course_b=b.courses[0].id,
    )


@pytest.fixture(autouse=True)
def before_the_tours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


@pytest.fixture
async def trip(session) -> SimpleNamespace:
    return await build_tours(session)
