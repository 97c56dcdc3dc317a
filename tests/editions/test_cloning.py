"""Preparing the next edition from a seeded-style one: the set-up comes along (Japanese names kept, tour
times moved), nothing personal does, and bad input leaves nothing behind."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.audit.models import AuditEntry
from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.lifecycle import cloning
from ascc.organizations import services as organizations
from ascc.registration import organizer
from ascc.registration import services as registration
from ascc.registration.models import Registration
from ascc.tours import ballot as tour_ballot
from ascc.tours import booking as tour_booking
from ascc.tours import demo as tours_demo
from ascc.tours import id_documents
from ascc.tours import services as tours
from ascc.tours.models import Booking, Course, Preference, Tour
from tests.factories import make_user
from tests.programme.conftest import build_programme
from tests.support.snapshots import snapshotted
from tests.support.web import post_form, sign_in, submit, text_of
from tests.tours.conftest import BASE, PASSWORD, SECRET, registered, tour_data

NEXT = {
    "year": "2024",
    "slug": "ascc2024",
    "name_en": "13th Asia Smart City Conference",
    "name_ja": "第13回アジア・スマートシティ会議",
    "starts_on": "2024-11-11",
    "ends_on": "2024-11-13",
}


@snapshotted
async def build_world(session) -> SimpleNamespace:
    p = await build_programme(session)
    edition = await editions.get_by_id(session, p.edition_id)
    await tours_demo.load_tours(session, edition, tour_data(), [])
    await organizer.update_settings(
        session,
        edition.id,
        organizer.SettingsInput(300, None, ["press"], ["speaker", "organizer_staff"], "2023-1"),
        BASE,
    )
    await organizations.find_or_create(session, "Cebu City", "PH")
    await session.commit()
    await organizer.set_quota(session, edition.id, "Cebu City", "5")
    await session.commit()
    person = await registered(
        session, edition.id, "lan@example.org", name="Nguyen Thi Lan", local="Nguyễn Thị Lan"
    )
    await organizer.add_question(
        session, edition.id, "single", "Lunch?", "昼食は？", "yes|はい\nno|いいえ", True
    )
    await organizer.add_question(session, edition.id, "text", "Your hope", "期待すること", "", False)
    courses = {c.code: c for t in await tours.list_tours(session, edition.id) for c in t.courses}
    await tour_booking.book(session, person.id, courses["B"].id, BASE)
    await id_documents.set_id_document(session, person.id, courses["B"].id, "passport", "C12345678", SECRET)
    await tour_ballot.set_preferences(
        session, person.id, courses["A1"].tour_id, [courses["A1"].id, courses["A2"].id]
    )
    await session.commit()
    return SimpleNamespace(edition_id=edition.id, slug=edition.slug, person=person.id)


@pytest.fixture(autouse=True)
def before_the_tours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


async def _count(session, model, *where) -> int:
    return await session.scalar(select(func.count(model.id)).where(*where)) or 0


async def test_the_next_edition_gets_the_set_up_and_nothing_personal(session) -> None:
    world = await build_world(session)
    cloned = await cloning.prepare_next(session, None, world.slug, dict(NEXT))
    await session.commit()
    assert (cloned.rooms, cloned.tracks, cloned.questions, cloned.quotas) == (2, 2, 2, 1)
    assert (cloned.categories, cloned.tours, cloned.courses) == (3, 2, 4)
    new = await editions.get_by_slug(session, "ascc2024", with_rooms=True)
    assert (new.is_current, new.status, new.name_ja) == (False, "draft", "第13回アジア・スマートシティ会議")
    assert [r.name_ja for r in new.rooms] == ["メインホール", "会議室 G401"]
    assert (await editions.current(session)).slug == "ascc2023"
    settings = await registration.get_settings(session, new.id)
    assert (settings.in_person_capacity, settings.approval_categories) == (300, ["press"])
    questions = await registration.list_questions(session, new.id)
    assert [q.label_ja for q in questions] == ["昼食は？", "期待すること"]
    assert questions[0].choices[1]["ja"] == "いいえ"
    new_tours = await tours.list_tours(session, new.id)
    assert [t.name_ja for t in new_tours] == ["視察A", "視察B"]
    course_b = new_tours[1].courses[0]
    # Tour B left at 13:30 on Monday 13 November 2023; the next one leaves at 13:30 on Monday 11 November 2024.
    assert course_b.departs_at == datetime.fromisoformat("2024-11-11T13:30:00+09:00")
    assert course_b.theme_ja == "水再生" and course_b.requires_id and course_b.seats == 2
    assert new_tours[0].ballot_deadline == datetime.fromisoformat("2024-11-06T17:00:00+09:00")
    assert new_tours[0].allocation is None and new_tours[0].allocated_at is None
    new_courses = select(Course.id).join(Tour).where(Tour.edition_id == new.id)
    assert await _count(session, Booking, Booking.course_id.in_(new_courses)) == 0
    assert await _count(session, Preference, Preference.course_id.in_(new_courses)) == 0
    assert await _count(session, Registration, Registration.edition_id == new.id) == 0
    # The new courses take bookings from their own seats.
    counts = await tours.figures(session, [course_b])
    assert counts[course_b.id].confirmed == 0
    # The source edition is untouched.
    assert await _count(session, Booking, Booking.id_document.is_not(None)) == 1
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "edition.cloned"))
    assert (
        entry.target_label == "ascc2024"
        and entry.after["tours"] == 2
        and entry.after["source_slug"] == "ascc2023"
    )
    shown = await cloning.counts(session, new)
    assert (shown.rooms, shown.tracks, shown.questions, shown.quotas, shown.tours, shown.courses) == (
        2,
        2,
        2,
        1,
        2,
        4,
    )


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"slug": "ascc2023"}, {"slug"}),
        ({"ends_on": "2024-11-01"}, {"ends_on"}),
        ({"year": "2023", "starts_on": "2023-12-01", "ends_on": "2023-12-02", "slug": "other"}, {"year"}),
        ({"starts_on": "2025-11-11", "ends_on": "2025-11-12"}, {"starts_on"}),
        ({"name_ja": "", "year": "abc"}, {"name_ja", "year"}),
    ],
)
async def test_bad_input_names_the_field_and_creates_nothing(session, change, fields) -> None:
    world = await build_world(session)
    editions_before = len(await editions.list_editions(session, include_drafts=True))
    tours_before = await _count(session, Tour)
    with pytest.raises(ValidationFailed) as refused:
        await cloning.prepare_next(session, None, world.slug, {**NEXT, **change})
    assert set(refused.value.errors) == fields
    await session.rollback()
    assert len(await editions.list_editions(session, include_drafts=True)) == editions_before
    assert await _count(session, Tour) == tours_before
    assert await _count(session, AuditEntry, AuditEntry.action == "edition.cloned") == 0


async def test_the_organizer_prepares_the_next_edition_from_the_edition_page(client, settings) -> None:
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await build_world(session)
        await make_user(session, "organizer@example.org", role="organizer", name="Mika Organizer")
    await engine.dispose()
    await sign_in(client, "organizer@example.org", PASSWORD)
    edition_page = await client.get("/organizer/editions/ascc2023")
    assert 'href="/organizer/editions/ascc2023/next"' in edition_page.text
    form = await client.get("/organizer/editions/ascc2023/next")
    assert 'value="2024"' in form.text and "Not copied: registrations, bookings, ID numbers" in text_of(
        form.text
    )
    await client.get("/lang/ja")
    assert "次の開催回を準備" in (await client.get("/organizer/editions/ascc2023/next")).text
    await client.get("/lang/en")

    taken = await post_form(client, "/organizer/editions/ascc2023/next", {**NEXT, "slug": "ascc2023"})
    assert taken.status_code == 422
    assert "This short name is already used by another edition." in text_of(taken.text)
    backwards = await post_form(
        client, "/organizer/editions/ascc2023/next", {**NEXT, "ends_on": "2024-11-01"}
    )
    assert "The last day cannot be before the first day." in text_of(backwards.text)
    assert (await client.get("/organizer/editions/ascc2024")).status_code == 404

    created = await submit(client, "/organizer/editions/ascc2023/next", NEXT)
    assert created.status_code == 303
    assert created.headers["location"] == "/organizer/editions/ascc2024/prepared?source=ascc2023"
    shown = text_of((await client.get(created.headers["location"])).text)
    assert "13th Asia Smart City Conference was created as a draft from Edition ascc2023." in shown
    assert "Rooms 2 Tracks 2 Categories needing approval or a code 3 Registration questions 2" in shown
    assert "Tours 2 Tour courses 4" in shown


def test_the_form_suggests_the_next_year_and_counts_the_edition_on() -> None:
    source = editions.Edition(
        slug="ascc2023",
        name_en="12th Asia Smart City Conference (Y-SHIP 2023)",
        name_ja="第12回アジア・スマートシティ会議（Y-SHIP 2023）",
        starts_on=date(2023, 11, 13),
        ends_on=date(2023, 11, 15),
    )
    assert cloning.suggestion(source) == {
        "year": "2024",
        "slug": "ascc2024",
        "name_en": "13th Asia Smart City Conference (Y-SHIP 2024)",
        "name_ja": "第13回アジア・スマートシティ会議（Y-SHIP 2024）",
        "starts_on": "2024-11-11",
        "ends_on": "2024-11-13",
    }
