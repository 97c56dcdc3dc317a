"""The agenda's search covers every day, its results grouped by day, and clearing keeps the chosen day
(issue #25 item 6)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from tests.programme.conftest import build_programme, publish
from tests.support.web import text_of

DAY2 = "2023-11-14"
DAY3 = "2023-11-15"


@pytest.fixture
async def site(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_programme(session)
        await publish(session, built.edition_id)
        yield built
    await engine.dispose()


def _titles(html: str) -> list[str]:
    return re.findall(r'<h4 class="session-title"><a href="/sessions/\d+">([^<]+)</a>', html)


def _clear_link(html: str) -> str:
    match = re.search(r'<a id="agenda-clear" href="([^"]+)"', html)
    assert match, "no Clear filters link"
    return match.group(1).replace("&amp;", "&")


async def test_search_on_one_day_finds_sessions_of_every_day_grouped_by_day(client, site) -> None:
    page = await client.get(f"/agenda?day={DAY2}&q=plenary")
    assert _titles(page.text) == ["Closing plenary"]  # on the 15th, searched from the 14th
    assert "No session matches" not in text_of(page.text)
    assert "The search covers every day." in text_of(page.text)
    assert re.search(r'<h2 class="day-heading">[^<]*15[^<]*</h2>', page.text)
    # Over htmx too, and a search matching several days lists each day under its heading.
    partial = await client.get(f"/agenda?day={DAY3}&q=%E4%BC%9A", headers={"HX-Request": "true"})  # 会
    assert _titles(partial.text) == ["Company solutions: waste", "Closing plenary"]
    assert partial.text.count('class="day-heading"') == 2
    # The day searched from is kept: the form still names it and "back" returns to it without the search.
    assert f'id="day-input" value="{DAY3}"' in partial.text
    assert f'href="/agenda?day={DAY3}"' in partial.text


async def test_clear_filters_keeps_the_chosen_day(client, site) -> None:
    page = await client.get(f"/agenda?day={DAY3}&kind=keynote&q=VLR")
    assert _clear_link(page.text) == f"/agenda?day={DAY3}"
    cleared = await client.get(_clear_link(page.text))
    assert _titles(cleared.text) == ["Closing plenary"]
    # Changing day over htmx updates the link too (swapped out of band).
    partial = await client.get(f"/agenda?day={DAY2}&kind=keynote", headers={"HX-Request": "true"})
    assert re.search(rf'<a id="agenda-clear" href="/agenda\?day={DAY2}" hx-swap-oob="true">', partial.text)
    empty = await client.get(f"/agenda?day={DAY3}&kind=keynote")
    assert "No session matches" in text_of(empty.text)
    assert f'<a href="/agenda?day={DAY3}">Clear filters</a>' in empty.text
    assert _clear_link((await client.get("/agenda?day=all&kind=keynote")).text) == "/agenda?day=all"
