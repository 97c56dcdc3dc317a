"""A session's page as visitors who are not signed in get it: from the published programme, with their own CSRF
token, 304 to a browser that holds it, and the seats of a moment ago (issue #26)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.registration import registering
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.web import post_form, sign_in, text_of


@pytest.fixture
async def site(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_programme(session)
        await publish(session, built.edition_id)
        built.session = session
        yield built
    await engine.dispose()


def _token_in(html: str) -> str:
    found = re.search(r'"x-csrftoken": "([^"]*)"', html)
    assert found, html[:500]
    return found.group(1)


async def test_a_returning_visitor_gets_304_and_each_visitor_their_own_token(client, site) -> None:
    first = await client.get(f"/sessions/{site.parallel}")
    assert first.status_code == 200 and "Company solutions: waste" in first.text
    # The page carries the visitor's own token, although it was rendered for every visitor.
    assert _token_in(first.text) == client.cookies.get("ascc_csrf")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await client.get(f"/sessions/{site.parallel}", headers={"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    # A proxy may have weakened the tag; another visitor (another token) gets the page, with their token.
    weak = await client.get(f"/sessions/{site.parallel}", headers={"if-none-match": f"W/{etag}"})
    assert weak.status_code == 304
    client.cookies.clear()
    other = await client.get(f"/sessions/{site.parallel}", headers={"if-none-match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    assert _token_in(other.text) == client.cookies.get("ascc_csrf") != _token_in(first.text)
    japanese = await client.get(f"/sessions/{site.parallel}", headers={"accept-language": "ja"})
    assert japanese.headers["etag"] != other.headers["etag"] and 'lang="ja"' in japanese.text


async def test_visitors_see_a_seat_taken_once_the_page_is_read_again(client, site) -> None:
    user = await make_user(site.session, "seated@example.org")
    await registering.register(
        site.session,
        site.edition_id,
        user.id,
        registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
        BASE,
        notify=False,
    )
    await site.session.commit()
    assert "2 of 2 places left." in text_of((await client.get(f"/sessions/{site.parallel}")).text)
    await sign_in(client, "seated@example.org", PASSWORD)
    assert (await post_form(client, f"/sessions/{site.parallel}/signup", {})).status_code == 200
    # The person who took it sees it at once; visitors within the page's two seconds (here: at once).
    assert "1 of 2 places left." in text_of((await client.get(f"/sessions/{site.parallel}")).text)
    client.cookies.clear()
    client.app.state.visitor_pages.ttl = 0
    assert "1 of 2 places left." in text_of((await client.get(f"/sessions/{site.parallel}")).text)
