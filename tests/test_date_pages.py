"""Pages write dates and times in the one format of each language (ascc/dates.py), in conference time:
the organizers' matching page, the site-visit ballot and the check-in session picker."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from tests.badges.conftest import build_badges
from tests.matching.conftest import build_matching
from tests.support.web import sign_in, text_of
from tests.tours.conftest import PASSWORD, build_tours, registered


async def built(settings, monkeypatch, now: str, build, *people: tuple[str, str]):
    """A world from `build` at `now`, plus accounts (e-mail, role) that sign in with PASSWORD."""
    monkeypatch.setenv("ASCC_NOW", now)
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        world = await build(session)
        for email, role in people:
            await accounts.create_user(session, email=email, role=role, password=PASSWORD, name_latin="Staff")
        await session.commit()
        if build is build_tours:
            await registered(session, world.edition_id, "ranker@example.org")
    await engine.dispose()


async def in_japanese(client, path: str) -> str:
    return text_of((await client.get(f"/lang/ja?next={path}", follow_redirects=True)).text)


async def test_organizer_matching_page_shows_sessions_as_day_and_time_range(
    client, settings, monkeypatch
) -> None:
    await built(
        settings, monkeypatch, "2023-11-14T10:00+09:00", build_matching, ("org@example.org", "organizer")
    )
    await sign_in(client, "org@example.org", PASSWORD)
    english = text_of((await client.get("/organizer/matching/")).text)
    assert "Tue 14 Nov, 13:30–15:30" in english
    assert "PM" not in english and "11/14/23" not in english
    assert "11月14日(火) 13:30–15:30" in await in_japanese(client, "/organizer/matching/")


async def test_the_ballot_says_its_deadline_in_full_with_the_zone(client, settings, monkeypatch) -> None:
    await built(settings, monkeypatch, "2023-11-05T10:00+09:00", build_tours)
    await sign_in(client, "ranker@example.org", PASSWORD)
    english = text_of((await client.get("/tours")).text)
    assert "Rank the courses you want until Wednesday 8 November 2023, 17:00 (JST);" in english
    assert "Mon 13 Nov, 10:15–12:30 · Meeting point" in english
    assert "2023-11-08" not in english
    japanese = await in_japanese(client, "/tours")
    assert "2023年11月8日(水) 17:00 (日本時間) までに希望するコースに順位を付けてください" in japanese
    assert "11月13日(月) 10:15–12:30" in japanese


async def test_the_japanese_check_in_picker_reads_days_the_japanese_way(
    client, settings, monkeypatch
) -> None:
    await built(
        settings, monkeypatch, "2023-11-14T13:20+09:00", build_badges, ("gate@example.org", "checkin")
    )
    await sign_in(client, "gate@example.org", PASSWORD)
    await client.get("/lang/ja?next=/checkin")
    page = (await client.get("/checkin")).text
    options = re.findall(r"<option value=\"\d+\">([^<]*)</option>", page)
    assert "11月14日(火) 10:00 · 汚泥ワークショップ" in options
    assert not any(re.match(r"^.\s\d+\s\d+月", o) for o in options)  # not "月 13 11月 09:30"
    assert 'data-timezone="Asia/Tokyo"' in page  # the page's script writes times in conference time too
