"""The personal feed as calendars see it over time (services, SQLite and PostgreSQL): everything in the plan
with exact instants, stable UIDs, SEQUENCE and LAST-MODIFIED that grow on a change, items that leave the
plan kept a while as CANCELLED, and the feed's address rotated or revoked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ical.calendar_stream import IcsCalendarStream

from ascc.calendar import services as calendar
from ascc.editions import services as editions
from ascc.programme import services as programme
from ascc.programme import session_editing
from ascc.tours import booking as tours
from tests.calendar.conftest import BASE, build_calendar
from tests.programme.conftest import publish, session_form


async def feed(session, user_id: int) -> dict[str, object]:
    """The person's feed read by the `ical` parser: events by the first part of their UID."""
    edition = await editions.require_current(session)
    current = await programme.published(session, edition)
    body = await calendar.feed_body(session, current, user_id, BASE, "My ASCC")
    await session.commit()
    return {e.uid.split("@")[0]: e for e in IcsCalendarStream.calendar_from_ics(body.decode()).events}


async def test_feed_holds_the_whole_plan_at_exact_instants(session) -> None:
    w = await build_calendar(session)
    events = await feed(session, w.official)
    assert set(events) == {
        f"session-{w.talk}",
        f"session-{w.panel}",
        f"tour-course-{w.bus}",
        f"meeting-{w.meeting}",
    }
    talk = events[f"session-{w.talk}"]
    assert talk.dtstart == datetime(2023, 11, 14, 1, 0, tzinfo=UTC)  # 10:00 in Yokohama
    assert talk.summary == "Sludge workshop / 汚泥ワークショップ"
    panel = events[f"session-{w.panel}"]
    assert "You speak in this session." in panel.description
    assert "このセッションに登壇します。" in panel.description
    bus = events[f"tour-course-{w.bus}"]
    assert bus.dtstart == datetime(2023, 11, 14, 7, 0, tzinfo=UTC)
    assert bus.location  # the meeting point
    meeting = events[f"meeting-{w.meeting}"]
    assert meeting.location.startswith("Table 1, Hall B")
    assert "Maria Reyes\nAiko Staff" in meeting.description  # both parties
    assert all(e.sequence == 0 for e in events.values())


async def test_someone_elses_plan_is_not_in_my_feed(session) -> None:
    w = await build_calendar(session)
    events = await feed(session, w.bank)
    assert events == {}


async def test_a_change_raises_sequence_and_last_modified_of_that_item_only(session, monkeypatch) -> None:
    w = await build_calendar(session)
    before = await feed(session, w.official)
    edition = await editions.get_by_id(session, w.edition_id)
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:05+09:00")
    await session_editing.save_session(
        session,
        edition,
        w.talk,
        session_form(
            title_en="Sludge workshop",
            title_ja="汚泥ワークショップ",
            format="in_person",
            capacity="5",
            start="10:15",
            end="11:15",
        ),
    )
    await session.commit()
    await publish(session, edition.id)
    after = await feed(session, w.official)
    talk = after[f"session-{w.talk}"]
    assert talk.uid == before[f"session-{w.talk}"].uid
    assert talk.sequence == 1
    assert talk.dtstart == datetime(2023, 11, 14, 1, 15, tzinfo=UTC)
    assert talk.last_modified == datetime(2023, 11, 14, 1, 5, tzinfo=UTC)
    assert after[f"session-{w.panel}"].sequence == 0
    assert (await feed(session, w.official))[
        f"session-{w.talk}"
    ].sequence == 1  # reading again changes nothing


async def test_an_item_that_leaves_the_plan_stays_cancelled_for_a_while(session, monkeypatch) -> None:
    w = await build_calendar(session)
    await feed(session, w.official)
    await tours.cancel(session, w.official, w.bus, BASE)
    await session.commit()
    events = await feed(session, w.official)
    bus = events[f"tour-course-{w.bus}"]
    assert bus.status == "CANCELLED"
    assert bus.sequence == 1
    monkeypatch.setenv("ASCC_NOW", "2023-12-20T10:00+09:00")  # more than 30 days later
    assert f"tour-course-{w.bus}" not in await feed(session, w.official)


async def test_an_item_back_in_the_plan_is_confirmed_again_with_a_later_sequence(session) -> None:
    w = await build_calendar(session)
    await feed(session, w.official)
    await tours.cancel(session, w.official, w.bus, BASE)
    await session.commit()
    await feed(session, w.official)
    await tours.book(session, w.official, w.bus, BASE)
    await session.commit()
    bus = (await feed(session, w.official))[f"tour-course-{w.bus}"]
    assert (bus.status, bus.sequence) == ("CONFIRMED", 2)


async def test_rotating_replaces_the_token_and_keeps_what_calendars_know(session) -> None:
    w = await build_calendar(session)
    first = (await calendar.feed_of(session, w.official)).token
    assert await calendar.user_for_token(session, first) == w.official
    old, rotated = await calendar.rotate(session, w.official)
    await session.commit()
    assert old == first and rotated.token != first
    assert await calendar.user_for_token(session, first) is None
    assert await calendar.user_for_token(session, rotated.token) == w.official


async def test_revoked_feed_has_no_address_until_asked_again(session) -> None:
    w = await build_calendar(session)
    token = (await calendar.feed_of(session, w.official)).token
    assert await calendar.revoke(session, w.official) == token
    await session.commit()
    assert await calendar.user_for_token(session, token) is None
    renewed = (await calendar.feed_of(session, w.official)).token
    assert renewed and renewed != token


@pytest.mark.parametrize(
    "token", ["", "x", "A" * 31, "A" * 33, "' OR 1=1 --", "日本語" * 11, "../../etc/passwd", "A" * 5000]
)
async def test_malformed_tokens_find_nobody(session, token: str) -> None:
    assert await calendar.user_for_token(session, token) is None
