"""What a refused address says, on both databases: an API client gets a 400 JSON naming the parameter and the
reason, in the account's language; a person gets a page that says the same; nothing is stored. Values at the
very edge (the largest 64-bit integer, a check mark) still get their ordinary answer."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.config import Settings
from ascc.i18n import translate
from tests.factories import PASSWORD, make_edition, make_user
from tests.security.conftest import BASE_URL, app_client
from tests.support.web import sign_in

ORGANIZER = "organizer@example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def _settings(url: str) -> Settings:
    return Settings(database_url=url, auth_rate_limit_per_minute=1000, base_url=BASE_URL)


async def _organizer_token(url: str) -> str:
    """An edition, and an organizer who reads Japanese, with an API token."""
    db.load_models()
    engine = db.create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await make_edition(session)
            organizer = await make_user(session, email=ORGANIZER, role="organizer", preferred_lang="ja")
            token, _ = await accounts.create_api_token(session, organizer.id, "bad input")
            await session.commit()
            return token
    finally:
        await engine.dispose()


async def _row_counts(url: str) -> dict[str, int]:
    tables = db.load_models().sorted_tables
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            query = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
            return dict((await connection.execute(query)).tuples().all())
    finally:
        await engine.dispose()


def _reason(lang: str, name: str) -> str:
    return translate(lang, "error.bad_parameter", name=name)


async def test_an_api_client_is_told_which_parameter_is_refused_and_why(database_url: str) -> None:
    token = await _organizer_token(database_url)
    bearer = {"Authorization": f"Bearer {token}"}
    refused = {
        "/api/v1/needs?q=%00": "q",
        "/api/v1/solutions?country=a%00b": "country",
        "/api/v1/editions/%2500": "slug",  # the test client decodes a path twice: the app sees a NUL
        "/api/v1/needs/9223372036854775808": "need_id",
        "/api/v1/exhibitors/-9223372036854775809": "exhibitor_id",
        "/api/v1/users?offset=99999999999999999999": "offset",
    }
    before = await _row_counts(database_url)
    async with app_client(_settings(database_url)) as client:
        answers = {url: await client.get(url, headers=bearer) for url in refused}
        booking = await client.post("/api/v1/tours/courses/99999999999999999999/booking", headers=bearer)
        edges = [
            await client.get(url, headers=bearer)
            for url in (
                "/api/v1/exhibitors/9223372036854775807",
                "/api/v1/users?offset=9223372036854775807",
                "/api/v1/solutions?q=%E2%9C%93",
            )
        ]
    # In the account's language (this organizer reads Japanese).
    expected = {
        url: (400, {"status_code": 400, "error": "invalid", "detail": _reason("ja", name), "field": name})
        for url, name in refused.items()
    }
    assert {url: (answer.status_code, answer.json()) for url, answer in answers.items()} == expected
    assert (booking.status_code, booking.json()["field"]) == (400, "course_id")
    assert [answer.status_code for answer in edges] == [404, 200, 200]
    assert edges[1].json()["items"] == []
    assert await _row_counts(database_url) == before


async def test_a_person_is_shown_a_page_that_names_the_refused_parameter(database_url: str) -> None:
    await _organizer_token(database_url)
    async with app_client(_settings(database_url)) as client:
        marketplace = await client.get("/marketplace?q=%00")
        in_japanese = await client.get("/marketplace?q=%00", headers={"accept-language": "ja"})
        static = [
            await client.get(f"/static/{name}") for name in ("%2500", "css/app.css%2500.png", "x" * 10_000)
        ]
        still_served = await client.get("/static/css/app.css")
        await sign_in(client, ORGANIZER, PASSWORD)
        registrations = await client.get("/organizer/registrations?q=a%00b")
        # Within 64 bits, but the page's offset (200 a page) is not: the database refuses it, the app says 400.
        far_page = await client.get("/organizer/matching/meetings?page_number=4611686018427387904")
    for response, lang in ((marketplace, "en"), (in_japanese, "ja"), (registrations, "ja")):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert html.escape(_reason(lang, "q"), quote=False) in response.text
    assert [response.status_code for response in static] == [400, 400, 404]
    assert far_page.status_code == 400
    assert html.escape(translate("ja", "error.400_text"), quote=False) in far_page.text
    assert still_served.status_code == 200
