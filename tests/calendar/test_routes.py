"""Calendars as people use them over HTTP: the feed's API and page, the secret URL read by a calendar app
(no cookies), rotation and revocation taking effect at once despite the feed cache, 404 without hints for
any bad token, ETag on the feed, and per-item files for sessions, tour courses and meetings."""

from __future__ import annotations

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from tests.calendar.conftest import PASSWORD, build_calendar
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_calendar(session)
        w.tokens = {}
        for name in ("official", "bank"):
            w.tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
    await engine.dispose()
    return w


def bearer(w, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.tokens[who]}"}


def path_of(url: str) -> str:
    return url.split("testserver.local", 1)[1]


async def test_feed_api_gives_https_and_webcal_addresses_that_serve_my_plan(client, world) -> None:
    answer = await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))
    assert answer.status_code == 200
    urls = answer.json()
    assert urls["url"].startswith("http://testserver.local/calendar/feed/")
    assert urls["webcal"] == urls["url"].replace("http://", "webcal://")
    assert (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json() == urls
    client.cookies.clear()
    response = await client.get(path_of(urls["url"]))  # a calendar app: no cookie, no token header
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"].startswith("private")
    events = IcsCalendarStream.calendar_from_ics(response.text).events
    assert sorted(e.uid.split("@")[0] for e in events) == sorted(
        [
            f"session-{world.talk}",
            f"session-{world.panel}",
            f"tour-course-{world.bus}",
            f"meeting-{world.meeting}",
        ]
    )
    assert icalendar.Calendar.from_ical(response.content).walk("VTIMEZONE")[0]["TZID"] == "Asia/Tokyo"


async def test_one_persons_address_never_shows_anothers_plan(client, world) -> None:
    mine = (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json()["url"]
    theirs = (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "bank"))).json()["url"]
    assert mine != theirs
    bank_feed = await client.get(path_of(theirs))
    assert IcsCalendarStream.calendar_from_ics(bank_feed.text).events == []
    assert "Sludge workshop" not in bank_feed.text


async def test_feed_api_needs_a_signed_in_person(client, world) -> None:
    assert (await client.get("/api/v1/me/calendar-feed")).status_code == 401
    assert (await client.post("/api/v1/me/calendar-feed/rotate")).status_code == 401


async def test_rotated_address_answers_404_at_once_and_the_new_one_works(client, world) -> None:
    old = (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json()["url"]
    assert (await client.get(path_of(old))).status_code == 200  # now in the feed cache
    rotated = await client.post("/api/v1/me/calendar-feed/rotate", headers=bearer(world, "official"))
    assert rotated.status_code == 200
    new = rotated.json()["url"]
    assert new != old
    assert (await client.get(path_of(old))).status_code == 404
    assert (await client.get(path_of(new))).status_code == 200


async def test_revoked_address_answers_404_and_a_new_one_can_be_had(client, world) -> None:
    old = (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json()["url"]
    assert (await client.get(path_of(old))).status_code == 200
    assert (
        await client.delete("/api/v1/me/calendar-feed", headers=bearer(world, "official"))
    ).status_code == 204
    assert (await client.get(path_of(old))).status_code == 404
    again = (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json()["url"]
    assert again != old
    assert (await client.get(path_of(again))).status_code == 200


@pytest.mark.parametrize(
    "token",
    # (A NUL is refused before any lookup, alike for every token: tests/security/test_bad_input*.py.)
    ["nope", "A" * 32, "%3Cscript%3E", "%E6%97%A5%E6%9C%AC" * 8, "A" * 3000, "..%2F..%2Fetc"],
)
async def test_bad_tokens_get_the_same_404_without_hints(client, world, token: str) -> None:
    revoked = (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json()["url"]
    await client.delete("/api/v1/me/calendar-feed", headers=bearer(world, "official"))
    nowhere = await client.get("/no/such/page")
    for path in (f"/calendar/feed/{token}/calendar.ics", path_of(revoked)):
        response = await client.get(path)
        assert (response.status_code, text_of(response.text)) == (404, text_of(nowhere.text))


async def test_feed_answers_304_to_a_calendar_that_has_this_version(client, world) -> None:
    url = path_of(
        (await client.get("/api/v1/me/calendar-feed", headers=bearer(world, "official"))).json()["url"]
    )
    first = await client.get(url)
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


async def test_calendar_page_shows_the_address_the_plan_and_rotates(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get("/calendar")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Sludge workshop / 汚泥ワークショップ" in text
    assert "Business meeting / 商談: Maria Reyes × Aiko Staff" in text
    before = (await client.get("/api/v1/me/calendar-feed")).json()["url"]
    assert f'value="{before}"' in page.text
    assert 'href="webcal://testserver.local/calendar/feed/' in page.text
    rotated = await post_form(client, "/calendar/rotate", {})
    assert rotated.status_code == 303
    after = await client.get(rotated.headers["location"])
    assert "The old one no longer works" in text_of(after.text)
    assert before not in after.text


async def test_per_item_files_for_a_session_a_tour_course_and_my_meeting(client, world) -> None:
    session_ics = await client.get(f"/sessions/{world.talk}/calendar.ics")
    assert session_ics.headers["content-disposition"] == f'attachment; filename="session-{world.talk}.ics"'
    [talk] = IcsCalendarStream.calendar_from_ics(session_ics.text).events
    assert talk.summary == "Sludge workshop / 汚泥ワークショップ"
    course_ics = await client.get(f"/tours/courses/{world.bus}/calendar.ics")
    [bus] = IcsCalendarStream.calendar_from_ics(course_ics.text).events
    assert bus.uid.startswith(f"tour-course-{world.bus}@")
    assert (await client.get(f"/tours/courses/{world.bus + 999}/calendar.ics")).status_code == 404
    meeting_ics = await client.get(
        f"/matching/meetings/{world.meeting}/calendar.ics", headers=bearer(world, "official")
    )
    [meeting] = IcsCalendarStream.calendar_from_ics(meeting_ics.text).events
    assert meeting.location.startswith("Table 1")
    assert "Aiko Staff" in meeting.description  # the other party


async def test_a_meeting_file_is_only_for_its_parties(client, world) -> None:
    path = f"/matching/meetings/{world.meeting}/calendar.ics"
    assert (await client.get(path, headers=bearer(world, "bank"))).status_code == 404
    anonymous = await client.get(path)
    assert anonymous.url.path == "/login"  # sent to sign in first


async def feed_url_of(client, world, who: str) -> str:
    return path_of((await client.get("/api/v1/me/calendar-feed", headers=bearer(world, who))).json()["url"])


async def test_a_deleted_accounts_feed_answers_404(client, world, settings) -> None:
    url = await feed_url_of(client, world, "official")
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await accounts.anonymize(session, world.official)
        await session.commit()
    await engine.dispose()
    await client.app.stores.get("cache").delete_all()  # as when the cached copy expires
    assert (await client.get(url)).status_code == 404


async def test_a_rebuilt_feed_of_the_same_plan_keeps_its_etag(client, world) -> None:
    url = await feed_url_of(client, world, "official")
    first = await client.get(url)
    await client.app.stores.get("cache").delete_all()  # the cached copy expired: the feed is built again
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


async def test_a_weak_etag_from_a_proxy_still_gets_304(client, world) -> None:
    first = await client.get("/schedule.json")
    again = await client.get("/schedule.json", headers={"If-None-Match": "W/" + first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/calendar/program.ics", "/schedule.xml"])
async def test_exports_built_again_by_another_worker_have_the_same_etag(client, world, path) -> None:
    first = await client.get(path)
    client.app.state.calendar_exports._items.clear()  # as a second worker, or after a restart, builds it anew
    assert (await client.get(path)).headers["etag"] == first.headers["etag"]


async def test_links_in_calendar_events_lead_to_real_pages(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    feed = await client.get(await feed_url_of(client, world, "official"))
    for event in IcsCalendarStream.calendar_from_ics(feed.text).events:
        page = await client.get(path_of(event.url))
        assert page.status_code == 200, event.url


async def test_two_people_with_plans_each_see_only_their_own(client, world, settings) -> None:
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        from ascc.editions import services as editions
        from ascc.matching import meeting_requests

        edition = await editions.get_by_id(session, world.edition_id)
        theirs = await meeting_requests.send_request(
            session, edition, world.bank, {"recipient_id": world.company}, "http://x"
        )
        await meeting_requests.answer(
            session, edition, theirs.id, world.company, "accept", {"slot_id": str(world.slots[1])}, "http://x"
        )
        await session.commit()
    await engine.dispose()
    uids = {}
    for who in ("official", "bank"):
        feed = await client.get(await feed_url_of(client, world, who))
        uids[who] = {e.uid.split("@")[0] for e in IcsCalendarStream.calendar_from_ics(feed.text).events}
    assert uids["bank"] == {f"meeting-{theirs.id}"}
    assert f"meeting-{theirs.id}" not in uids["official"] and f"meeting-{world.meeting}" in uids["official"]


async def test_organizers_see_which_mail_carries_an_invitation(client, world, settings) -> None:
    from ascc.mail import services as mail

    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
        )
        [scheduled] = [m for m in await mail.messages_to(session, "official@example.org") if m.invitation]
        await session.commit()
    await engine.dispose()
    await sign_in(client, "org@example.org", PASSWORD)
    page = await client.get(f"/organizer/outbox/{scheduled.id}")
    assert "Calendar invitation REQUEST · Business meeting / 商談: Maria Reyes × Aiko Staff" in text_of(
        page.text
    )


async def test_organizer_moving_the_tables_sends_both_parties_an_updated_invitation(
    client, world, settings
) -> None:
    from ascc.mail import services as mail
    from tests.matching.conftest import SESSION

    engine = create_engine(settings.database_url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
        )
        await session.commit()
    await sign_in(client, "org@example.org", PASSWORD)
    form = {**SESSION, "location_en": "Hall C (3F)", "location_ja": "ホールC（3階）"}
    saved = await post_form(client, f"/organizer/matching/sessions/{world.session_id}", form)
    assert saved.status_code == 303
    async with maker() as session:
        for address in ("official@example.org", "staff-a@example.org"):
            sent = [m for m in await mail.messages_to(session, address) if m.invitation]
            first, changed = sent[0], sent[-1]
            assert changed.kind == "meeting_place_changed"
            assert changed.invitation["item"]["location"].startswith("Table 1, Hall C (3F)")
            assert changed.invitation["item"]["uid"] == first.invitation["item"]["uid"]
            assert changed.invitation["sequence"] > first.invitation["sequence"]
    await engine.dispose()
