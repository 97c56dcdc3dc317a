"""My agenda shows saved sessions, booked site visits and business meetings together, with a clash wherever any
two of them overlap (the pure combination, then the page of a delegate with all three)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.programme import agenda, session_editing
from ascc.programme import services as programme
from ascc.programme.agenda import AgendaMeeting
from tests.badges.conftest import PASSWORD, build_badges
from tests.programme.conftest import publish, session_form
from tests.support.web import sign_in, text_of

TZ = ZoneInfo("Asia/Tokyo")


def _at(hhmm: str, day: int = 14) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2023, 11, day, hours, minutes, tzinfo=TZ)


def _session(
    n: int, start: str, end: str, status: str = "published", kind: str = "thematic"
) -> SimpleNamespace:
    item = SimpleNamespace(id=n, starts_at=_at(start), ends_at=_at(end), status=status, kind=kind)
    return SimpleNamespace(item=item, seat=None, clash=False)


def _tour(n: int, start: str, end: str) -> SimpleNamespace:
    return SimpleNamespace(course=SimpleNamespace(id=n, departs_at=_at(start), returns_at=_at(end)))


def _meeting(n: int, start: str, minutes: int = 25) -> AgendaMeeting:
    starts = _at(start)
    return AgendaMeeting(
        n, starts, starts + timedelta(minutes=minutes), "A", "", "Table 1", "テーブル 1", False, "scheduled"
    )


def _clashing(combined: agenda.Agenda) -> list[tuple[str, int]]:
    ids = []
    for _day, lines in combined.days:
        for kind, line, clash in lines:
            if clash:
                ids.append(
                    (
                        kind,
                        line.item.id if kind == "session" else line.course.id if kind == "tour" else line.id,
                    )
                )
    return ids


def test_any_two_overlapping_entries_clash_whatever_their_kinds() -> None:
    combined = agenda.combine(
        [_session(1, "09:00", "10:00"), _session(2, "13:00", "14:00"), _session(3, "18:30", "19:00")],
        [_tour(10, "16:00", "18:00")],
        [_meeting(20, "13:30"), _meeting(21, "17:00"), _meeting(22, "18:45"), _meeting(23, "18:50")],
        TZ,
    )
    # 2 and 20 (session-meeting), 10 and 21 (tour-meeting), 3 with 22 and 23, and 22 with 23 (meeting-meeting).
    assert sorted(_clashing(combined)) == sorted(
        [
            ("session", 2),
            ("meeting", 20),
            ("tour", 10),
            ("meeting", 21),
            ("session", 3),
            ("meeting", 22),
            ("meeting", 23),
        ]
    )
    assert combined.clash_count == 7
    [(day, lines)] = combined.days
    assert day.isoformat() == "2023-11-14"
    assert [kind for kind, _, _ in lines][:3] == ["session", "session", "meeting"]  # in time order


def test_cancelled_sessions_and_the_programmes_own_site_visit_entry_do_not_clash() -> None:
    combined = agenda.combine(
        [_session(1, "13:00", "14:00", status="cancelled"), _session(2, "16:00", "18:00", kind="site_visit")],
        [_tour(10, "16:00", "18:00")],
        [_meeting(20, "13:30")],
        TZ,
    )
    assert _clashing(combined) == [] and combined.clash_count == 0
    # A meeting during the visits is a clash all the same.
    combined = agenda.combine(
        [_session(2, "16:00", "18:00", kind="site_visit")], [], [_meeting(20, "16:30")], TZ
    )
    assert sorted(_clashing(combined)) == [("meeting", 20), ("session", 2)]


@pytest.fixture
async def world(settings, monkeypatch):
    """The badges world (a signed-up session at 10:00, tour bus B at 16:00, a meeting with Aiko Staff at table 1
    at 13:30), and a session at 13:30 the official saved to their agenda."""
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T09:00+09:00")
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_badges(session)
        edition = await editions.get_by_id(session, w.edition_id)
        lunch, _ = await session_editing.save_session(
            session,
            edition,
            None,
            session_form(
                title_en="Lunch talk on sludge", title_ja="汚泥ランチトーク", start="13:30", end="14:30"
            ),
            confirmed=True,
        )
        await publish(session, edition.id)
        current = await programme.published(session, edition)
        await programme.save(session, w.official, current, lunch.id)
        await session.commit()
        w.lunch = lunch.id
    await engine.dispose()
    return w


async def test_my_agenda_shows_meetings_with_sessions_and_tours_and_their_clashes(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get("/my-agenda")
    assert page.status_code == 200
    meeting = page.text.split(f'data-meeting-id="{world.meeting}"')[1].split("</li>")[0]
    assert "Business meeting with Aiko Staff" in text_of(meeting) and "Table 1, Hall B" in text_of(meeting)
    assert "13:30–13:55" in text_of(meeting) and "Clash" in text_of(meeting)
    lunch = page.text.split(f'data-session-id="{world.lunch}"')[1].split("</li>")[0]
    assert "Clash" in text_of(lunch)
    talk = page.text.split(f'data-session-id="{world.talk}"')[1].split("</li>")[0]
    assert "Clash" not in text_of(talk)
    assert f'data-course-id="{world.bus}"' in page.text
    text = text_of(page.text)
    assert "2 items in your agenda (sessions, site visits, meetings) overlap in time" in text
    # In time order: the 10:00 talk, the 13:30 lunch talk and meeting, then the bus at 16:00.
    order = [
        text.index(s)
        for s in ("Sludge workshop", "Lunch talk on sludge", "Business meeting with", "Site visit B")
    ]
    assert order == sorted(order)
    printed = text_of((await client.get("/my-agenda/print")).text)
    assert "Business meeting with Aiko Staff" in printed and "Table 1, Hall B" in printed

    # The other party sees it too, in Japanese.
    await sign_in(client, "staff-a@example.org", PASSWORD)
    await client.get("/lang/ja?next=/my-agenda")
    japanese = text_of((await client.get("/my-agenda")).text)
    assert "Maria Reyes様との商談" in japanese and "テーブル 1、ホールB" in japanese
