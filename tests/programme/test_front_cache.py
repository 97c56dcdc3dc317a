"""Public pages and exports answered to visitors from what the normal path answered before (ascc.front_cache,
issue #26): the same bytes as the normal path, each visitor with their own CSRF token, ETag -> 304, no database
statement for a kept answer; a new release, another language and a signed-in person are never given a kept page
that is not theirs."""

from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.exhibitors.models import Solution
from ascc.programme.models import ProgrammeSession
from tests.exhibitors.conftest import build_market
from tests.factories import PASSWORD, make_user
from tests.programme import test_visitor_pages
from tests.programme.conftest import publish
from tests.support.web import sign_in, text_of

VISITOR_PAGES = ["/", "/agenda", "/speakers", "/schedule.json", "/schedule.xml", "/calendar/program.ics"]
ADDED_HEADERS = {"etag", "cache-control", "vary"}  # what the front cache adds where a page had none
site = test_visitor_pages.site  # the published programme of tests/programme/conftest.py (a fixture)
_token_in = test_visitor_pages._token_in


def _headers(response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k != "date"]


def _statements(client) -> list[str]:
    """The SQL statements the app's engine sends from now on."""
    sent: list[str] = []
    engine = client.app.state.session_maker.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


async def test_every_public_page_is_answered_from_the_kept_copy_byte_for_byte(client, site) -> None:
    store = client.app.state.front_cache
    pages = [*VISITOR_PAGES, f"/sessions/{site.parallel}"]
    store.enabled = False
    uncached = {
        path: await client.get(path) for path in pages
    }  # the normal path; the browser keeps its cookie
    token = client.cookies.get("ascc_csrf")
    store.enabled = True
    first = {path: await client.get(path) for path in pages}
    sent = _statements(client)
    hits = store.hits
    again = {path: await client.get(path) for path in pages}
    assert store.hits == hits + len(pages)
    assert sent == []  # a kept answer opens no database session
    for path in pages:
        before, kept = uncached[path], again[path]
        assert (
            (kept.status_code, kept.content)
            == (before.status_code, before.content)
            == (200, first[path].content)
        )
        assert _headers(kept) == _headers(first[path]), path
        # The normal path's headers, and where a page had no validator, an ETag and who may keep it.
        added = dict(_headers(kept)).items() - dict(_headers(before)).items()
        assert {name for name, _ in added} <= ADDED_HEADERS, (path, added)
        if path.endswith((".json", ".xml", ".ics")):
            assert kept.headers["etag"] == before.headers["etag"]
            assert "set-cookie" not in kept.headers and "set-cookie" not in before.headers  # shared caches
        else:
            assert _token_in(kept.text) == token
            assert kept.headers["cache-control"] == "private, no-cache"
            assert kept.headers["vary"] == "Accept-Language, Cookie"
    # The session page's own ETag (rendered once per release, language and day) is the one the cache sends.
    assert (
        uncached[f"/sessions/{site.parallel}"].headers["etag"]
        == again[f"/sessions/{site.parallel}"].headers["etag"]
    )


async def test_each_visitor_gets_their_own_token_and_their_own_304(client, site) -> None:
    first = await client.get("/agenda")
    mine = client.cookies.get("ascc_csrf")
    assert _token_in(first.text) == mine and mine in first.headers["set-cookie"]
    again = await client.get("/agenda", headers={"if-none-match": first.headers["etag"]})
    assert (again.status_code, again.content, again.headers.get("set-cookie")) == (304, b"", None)
    assert again.headers["etag"] == first.headers["etag"] and "content-type" not in again.headers
    client.cookies.clear()
    # Another visitor sending the first one's ETag: their own token, so their own page and a new cookie.
    other = await client.get("/agenda", headers={"if-none-match": first.headers["etag"]})
    theirs = client.cookies.get("ascc_csrf")
    assert other.status_code == 200 and theirs != mine and _token_in(other.text) == theirs
    assert mine not in other.text and mine not in other.headers["set-cookie"]
    # A cookie this site did not sign goes the normal way (which puts it in the page) and is never kept.
    client.cookies.clear()
    forged = "f" * 128
    hits = client.app.state.front_cache.hits
    odd = await client.get("/agenda", headers={"cookie": f"ascc_csrf={forged}"})
    assert _token_in(odd.text) == forged and client.app.state.front_cache.hits == hits
    assert forged not in (await client.get("/agenda")).text


async def test_the_language_chosen_by_cookie_or_browser_gets_its_own_copy(client, site) -> None:
    english = await client.get("/speakers")
    japanese = await client.get("/speakers", headers={"accept-language": "ja,en;q=0.5"})
    assert 'lang="en"' in english.text and 'lang="ja"' in japanese.text
    assert 'lang="ja"' in (await client.get("/speakers", headers={"accept-language": "ja"})).text
    client.cookies.set("ascc_lang", "en")
    assert 'lang="en"' in (await client.get("/speakers", headers={"accept-language": "ja"})).text
    client.cookies.set("ascc_lang", "ja")
    home = await client.get("/")
    assert 'lang="ja"' in home.text and "藤本" not in home.text
    assert 'lang="ja"' in (await client.get(f"/sessions/{site.parallel}")).text


async def test_a_signed_in_person_never_gets_the_visitors_copy(client, site) -> None:
    await make_user(site.session, "reader@example.org", name="Reader Person")
    await site.session.commit()
    for path in ("/agenda", f"/sessions/{site.parallel}", "/speakers", "/"):
        assert "/login" in (await client.get(path)).text  # kept for visitors
    await sign_in(client, "reader@example.org", PASSWORD)
    hits = client.app.state.front_cache.hits
    for path in ("/agenda", f"/sessions/{site.parallel}", "/speakers", "/"):
        page = await client.get(path)
        assert 'action="/logout"' in page.text and _token_in(page.text) == client.cookies.get("ascc_csrf"), (
            path
        )
    assert client.app.state.front_cache.hits == hits
    # An API token passes by it as well (an unknown one: sent to sign in, not given the visitors' page).
    client.cookies.clear()
    refused = await client.get("/agenda", headers={"authorization": "Bearer nothing"}, follow_redirects=False)
    assert refused.status_code == 303 and client.app.state.front_cache.hits == hits


async def test_a_new_release_shows_at_once_to_visitors(client, site) -> None:
    assert "Company solutions: waste" in text_of((await client.get("/agenda?day=2023-11-14")).text)
    etag = (await client.get("/schedule.json")).headers["etag"]
    row = await site.session.get(ProgrammeSession, site.parallel)
    row.title_en = "Company solutions: recycling"
    await site.session.commit()
    await publish(site.session, site.edition_id)
    client.app.state.schedule_cache.invalidate()  # what publishing from the organizer's page does
    assert "Company solutions: recycling" in text_of((await client.get("/agenda?day=2023-11-14")).text)
    assert "Company solutions: recycling" in (await client.get(f"/sessions/{site.parallel}")).text
    fresh = await client.get("/schedule.json", headers={"if-none-match": etag})
    assert fresh.status_code == 200 and "recycling" in fresh.text


async def test_the_directory_shows_a_changed_solution_to_visitors(client, settings) -> None:
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        market = await build_market(session)
        path = "/marketplace?q=sludge"
        for _ in range(2):
            assert "Septage sludge dewatering unit" in text_of((await client.get(path)).text)
        await session.execute(
            update(Solution)
            .where(Solution.id == market.sludge_solution)
            .values(title_en="Septage biosolids unit")
        )
        await session.commit()
    await engine.dispose()
    client.app.state.directory_state.ttl = 0
    assert "Septage biosolids unit" in text_of((await client.get(path)).text)


async def test_a_browser_holding_the_page_lets_it_be_kept_again_once_its_seats_are_read_again(
    client, site
) -> None:
    path = f"/sessions/{site.parallel}"
    etag = (await client.get(path)).headers["etag"]
    store, pages = client.app.state.front_cache, client.app.state.visitor_pages
    pages.ttl = 0  # the seats are due to be read again at once: the kept page no longer holds
    again = await client.get(path, headers={"if-none-match": etag})
    assert (again.status_code, again.headers["etag"]) == (304, etag)
    pages.ttl = 60
    hits = store.hits
    misses = store.misses
    for _ in range(2):  # kept again by the request above (although it asked for a 304): answered from it
        assert (await client.get(path, headers={"if-none-match": etag})).status_code == 304
    assert (store.misses, store.hits) == (misses, hits + 2)
