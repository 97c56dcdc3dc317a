"""Change notices name what changed, old -> new, with the organizers' note: in the mails to people who saved the
session and on the public "what changed" page, in English and Japanese, times in the conference's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.editions import services as editions
from ascc.mail import services as mail
from ascc.programme import releases, session_editing
from ascc.programme import services as programme
from tests.factories import make_user
from tests.programme.conftest import build_programme, publish
from tests.support.web import text_of


@pytest.fixture
async def site(settings):
    """The test app's database with a published programme."""
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_programme(session)
        await publish(session, built.edition_id)
        built.session = session
        yield built
    await engine.dispose()


NOTE = "The keynote runs long: the water session starts at 10:30 in G401. 基調講演が延長します。"


async def _move_water_and_cancel_the_closing(session, prog) -> None:
    """The water session from 10:00-11:00 in the Main Hall to 10:30-11:30 in G401, another speaker, online;
    the closing plenary cancelled."""
    edition = await editions.get_by_id(session, prog.edition_id)
    tz = ZoneInfo(edition.timezone)
    row = await session_editing.get_session(session, prog.edition_id, prog.water)
    form = session_editing.form_of(row, tz)
    form.start, form.end, form.room_id = "10:30", "11:30", str(prog.rooms[1])
    form.speakers, form.format = [str(prog.speakers[2])], "online"
    await session_editing.save_session(session, edition, prog.water, form, confirmed=True)
    closing = session_editing.form_of(
        await session_editing.get_session(session, prog.edition_id, prog.day3), tz
    )
    closing.status = "cancelled"
    await session_editing.save_session(session, edition, prog.day3, closing)
    await session.commit()


async def test_mails_say_old_and_new_time_room_speakers_format_and_the_note(session, prog) -> None:
    current = await programme.published(session, await editions.get_by_id(session, prog.edition_id))
    english = await make_user(session, "en@example.org")
    japanese = await make_user(session, "ja@example.org", preferred_lang="ja")
    for person in (english, japanese):
        await programme.save(session, person.id, current, prog.water)
        await programme.save(session, person.id, current, prog.day3)
    await session.commit()
    await _move_water_and_cancel_the_closing(session, prog)

    result = await publish(session, prog.edition_id, NOTE)
    assert result.notified == 2

    [message] = await mail.messages_to(session, "en@example.org")
    body = message.body_text
    english_part, japanese_part = body.split("-" * 60)
    for line in (
        "Time: Tue 14 Nov, 10:00–11:00 → Tue 14 Nov, 10:30–11:30",
        "Room: Main Hall → Room G401",
        "Speakers: Nguyễn Thị Lan → Aiko Fujimoto",
        "Format: Hybrid → Online",
        "Was planned for Wed 15 Nov, 15:00–16:00, Main Hall",
        "Note from the organizers:",
        NOTE,
    ):
        assert line in english_part, line
    for line in (
        "時間：11月14日(火) 10:00–11:00 → 11月14日(火) 10:30–11:30",
        "部屋：メインホール → 会議室 G401",
        "形式：ハイブリッド → オンライン",
        "変更前の予定：11月15日(水) 15:00–16:00、メインホール",
        "主催者からのお知らせ：",
        NOTE,
    ):
        assert line in japanese_part, line
    # The Japanese reader gets Japanese first.
    [message] = await mail.messages_to(session, "ja@example.org")
    assert message.body_text.index("時間：11月14日(火) 10:00–11:00") < message.body_text.index(
        "Time: Tue 14 Nov"
    )

    # The release keeps the values, in UTC, whatever the page's language later.
    (_, changes), *_ = await releases.list_releases(session, prog.edition_id)
    water = next(c for c in changes if c.session_id == prog.water)
    assert water.details["time"] == {
        "before": ["2023-11-14T01:00:00+00:00", "2023-11-14T02:00:00+00:00"],
        "after": ["2023-11-14T01:30:00+00:00", "2023-11-14T02:30:00+00:00"],
    }


async def test_the_changes_page_says_old_and_new_in_both_languages(client, site) -> None:
    await _move_water_and_cancel_the_closing(site.session, site)
    await publish(site.session, site.edition_id, NOTE)

    english = text_of((await client.get("/programme/changes")).text)
    assert "Note from the organizers: " + NOTE in english
    assert "Time: Tue 14 Nov, 10:00–11:00 → Tue 14 Nov, 10:30–11:30" in english
    assert "Room: Main Hall → Room G401" in english
    assert "Speakers: Nguyễn Thị Lan → Aiko Fujimoto" in english
    assert "Format: Hybrid → Online" in english
    assert "Was planned for Wed 15 Nov, 15:00–16:00, Main Hall" in english

    japanese = text_of((await client.get("/programme/changes", headers={"Accept-Language": "ja"})).text)
    assert "主催者からのお知らせ： " + NOTE in japanese
    assert "時間：11月14日(火) 10:00–11:00 → 11月14日(火) 10:30–11:30" in japanese
    assert "部屋：メインホール → 会議室 G401" in japanese
    assert "登壇者：Nguyễn Thị Lan → Aiko Fujimoto" in japanese
    assert "変更前の予定：11月15日(水) 15:00–16:00、メインホール" in japanese
