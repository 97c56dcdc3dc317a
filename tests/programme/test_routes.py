"""Programme pages and API as visitors, delegates, organizers and API clients use them."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import auth
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.programme import materials, session_editing
from ascc.registration import registering
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import BASE, build_programme, publish, session_form
from tests.support.web import post_form as _post_form
from tests.support.web import sign_in, text_of

DAY2 = "2023-11-14"


async def post_form(client, url: str, data: dict, **kwargs):
    """A form post that shows the redirect instead of following it."""
    return await _post_form(client, url, data, follow_redirects=False, **kwargs)


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


def _titles(html: str) -> list[str]:
    return re.findall(r'<h4 class="session-title"><a href="/sessions/\d+">([^<]+)</a>', html)


def _starts(html: str) -> list[str]:
    return re.findall(r'data-testid="start">(\d\d:\d\d)<', html)


async def test_agenda_shows_a_day_with_its_sessions_in_edition_time(client, site) -> None:
    response = await client.get(f"/agenda?day={DAY2}")
    assert response.status_code == 200
    assert _titles(response.text) == [
        "Keynote on VLRs",
        "Thematic session: water",
        "Company solutions: waste",
    ]
    assert _starts(response.text) == ["09:00", "10:00", "10:30"]
    assert "3 sessions · times in Asia/Tokyo" in text_of(response.text)
    # Days are tabs that keep the filters.
    assert 'href="/agenda?day=2023-11-15"' in response.text


async def test_agenda_filters_come_from_the_url_and_unknown_values_are_ignored(client, site) -> None:
    response = await client.get(f"/agenda?day={DAY2}&track={site.tracks.water}&interpretation=1")
    assert _titles(response.text) == ["Thematic session: water"]
    assert re.search(rf'name="track" value="{site.tracks.water}" checked', response.text)
    response = await client.get(f"/agenda?day={DAY2}&lang=ja&kind=business_exchange&kind=keynote")
    assert _titles(response.text) == ["Keynote on VLRs", "Company solutions: waste"]
    response = await client.get("/agenda?day=all&q=藤本")
    assert _titles(response.text) == ["Company solutions: waste"]
    hostile = "/agenda?track=abc&track=99999&kind=%3Cscript%3E&sdg=99&lang=fr&day=2023-02-31&tz=Mars%2FOlympus&format=x"
    response = await client.get(hostile)
    assert response.status_code == 200
    assert "<script>" not in response.text


async def test_agenda_filter_over_htmx_answers_only_the_results(client, site) -> None:
    response = await client.get(f"/agenda?day={DAY2}&sector=waste", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="day-input"' in response.text and 'hx-swap-oob="true"' in response.text
    assert _titles(response.text) == ["Company solutions: waste"]


async def test_time_zone_switch_shows_the_viewers_own_times(client, site) -> None:
    response = await client.get(f"/agenda?day={DAY2}&tz=Asia/Bangkok")
    assert _starts(response.text) == ["07:00", "08:00", "08:30"]
    assert "times in Asia/Bangkok" in text_of(response.text)
    assert '<option value="Asia/Bangkok" selected>' in response.text


async def test_api_lists_filters_and_pages_published_sessions(client, site) -> None:
    response = await client.get(f"/api/v1/sessions?day={DAY2}&per_page=2&page=2&tz=Asia/Bangkok")
    body = response.json()
    assert (body["total"], body["page"], body["per_page"], body["release"]) == (3, 2, 2, 1)
    assert [s["title_en"] for s in body["items"]] == ["Company solutions: waste"]
    assert body["items"][0]["starts_at"] == "2023-11-14T08:30:00+07:00"
    assert body["items"][0]["signup_required"] is True
    one = (await client.get(f"/api/v1/sessions/{site.keynote}")).json()
    assert (one["people"][0]["name"], one["people"][0]["role"], one["sdgs"]) == (
        "Priya Raman",
        "speaker",
        ["11", "17.17"],
    )
    assert (await client.get("/api/v1/sessions/999999")).status_code == 404
    assert [t["name_en"] for t in (await client.get("/api/v1/tracks")).json()] == ["Water", "Energy"]
    assert [r["name_en"] for r in (await client.get("/api/v1/rooms")).json()] == ["Main Hall", "Room G401"]
    assert (await client.get("/api/v1/sessions?track=zzz&sdg=0")).json()["total"] == 4


async def test_my_agenda_api_saves_removes_and_reports_clashes(client, site) -> None:
    user = await make_user(site.session, "api@example.org")
    raw, _ = await accounts.create_api_token(site.session, user.id)
    await site.session.commit()
    auth = {"Authorization": f"Bearer {raw}"}
    assert (await client.post(f"/api/v1/me/agenda/{site.water}")).status_code == 401
    assert (await client.post(f"/api/v1/me/agenda/{site.water}", headers=auth)).status_code == 201
    assert (await client.post(f"/api/v1/me/agenda/{site.water}", headers=auth)).status_code == 200
    assert (await client.post(f"/api/v1/me/agenda/{site.parallel}", headers=auth)).status_code == 201
    assert (await client.post("/api/v1/me/agenda/999999", headers=auth)).status_code == 404
    agenda = (await client.get("/api/v1/me/agenda", headers=auth)).json()
    assert [(i["session"]["id"], i["clash"]) for i in agenda["items"]] == [
        (site.water, True),
        (site.parallel, True),
    ]
    assert (await client.delete(f"/api/v1/me/agenda/{site.parallel}", headers=auth)).status_code == 204
    agenda = (await client.get("/api/v1/me/agenda", headers=auth)).json()
    assert [(i["session"]["id"], i["clash"]) for i in agenda["items"]] == [(site.water, False)]


async def test_saving_overlapping_sessions_shows_the_clash_on_my_agenda(client, site) -> None:
    await make_user(site.session, "me@example.org", name="Nguyễn Thị Lan")
    await sign_in(client, "me@example.org", PASSWORD)
    page = await client.get(f"/agenda?day={DAY2}")
    assert f'data-testid="save-{site.water}"' in page.text
    response = await post_form(client, f"/sessions/{site.water}/save", {"next": "/agenda"})
    assert (response.status_code, response.headers["location"]) == (303, "/agenda")
    fragment = await post_form(client, f"/sessions/{site.parallel}/save", {}, headers={"HX-Request": "true"})
    assert "In my agenda" in fragment.text and "<html" not in fragment.text
    mine = await client.get("/my-agenda")
    assert 'data-testid="clash-warning"' in mine.text
    assert text_of(mine.text).count("Clash") == 2
    printed = await client.get("/my-agenda/print")
    assert "Nguyễn Thị Lan" in printed.text and "Company solutions: waste" in printed.text
    await post_form(client, f"/sessions/{site.parallel}/remove", {})
    assert 'data-testid="clash-warning"' not in (await client.get("/my-agenda")).text


async def test_session_page_signs_up_and_queues(client, site) -> None:
    for n in range(3):
        user = await make_user(site.session, f"p{n}@example.org")
        await registering.register(
            site.session,
            site.edition_id,
            user.id,
            registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
            BASE,
            notify=False,
        )
    await site.session.commit()
    anonymous = await client.get(f"/sessions/{site.parallel}")
    assert "2 of 2 places left." in text_of(anonymous.text)
    for n in range(3):
        await sign_in(client, f"p{n}@example.org", PASSWORD)
        response = await post_form(client, f"/sessions/{site.parallel}/signup", {})
        assert response.status_code == 303
    page = await client.get(f"/sessions/{site.parallel}")
    assert "You are number 1 on the waiting list" in text_of(page.text)
    await post_form(client, f"/sessions/{site.parallel}/cancel-signup", {})
    after = text_of((await client.get(f"/sessions/{site.parallel}")).text)
    assert "All 2 places are taken; 0 on the waiting list." in after and "Join the waiting list" in after


async def test_my_agenda_keeps_a_space_between_the_room_and_the_seat_badge(client, site) -> None:
    """Copied or read aloud, the line said "Room G401Seat" (#25): the templates trim the newline after a tag."""
    user = await make_user(site.session, "seated@example.org")
    registration = registering.RegistrationInput(organization="Cebu City", privacy_accepted=True)
    await registering.register(site.session, site.edition_id, user.id, registration, BASE, notify=False)
    await site.session.commit()
    await sign_in(client, "seated@example.org", PASSWORD)
    assert (await post_form(client, f"/sessions/{site.parallel}/signup", {})).status_code == 303
    html = (await client.get("/my-agenda")).text
    meta = re.search(rf'data-session-id="{site.parallel}">\s*<p class="session-meta">(.*?)</p>', html, re.S)
    assert meta is not None
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", meta.group(1))).endswith("· Room G401 Seat")


async def test_session_page_explains_who_may_not_take_a_seat_and_warns_of_clashes(client, site) -> None:
    await make_user(site.session, "unregistered@example.org")
    online = await make_user(site.session, "online@example.org")
    await registering.register(
        site.session,
        site.edition_id,
        online.id,
        registering.RegistrationInput(mode="online", organization="Cebu City", privacy_accepted=True),
        BASE,
        notify=False,
    )
    await site.session.commit()
    await sign_in(client, "unregistered@example.org", PASSWORD)
    page = await client.get(f"/sessions/{site.parallel}")
    assert 'data-testid="signup-refusal"' in page.text and 'href="/register"' in page.text
    assert "Take a seat" not in page.text
    await sign_in(client, "online@example.org", PASSWORD)
    await post_form(client, f"/sessions/{site.water}/save", {})
    page = await client.get(f"/sessions/{site.parallel}")
    assert "You are registered to attend online" in text_of(page.text)
    # The session overlaps with the water session already in this agenda.
    assert 'data-testid="session-clash"' in page.text and "Thematic session: water" in text_of(page.text)
    refused = await post_form(client, f"/sessions/{site.parallel}/signup", {})
    assert refused.status_code == 409 and 'data-testid="session-error"' in refused.text


async def test_session_page_shows_materials_only_until_their_date(client, site) -> None:
    await materials.add_material(
        site.session,
        site.edition_id,
        site.water,
        {"title": "Old slides", "available_until": "2023-11-09"},
        ("old.pdf", b"%PDF-1.4 old"),
    )
    current = await materials.add_material(
        site.session,
        site.edition_id,
        site.water,
        {"title": "スライド", "available_until": "2024-01-31"},
        ("slides.pdf", b"%PDF-1.4 new"),
    )
    old = (await session_editing.get_session(site.session, site.edition_id, site.water)).materials[0]
    await site.session.commit()
    page = await client.get(f"/sessions/{site.water}")
    assert "スライド" in page.text and "Old slides" not in page.text
    download = await client.get(f"/sessions/{site.water}/materials/{current.id}")
    assert (download.status_code, download.content, download.headers["content-type"]) == (
        200,
        b"%PDF-1.4 new",
        "application/pdf",
    )
    assert (await client.get(f"/sessions/{site.water}/materials/{old.id}")).status_code == 404
    ics = await client.get(f"/sessions/{site.water}/calendar.ics")
    assert (
        ics.status_code == 200
        and "BEGIN:VTIMEZONE" in ics.text
        and "TZID=Asia/Tokyo:20231114T100000" in ics.text
    )
    assert "DTSTAMP:" in ics.text and "SEQUENCE:1" in ics.text
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"


async def test_speaker_pages_list_their_sessions(client, site) -> None:
    listing = await client.get("/speakers")
    assert "Nguyễn Thị Lan" in listing.text
    page = await client.get("/speakers/priya-raman")
    assert "Keynote on VLRs" in page.text
    assert (await client.get("/speakers/nobody")).status_code == 404


async def _organizer(client, site) -> None:
    await make_user(site.session, "org@example.org", role="organizer")
    await sign_in(client, "org@example.org", PASSWORD)


def _form(site, **changes) -> dict:
    data = vars(session_form(room_id=str(site.rooms[1]), start="13:00", end="14:00"))
    data.update(changes)
    return data


async def test_organizer_form_shows_errors_and_warnings_and_saves_when_confirmed(client, site) -> None:
    await _organizer(client, site)
    bad = await post_form(
        client,
        "/organizer/programme/sessions/new",
        _form(site, start="14:00", end="13:00", room_id="424242", track_id="x"),
    )
    assert bad.status_code == 422
    text = text_of(bad.text)
    assert "The session must end after it starts." in text
    assert (
        "Choose a room of this edition from the list." in text
        and "Choose a track of this edition from the list." in text
    )
    clash = _form(site, room_id=str(site.rooms[0]), start="09:30", end="10:30", title_en="Overlap")
    warned = await post_form(client, "/organizer/programme/sessions/new", clash)
    assert warned.status_code == 409
    assert "The room is also used by “Keynote on VLRs” at the same time." in text_of(warned.text)
    assert 'value="Overlap"' in warned.text  # what was typed is kept
    saved = await post_form(client, "/organizer/programme/sessions/new", {**clash, "confirm_warnings": "1"})
    assert saved.status_code == 303
    overview = await client.get("/organizer/programme/")
    assert 'data-testid="warnings"' in overview.text and "Changes not yet public: 1" in text_of(overview.text)


async def test_publishing_updates_the_public_agenda_at_once_and_lists_the_change(
    client, site, inputs
) -> None:
    await _organizer(client, site)
    hostile = inputs["hostile"][0] + " " + inputs["unicode_traps"][2]
    long_abstract = "脱炭素 🌏 " * 3000
    row = await session_editing.get_session(site.session, site.edition_id, site.water)
    form = {
        **_form(site),
        **{k: v for k, v in vars(session_editing.form_of(row, ZoneInfo("Asia/Tokyo"))).items()},
    }
    form.update(title_en=hostile, abstract_en=long_abstract)
    assert (await client.get(f"/agenda?day={DAY2}")).text.count(
        "Thematic session: water"
    ) == 1  # cached before
    response = await post_form(client, f"/organizer/programme/sessions/{site.water}", form)
    assert response.status_code == 303, text_of(response.text)[:300]
    assert "Thematic session: water" in (await client.get(f"/agenda?day={DAY2}")).text  # not public yet
    published = await post_form(client, "/organizer/programme/publish", {"note": "Title fixed"})
    assert published.status_code == 303
    agenda = await client.get(f"/agenda?day={DAY2}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in agenda.text and "<script>alert(1)" not in agenda.text
    assert "👩🏽\u200d💼" in agenda.text
    page = await client.get(f"/sessions/{site.water}")
    assert long_abstract.strip() in page.text
    changes = await client.get("/programme/changes")
    assert "Title fixed" in changes.text and "title" in text_of(changes.text)


async def test_organizer_pages_are_for_organizers_only(client, site) -> None:
    await make_user(site.session, "d@example.org")
    assert (await client.get("/organizer/programme/", follow_redirects=False)).status_code in (302, 303)
    await sign_in(client, "d@example.org", PASSWORD)
    for url in (
        "/organizer/programme/",
        "/organizer/programme/tracks",
        "/organizer/programme/speakers",
        f"/organizer/programme/sessions/{site.water}",
    ):
        assert (await client.get(url)).status_code == 403
    assert (await post_form(client, "/organizer/programme/publish", {})).status_code == 403


async def test_organizer_manages_tracks_rooms_and_speakers(client, site) -> None:
    await _organizer(client, site)
    assert (
        await post_form(
            client,
            "/organizer/programme/tracks",
            {"name_en": "Mobility", "name_ja": "モビリティ", "colour": "red"},
        )
    ).status_code == 422
    assert (
        await post_form(
            client,
            "/organizer/programme/tracks",
            {"name_en": "Mobility", "name_ja": "モビリティ", "colour": "#aa3300"},
        )
    ).status_code == 303
    assert (
        await post_form(
            client,
            "/organizer/programme/rooms",
            {"name_en": "Room G403", "name_ja": "会議室 G403", "capacity": "-5"},
        )
    ).status_code == 422
    assert (
        await post_form(
            client,
            "/organizer/programme/rooms",
            {"name_en": "Room G403", "name_ja": "会議室 G403", "capacity": "80", "hybrid": "1"},
        )
    ).status_code == 303
    places = await client.get("/organizer/programme/tracks")
    assert "Mobility" in places.text and "会議室 G403" in places.text
    created = await post_form(
        client, "/organizer/programme/speakers/new", {"name": "佐藤", "name_local": "佐藤 遥"}
    )
    assert created.status_code == 422 and "Latin letters" in text_of(created.text)
    created = await post_form(
        client,
        "/organizer/programme/speakers/new",
        {"name": "Haruka Sato", "name_local": "佐藤 遥", "bio_en": "Engineer."},
    )
    assert created.status_code == 303
    photo = await client.post(
        created.headers["location"].split("?")[0] + "/photo",
        files={"photo": ("x.gif", b"GIF89a....", "image/gif")},
        data={"_csrf_token": client.cookies.get("ascc_csrf")},
        follow_redirects=False,
    )
    assert photo.status_code == 415 and "PNG, JPEG or WebP" in text_of(photo.text)
    # A phone photo over the 2 MB limit (#25): the page again with the message beside the field, not a bare 413.
    speaker_page = created.headers["location"].split("?")[0]
    assert "PNG, JPEG or WebP, up to 2 MB." in text_of((await client.get(speaker_page)).text)
    photo = await client.post(
        speaker_page + "/photo",
        files={"photo": ("IMG_0042.jpg", b"\xff\xd8\xff" + b"0" * (6 * 1024 * 1024), "image/jpeg")},
        data={"_csrf_token": client.cookies.get("ascc_csrf")},
        follow_redirects=False,
    )
    assert photo.status_code == 413 and 'id="f-photo"' in photo.text
    assert "The file is too large: at most 2 MB." in text_of(photo.text)


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args, **kwargs) -> None:
        self.count += 1


async def _agenda_queries(client, site, extra_sessions: int) -> int:
    edition = await db_edition(site)
    for n in range(extra_sessions):
        await session_editing.save_session(
            site.session,
            edition,
            None,
            session_form(title_en=f"Extra {n}", start=f"{8 + n % 10:02d}:00", end=f"{8 + n % 10:02d}:30"),
            confirmed=True,
        )
    await publish(site.session, site.edition_id)
    client.app.state.schedule_cache.invalidate()
    for kept in (
        auth._sessions,
        editions._kept_current,
    ):  # both counts start with the person and the edition unread
        kept._items.clear()
    counter = QueryCounter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        assert (await client.get("/my-agenda")).status_code == 200
        assert (await client.get(f"/agenda?day={DAY2}")).status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    return counter.count


async def db_edition(site):
    return await editions.get_by_id(site.session, site.edition_id)


async def test_agenda_query_count_does_not_grow_with_the_programme(client, site, monkeypatch) -> None:
    for kept in (auth._sessions, editions._kept_current):  # however slow this machine is today
        monkeypatch.setattr(kept, "ttl", 3600.0)
    await make_user(site.session, "q@example.org")
    await sign_in(client, "q@example.org", PASSWORD)
    few = await _agenda_queries(client, site, 0)
    many = await _agenda_queries(client, site, 40)
    assert many == few
    assert few <= 12


def _page_token(html: str) -> str:
    return re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', html).group(1)


async def test_cached_agenda_page_carries_each_visitors_own_csrf_token(client, site) -> None:
    first = await client.get(f"/agenda?day={DAY2}")
    first_token = client.cookies.get("ascc_csrf")
    assert _page_token(first.text) == first_token
    client.cookies.clear()
    second = await client.get(f"/agenda?day={DAY2}")
    assert _page_token(second.text) == client.cookies.get("ascc_csrf") != first_token
    assert "@@ascc-csrf-token@@" not in second.text
    # Signed in, the page's own forms (save, sign out) carry the person's token and work.
    await make_user(site.session, "tok@example.org")
    await sign_in(client, "tok@example.org", PASSWORD)
    signed_in = await client.get(f"/agenda?day={DAY2}")
    token = re.search(r'action="/logout".*?name="_csrf_token" value="([^"]+)"', signed_in.text, re.S).group(1)
    response = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code in (302, 303)


async def test_organizer_edits_a_room_and_the_public_sees_it_after_publishing(client, site) -> None:
    await _organizer(client, site)
    response = await post_form(
        client,
        "/organizer/programme/rooms",
        {
            "id": str(site.rooms[1]),
            "name_en": "Room G401 (Ocean view)",
            "name_ja": "会議室 G401（海側）",
            "capacity": "70",
        },
    )
    assert response.status_code == 303
    assert "Room G401 (Ocean view)" in (await client.get("/organizer/programme/tracks")).text
    assert "Ocean view" not in (await client.get(f"/sessions/{site.parallel}")).text
    await post_form(client, "/organizer/programme/publish", {})
    assert "Room G401 (Ocean view)" in (await client.get(f"/sessions/{site.parallel}")).text


async def test_my_agenda_names_saved_sessions_that_left_the_programme(client, site) -> None:
    await make_user(site.session, "gone@example.org")
    await sign_in(client, "gone@example.org", PASSWORD)
    await post_form(client, f"/sessions/{site.day3}/save", {})
    edition = await editions.get_by_id(site.session, site.edition_id)
    form = session_editing.form_of(
        await session_editing.get_session(site.session, site.edition_id, site.day3), ZoneInfo("Asia/Tokyo")
    )
    form.status = "draft"
    await session_editing.save_session(site.session, edition, site.day3, form)
    await publish(site.session, site.edition_id)
    client.app.state.schedule_cache.invalidate()
    mine = await client.get("/my-agenda")
    assert 'data-testid="gone"' in mine.text and "Closing plenary" in text_of(mine.text)
    await post_form(client, f"/sessions/{site.day3}/remove", {"next": "/my-agenda"})
    assert 'data-testid="gone"' not in (await client.get("/my-agenda")).text
