"""Tour pages and API as delegates, organizers, check-in staff and API clients use them."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.programme import releases, session_editing
from ascc.programme import services as programme
from ascc.tours import booking
from ascc.tours import services as tours
from tests.factories import make_user
from tests.programme.conftest import session_form
from tests.support.pdf import pdf_text
from tests.support.web import post_form as _post_form
from tests.support.web import sign_in, text_of
from tests.tours.conftest import BASE, PASSWORD, build_tours, registered


async def post_form(client, url: str, data: dict, **kwargs):
    return await _post_form(client, url, data, follow_redirects=False, **kwargs)


@pytest.fixture
async def site(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_tours(session)
        built.session = session
        yield built
    await engine.dispose()


async def test_delegate_books_sees_status_and_enters_id_data(client, site) -> None:
    await registered(
        site.session, site.edition_id, "me@example.org", name="Nguyen Thi Lan", local="Nguyễn Thị Lan"
    )
    await sign_in(client, "me@example.org", PASSWORD)
    page = await client.get("/tours")
    assert "2 of 2 places left." in text_of(page.text)
    response = await post_form(client, f"/tours/courses/{site.course_b}/book", {})
    assert response.status_code == 303
    page = await client.get("/tours")
    assert "You have a seat on this course." in text_of(page.text)
    assert "The facility needs your passport or ID number" in text_of(page.text)
    again = await post_form(client, f"/tours/courses/{site.course_b}/book", {})
    assert again.status_code == 409 and "You have already booked this course." in text_of(again.text)
    bad = await post_form(
        client, f"/tours/courses/{site.course_b}/id-document", {"id_kind": "passport", "id_number": "x"}
    )
    assert bad.status_code == 422 and "5 to 20 letters and digits" in text_of(bad.text)
    ok = await post_form(
        client,
        f"/tours/courses/{site.course_b}/id-document",
        {"id_kind": "passport", "id_number": "B7654321"},
    )
    assert ok.status_code == 303
    assert "The facility needs your passport" not in text_of((await client.get("/tours")).text)


async def test_ranking_a_ballot_and_the_organizer_allocating(client, site) -> None:
    await registered(site.session, site.edition_id, "ranker@example.org")
    await sign_in(client, "ranker@example.org", PASSWORD)
    saved = await post_form(
        client, f"/tours/{site.a}/preferences", {"rank_1": str(site.a3), "rank_2": str(site.a1), "rank_3": ""}
    )
    assert saved.status_code == 303
    assert "Your 2 choice(s) are saved" in text_of((await client.get("/tours")).text)
    duplicate = await post_form(
        client, f"/tours/{site.a}/preferences", {"rank_1": str(site.a3), "rank_2": str(site.a3)}
    )
    assert duplicate.status_code == 422
    await make_user(site.session, "org@example.org", role="organizer")
    await sign_in(client, "org@example.org", PASSWORD)
    before = await client.get("/organizer/tours/")
    assert before.status_code == 200 and "Allocate and mail the results" in before.text
    early = await post_form(client, f"/organizer/tours/{site.a}/allocate", {"seed": "ascc-2023"})
    assert early.status_code == 409 and "close the ranking now" in text_of(early.text)
    allocated = await post_form(
        client, f"/organizer/tours/{site.a}/allocate", {"seed": "ascc-2023", "close_early": "1"}
    )
    assert allocated.status_code == 303
    overview = await client.get("/organizer/tours/")
    assert "100% got their first choice" in text_of(overview.text) and "seed ascc-2023" in text_of(
        overview.text
    )
    await sign_in(client, "ranker@example.org", PASSWORD)
    page = await client.get("/tours")
    assert "allocated (lottery seed ascc-2023)" in text_of(page.text)
    assert f'data-testid="status-{site.a3}"' in page.text


async def test_manifest_csv_and_pdf_carry_local_names_and_roll_call_marks(client, site) -> None:
    person = await registered(
        site.session,
        site.edition_id,
        "m@example.org",
        name="Haruka Sato",
        local="佐藤 遥",
        dietary="vegetarian",
    )
    nepali = await registered(
        site.session, site.edition_id, "np@example.org", name="Anjali Shrestha", local="अञ्जली श्रेष्ठ"
    )
    await booking.book(site.session, person.id, site.course_b, BASE)
    await booking.book(site.session, nepali.id, site.course_b, BASE)
    await site.session.commit()
    await make_user(site.session, "org@example.org", role="organizer")
    await sign_in(client, "org@example.org", PASSWORD)
    csv_body = (await client.get(f"/organizer/tours/courses/{site.course_b}/manifest.csv")).content.decode(
        "utf-8-sig"
    )
    assert (
        "Haruka Sato,佐藤 遥" in csv_body and "vegetarian" in csv_body and ",yes," in csv_body
    )  # ID missing
    pdf = await client.get(f"/organizer/tours/courses/{site.course_b}/manifest.pdf")
    text = pdf_text(pdf.content)
    assert "佐藤 遥" in text and "MISSING" in text and "अञ्जली श्रेष्ठ" in text
    roll = await client.get(f"/organizer/tours/courses/{site.course_b}/roll-call")
    assert "0 of 2 present" in text_of(roll.text)
    marked = await post_form(
        client,
        f"/organizer/tours/courses/{site.course_b}/roll-call/{person.id}",
        {"mark": "present"},
        headers={"HX-Request": "true"},
    )
    assert marked.status_code == 200 and "roll-line present" in marked.text and "<html" not in marked.text
    assert "1 of 2 present" in text_of(
        (await client.get(f"/organizer/tours/courses/{site.course_b}/roll-call")).text
    )


async def test_roles_on_organizer_pages(client, site) -> None:
    await make_user(site.session, "d@example.org")
    await make_user(site.session, "door@example.org", role="checkin")
    await sign_in(client, "d@example.org", PASSWORD)
    for url in (
        "/organizer/tours/",
        f"/organizer/tours/courses/{site.course_b}/manifest",
        f"/organizer/tours/courses/{site.course_b}/roll-call",
    ):
        assert (await client.get(url)).status_code == 403
    await sign_in(client, "door@example.org", PASSWORD)
    assert (await client.get(f"/organizer/tours/courses/{site.course_b}/roll-call")).status_code == 200
    assert (await client.get(f"/organizer/tours/courses/{site.course_b}/manifest.csv")).status_code == 403


async def test_tours_api(client, site) -> None:
    person = await registered(site.session, site.edition_id, "api@example.org")
    raw, _ = await accounts.create_api_token(site.session, person.id)
    await site.session.commit()
    auth = {"Authorization": f"Bearer {raw}"}
    listing = (await client.get("/api/v1/tours")).json()
    assert [(t["code"], t["mode"], [c["free_seats"] for c in t["courses"]]) for t in listing] == [
        ("A", "ballot", [2, 2, 1]),
        ("B", "fcfs", [2]),
    ]
    booked = await client.post(f"/api/v1/tours/courses/{site.course_b}/booking", headers=auth)
    assert (booked.status_code, booked.json()) == (200, {"status": "confirmed", "position": None})
    twice = await client.post(f"/api/v1/tours/courses/{site.course_b}/booking", headers=auth)
    assert (twice.status_code, twice.json()["error"]) == (409, "already_booked")
    ranked = await client.put(
        f"/api/v1/tours/{site.a}/preferences", json={"courses": [site.a2, site.a1]}, headers=auth
    )
    assert ranked.json() == {"tour_id": site.a, "courses": [site.a2, site.a1]}
    duplicate = await client.put(
        f"/api/v1/tours/{site.a}/preferences", json={"courses": [site.a1, site.a1]}, headers=auth
    )
    assert (duplicate.status_code, duplicate.json()["field"]) == (422, "courses")
    withdrawn = await client.put(f"/api/v1/tours/{site.a}/preferences", json={"courses": []}, headers=auth)
    assert withdrawn.json()["courses"] == []
    await client.put(
        f"/api/v1/tours/{site.a}/preferences", json={"courses": [site.a2, site.a1]}, headers=auth
    )
    assert (await client.post(f"/api/v1/tours/{site.a}/allocate", headers=auth)).status_code == 403
    assert (
        await client.delete(f"/api/v1/tours/courses/{site.course_b}/booking", headers=auth)
    ).status_code == 204
    org = await make_user(site.session, "org@example.org", role="organizer")
    org_token, _ = await accounts.create_api_token(site.session, org.id)
    await site.session.commit()
    result = await client.post(
        f"/api/v1/tours/{site.a}/allocate",
        json={"seed": "s1", "close_early": True},
        headers={"Authorization": f"Bearer {org_token}"},
    )
    assert (result.status_code, result.json()["seed"], result.json()["people"]) == (200, "s1", 1)
    manifest = await client.get(
        f"/api/v1/tours/courses/{site.a2}/manifest", headers={"Authorization": f"Bearer {org_token}"}
    )
    assert [line["status"] for line in manifest.json()] == ["confirmed"]


async def test_booked_tour_joins_my_agenda_and_a_clash_with_a_session_is_flagged(client, site) -> None:
    edition = await editions.get_by_id(site.session, site.edition_id)
    talk, _ = await session_editing.save_session(
        site.session,
        edition,
        None,
        session_form(day="2023-11-13", start="15:00", end="16:00"),
        confirmed=True,
    )
    await releases.publish(site.session, edition, None, "", BASE)
    person = await registered(site.session, site.edition_id, "agenda@example.org")
    await booking.book(site.session, person.id, site.course_b, BASE)
    await programme.save(site.session, person.id, await programme.published(site.session, edition), talk.id)
    await site.session.commit()
    await sign_in(client, "agenda@example.org", PASSWORD)
    mine = await client.get("/my-agenda")
    assert f'data-course-id="{site.course_b}"' in mine.text
    assert "Site visit B: Water reclamation" in text_of(mine.text)
    assert "2 items in your agenda (sessions, site visits, meetings) overlap in time" in text_of(mine.text)


async def test_organizer_creates_a_tour_and_a_course_and_more_seats_promote(client, site) -> None:
    await make_user(site.session, "org@example.org", role="organizer")
    await sign_in(client, "org@example.org", PASSWORD)
    bad = await post_form(
        client,
        "/organizer/tours/new",
        {"code": "", "name_en": "Tour C", "name_ja": "視察C", "mode": "ballot", "deadline_day": "x"},
    )
    assert bad.status_code == 422 and "This field is required." in text_of(bad.text)
    made = await post_form(
        client,
        "/organizer/tours/new",
        {"code": "C", "name_en": "Tour C", "name_ja": "視察C", "mode": "fcfs", "id_retention_days": "7"},
    )
    assert made.status_code == 303
    tour_c = next(t for t in await tours.list_tours(site.session, site.edition_id) if t.code == "C")
    course = {
        "code": "C1",
        "theme_en": "Port",
        "theme_ja": "港湾",
        "day": "2023-11-13",
        "departs": "14:00",
        "returns": "13:00",
        "seats": "0",
    }
    refused = await post_form(client, f"/organizer/tours/{tour_c.id}/courses/new", course)
    assert refused.status_code == 422 and "The session must end after it starts." in text_of(refused.text)
    course.update(returns="16:00", seats="1", categories="city_official")
    assert (await post_form(client, f"/organizer/tours/{tour_c.id}/courses/new", course)).status_code == 303
    tour_c_id = tour_c.id
    site.session.expire_all()
    tour_c = await tours.get_tour(site.session, tour_c_id)
    c1 = tour_c.courses[0]
    assert (c1.seats, c1.categories) == (1, ["city_official"])
    people = [await registered(site.session, site.edition_id, f"w{n}@example.org") for n in range(2)]
    for p in people:
        await booking.book(site.session, p.id, c1.id, BASE)
    await site.session.commit()
    more = await post_form(
        client, f"/organizer/tours/{tour_c.id}/courses/{c1.id}/edit", {**course, "seats": "2"}
    )
    assert more.status_code == 303
    mine = await tours.my_bookings(site.session, people[1].id, site.edition_id)
    assert [b.status for b in mine] == ["confirmed"]


async def test_online_registrants_are_told_before_they_try_and_organizers_book_people_in(
    client, site
) -> None:
    await registered(site.session, site.edition_id, "remote@example.org", mode="online")
    await sign_in(client, "remote@example.org", PASSWORD)
    page = await client.get("/tours")
    assert 'data-testid="tour-blocked"' in page.text and "you are registered online" in text_of(page.text)
    assert f'action="/tours/courses/{site.course_b}/book"' not in page.text
    guest = await registered(site.session, site.edition_id, "guest@example.org", name="Somchai Wongsakul")
    await make_user(site.session, "org@example.org", role="organizer")
    await make_user(site.session, "door@example.org", role="checkin")
    await sign_in(client, "org@example.org", PASSWORD)
    unknown = await post_form(
        client, f"/organizer/tours/courses/{site.course_b}/add", {"email": "nobody@example.org"}
    )
    assert unknown.status_code == 404 and "No account with this e-mail address." in text_of(unknown.text)
    added = await post_form(
        client, f"/organizer/tours/courses/{site.course_b}/add", {"email": "guest@example.org"}
    )
    assert added.status_code == 303
    assert [b.status for b in await tours.my_bookings(site.session, guest.id, site.edition_id)] == [
        "confirmed"
    ]
    await sign_in(client, "door@example.org", PASSWORD)
    listing = await client.get("/organizer/tours/roll-calls")
    assert (
        listing.status_code == 200 and f"/organizer/tours/courses/{site.course_b}/roll-call" in listing.text
    )
