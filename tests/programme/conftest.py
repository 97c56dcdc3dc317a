"""Fixtures for the programme: an edition with rooms, tracks, speakers and sessions, built through the services."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ascc.editions import services as editions
from ascc.programme import editing, releases, session_editing
from ascc.programme.session_editing import SessionInput
from tests.factories import make_edition
from tests.support.snapshots import snapshotted

BASE = "http://testserver.local"


def session_form(**changes: Any) -> SessionInput:
    values: dict[str, Any] = {
        "title_en": "Thematic session: water",
        "title_ja": "テーマ別セッション：水",
        "kind": "thematic",
        "day": "2023-11-14",
        "start": "10:00",
        "end": "11:00",
        "floor_language": "en",
        "interpretation": ["ja"],
        "format": "hybrid",
        "status": "published",
    }
    values.update(changes)
    return SessionInput(**values)


@snapshotted
async def build_programme(session) -> SimpleNamespace:
    """Two rooms, two tracks, three speakers and four published sessions (two of them at the same time)."""
    created = await make_edition(
        session,
        "ascc2023",
        rooms=[
            editions.RoomInput("Main Hall", "メインホール", "1F", 400, True),
            editions.RoomInput("Room G401", "会議室 G401", "4F", 60, False),
        ],
    )
    edition = await editions.get_by_id(session, created.id)
    rooms = await editions.list_rooms(session, edition.id)
    water = await editing.save_track(
        session, edition.id, None, {"name_en": "Water", "name_ja": "水", "colour": "#1565c0"}
    )
    energy = await editing.save_track(
        session, edition.id, None, {"name_en": "Energy", "name_ja": "エネルギー", "colour": "#2e7d32"}
    )
    people = []
    for name, local in (
        ("Priya Raman", None),
        ("Nguyễn Thị Lan", "Nguyễn Thị Lan"),
        ("Aiko Fujimoto", "藤本 愛子"),
    ):
        people.append(
            await editing.save_speaker(
                session, edition.id, None, editing.SpeakerInput(name=name, name_local=local)
            )
        )
    keynote, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(
            title_en="Keynote on VLRs",
            title_ja="VLR基調講演",
            kind="keynote",
            start="09:00",
            end="10:00",
            room_id=str(rooms[0].id),
            track_id=str(energy.id),
            speakers=[str(people[0].id)],
            sdgs="11, 17.17",
        ),
    )
    water_session, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(
            room_id=str(rooms[0].id),
            track_id=str(water.id),
            speakers=[str(people[1].id)],
            sectors=["water"],
            sdgs="6.3",
        ),
    )
    parallel, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(
            title_en="Company solutions: waste",
            title_ja="企業発表：廃棄物",
            kind="business_exchange",
            start="10:30",
            end="11:30",
            room_id=str(rooms[1].id),
            floor_language="ja",
            interpretation=[],
            format="in_person",
            speakers=[str(people[2].id)],
            sectors=["waste"],
            capacity="2",
        ),
    )
    day3, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(
            title_en="Closing plenary",
            title_ja="閉会全体会合",
            kind="plenary",
            day="2023-11-15",
            start="15:00",
            end="16:00",
            room_id=str(rooms[0].id),
            floor_language="ja",
            interpretation=["en"],
        ),
    )
    await session.commit()
    return SimpleNamespace(
        edition_id=edition.id,
        rooms=[r.id for r in rooms],
        tracks=SimpleNamespace(water=water.id, energy=energy.id),
        speakers=[p.id for p in people],
        keynote=keynote.id,
        water=water_session.id,
        parallel=parallel.id,
        day3=day3.id,
    )


async def publish(session, edition_id: int, note: str = "") -> releases.Published:
    edition = await editions.get_by_id(session, edition_id)
    result = await releases.publish(session, edition, None, note, BASE)
    await session.commit()
    return result


@pytest.fixture(autouse=True)
def before_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo edition lies in 2023: "now" is a few days before it opens."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-10T10:00+09:00")


@pytest.fixture
async def prog(session) -> SimpleNamespace:
    built = await build_programme(session)
    await publish(session, built.edition_id)
    return built
