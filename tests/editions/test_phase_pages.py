"""Where the edition stands, as everyone sees it: the home page, the edition's page and the editions API, in
both languages, as the clock moves through the year."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from tests.factories import make_edition
from tests.support.web import text_of

DATES = {
    "registration_opens_on": date(2023, 9, 1),
    "registration_closes_on": date(2023, 11, 10),
    "meeting_requests_close_on": date(2023, 11, 14),
}


@pytest.fixture
async def dated(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await make_edition(session, "ascc2023", status="live", **DATES)
    await engine.dispose()


def _phase(html: str) -> str:
    start = html.index('data-testid="edition-phase"')
    return text_of(html[html.index(">", start) + 1 : html.index("</span>", start)])


@pytest.mark.parametrize(
    ("now", "english", "japanese"),
    [
        ("2023-08-20T10:00+09:00", "Registration opens on 1 September 2023", "参加登録は2023年9月1日から"),
        (
            "2023-10-20T10:00+09:00",
            "Registration open until 10 November 2023",
            "参加登録受付中（2023年11月10日まで）",
        ),
        (
            "2023-11-11T10:00+09:00",
            "Registration closed on 10 November 2023",
            "参加登録は2023年11月10日に締切",
        ),
        ("2023-11-14T10:00+09:00", "Live now", "開催中"),
        ("2023-12-01T10:00+09:00", "Ended on 15 November 2023", "2023年11月15日に終了"),
    ],
)
async def test_home_says_where_the_edition_stands(client, dated, monkeypatch, now, english, japanese) -> None:
    monkeypatch.setenv("ASCC_NOW", now)
    assert _phase((await client.get("/", headers={"accept-language": "en"})).text) == english
    assert _phase((await client.get("/", headers={"accept-language": "ja"})).text) == japanese


async def test_edition_page_and_api_carry_the_dates_and_the_phase(client, dated, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-12-01T10:00+09:00")
    page = (await client.get("/editions/ascc2023", headers={"accept-language": "en"})).text
    assert _phase(page) == "Ended on 15 November 2023"
    assert "Ended on 15 November 2023" in text_of((await client.get("/editions")).text)
    facts = text_of(page)
    assert "Last day of registration 10 November 2023" in facts
    assert "Last day for meeting requests 14 November 2023" in facts
    current = (await client.get("/api/v1/editions/current")).json()
    assert current["registration_opens_on"] == "2023-09-01"
    assert current["registration_closes_on"] == "2023-11-10"
    assert (current["phase"], current["registration"], current["meeting_requests"]) == (
        "ended",
        "ended",
        "ended",
    )
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")
    current = (await client.get("/api/v1/editions/current")).json()
    assert (current["phase"], current["registration"], current["meeting_requests"]) == (
        "registration_open_until",
        "open",
        "open",
    )
