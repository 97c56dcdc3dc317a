"""Programme services on SQLite and PostgreSQL: editing rules, releases with notifications, agendas, sign-ups."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ascc.capacity import services as capacity
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.files import services as files
from ascc.mail import services as mail
from ascc.notifications import services as notifications
from ascc.programme import editing, materials, personal, releases, session_editing
from ascc.programme import services as programme
from ascc.programme.session_editing import NeedsConfirmation
from ascc.registration import registering
from tests.factories import make_user
from tests.programme.conftest import BASE, publish, session_form


async def _edition(session, prog):
    return await editions.get_by_id(session, prog.edition_id)


async def _current(session, edition_id: int) -> programme.Programme:
    """What the public sees now."""
    return await programme.published(session, await editions.get_by_id(session, edition_id))


async def _registered(session, edition_id: int, email: str):
    user = await make_user(session, email)
    await registering.register(
        session,
        edition_id,
        user.id,
        registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
        BASE,
        notify=False,
    )
    await session.commit()
    return user


async def test_session_errors_name_every_field_and_store_nothing(session, prog) -> None:
    edition = await _edition(session, prog)
    form = session_form(
        title_en=" ",
        start="11:00",
        end="10:30",
        room_id="99999",
        track_id="abc",
        sdgs="6.3, 42",
        capacity="0",
    )
    with pytest.raises(ValidationFailed) as caught:
        await session_editing.save_session(session, edition, None, form)
    assert set(caught.value.errors) == {"title_en", "end", "room_id", "track_id", "sdgs", "capacity"}
    assert caught.value.errors["end"][0] == "error.session_end_before_start"
    await session.rollback()
    assert len(await session_editing.list_sessions(session, prog.edition_id)) == 4


async def test_double_booked_room_and_speaker_need_confirmation(session, prog) -> None:
    edition = await _edition(session, prog)
    form = session_form(
        title_en="Clashing",
        title_ja="重複",
        room_id=str(prog.rooms[0]),
        speakers=[str(prog.speakers[1])],
        start="10:30",
        end="11:30",
    )
    with pytest.raises(NeedsConfirmation) as caught:
        await session_editing.save_session(session, edition, None, form)
    assert sorted(w.kind for w in caught.value.warnings) == ["person_double_booked", "room_double_booked"]
    saved, _ = await session_editing.save_session(session, edition, None, form, confirmed=True)
    await session.commit()
    kinds = sorted(w.kind for w in await session_editing.programme_warnings(session, edition))
    assert kinds == ["person_double_booked", "room_double_booked"]
    assert saved.title_ja == "重複"


async def test_session_outside_the_edition_days_is_a_warning(session, prog) -> None:
    edition = await _edition(session, prog)
    with pytest.raises(NeedsConfirmation) as caught:
        await session_editing.save_session(session, edition, None, session_form(day="2023-11-20"))
    assert [w.kind for w in caught.value.warnings] == ["outside_edition_days"]


async def test_published_session_cannot_be_deleted_only_cancelled(session, prog) -> None:
    with pytest.raises(DomainError) as caught:
        await session_editing.delete_session(session, prog.edition_id, prog.water)
    assert caught.value.code == "was_published"
    edition = await _edition(session, prog)
    draft, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(title_en="Draft only", status="draft", start="13:00", end="14:00"),
    )
    await session_editing.delete_session(session, prog.edition_id, draft.id)
    await session.commit()
    assert draft.id not in {s.id for s in await session_editing.list_sessions(session, prog.edition_id)}


async def test_release_lists_changes_and_tells_people_who_saved_them(session, prog) -> None:
    saver = await make_user(session, "saver@example.org", preferred_lang="ja")
    other = await make_user(session, "other@example.org")
    current = await _current(session, prog.edition_id)
    assert await programme.save(session, saver.id, current, prog.water) is True
    assert await programme.save(session, saver.id, current, prog.water) is False
    await programme.save(session, other.id, current, prog.day3)
    await session.commit()
    edition = await _edition(session, prog)
    row = await session_editing.get_session(session, prog.edition_id, prog.water)
    form = session_editing.form_of(row, ZoneInfo(edition.timezone))
    form.start, form.end, form.room_id = "12:00", "13:00", str(prog.rooms[1])
    await session_editing.save_session(session, edition, prog.water, form)
    await session.commit()
    # Nothing is public until the organizer publishes.
    assert (await _current(session, prog.edition_id)).schedule.by_id[prog.water].room.id == prog.rooms[0]
    assert await releases.unpublished_count(session, edition) == 1
    result = await publish(session, prog.edition_id, "Room change")
    assert (result.release.version, result.changes, result.notified) == (2, 1, 1)
    (_, changes), _first = await releases.list_releases(session, prog.edition_id)
    assert [(c.session_id, c.change, c.fields) for c in changes] == [
        (prog.water, "changed", ["time", "room"])
    ]
    messages = await mail.messages_to(session, "saver@example.org")
    assert [m.kind for m in messages] == ["programme_changed"]
    assert messages[0].subject.startswith("プログラム更新（第2版）")
    assert "テーマ別セッション：水" in messages[0].body_text
    assert await mail.messages_to(session, "other@example.org") == []
    notes = await notifications.unread(session, saver.id)
    assert [(n.kind, n.params["count"], n.params["titles_ja"]) for n in notes] == [
        ("programme_changed", 1, "テーマ別セッション：水")
    ]
    # A new sentence in the description is listed publicly but mails nobody.
    form.abstract_en = "Now with a site visit."
    await session_editing.save_session(session, edition, prog.water, form)
    result = await publish(session, prog.edition_id)
    assert (result.changes, result.notified) == (1, 0)


async def test_agenda_marks_clashes_and_sessions_no_longer_published(session, prog) -> None:
    person = await make_user(session, "agenda@example.org")
    current = await _current(session, prog.edition_id)
    for session_id in (prog.keynote, prog.water, prog.parallel):
        await programme.save(session, person.id, current, session_id)
    await session.commit()
    lines, gone = await programme.my_agenda(session, person.id, current)
    assert [(line.item.id, line.clash) for line in lines] == [
        (prog.keynote, False),
        (prog.water, True),
        (prog.parallel, True),
    ]
    edition = await _edition(session, prog)
    row = await session_editing.get_session(session, prog.edition_id, prog.parallel)
    form = session_editing.form_of(row, ZoneInfo(edition.timezone))
    form.status = "draft"
    await session_editing.save_session(session, edition, prog.parallel, form)
    await publish(session, prog.edition_id)
    lines, gone = await programme.my_agenda(session, person.id, await _current(session, prog.edition_id))
    assert [(line.item.id, line.clash) for line in lines] == [(prog.keynote, False), (prog.water, False)]
    assert [row.id for row in gone] == [prog.parallel]


async def test_signup_fills_places_then_queues_and_promotes_with_mail(session, prog) -> None:
    people = [await _registered(session, prog.edition_id, f"s{n}@example.org") for n in range(3)]
    current = await _current(session, prog.edition_id)
    claims = [await programme.sign_up(session, p.id, current, prog.parallel) for p in people]
    await session.commit()
    assert [(c.status, c.position) for c in claims] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waiting", 1),
    ]
    counts = await programme.seats_left(session, prog.parallel)
    assert (counts.limit, counts.confirmed, counts.waiting, counts.free) == (2, 2, 1, 0)
    await programme.remove(
        session, people[0].id, prog.parallel, BASE
    )  # removing it from the agenda gives up the seat
    await session.commit()
    assert (await programme.seat_of(session, people[2].id, prog.parallel)).status == "confirmed"
    [promoted] = await mail.messages_to(session, "s2@example.org")
    assert promoted.kind == "session_promoted"
    # The seat's mail says when (with the conference's zone) and in which room.
    assert "When: Tuesday 14 November 2023, 10:30–11:30 (JST)" in promoted.body_text
    assert "日時：2023年11月14日(火) 10:30–11:30 (日本時間)" in promoted.body_text
    assert "Where: " in promoted.body_text and "場所：" in promoted.body_text
    assert [n.kind for n in await notifications.unread(session, people[2].id)] == ["session_promoted"]
    lines, _ = await programme.my_agenda(session, people[2].id, current)
    assert [(line.item.id, line.seat) for line in lines] == [(prog.parallel, "confirmed")]


async def test_a_persons_marks_on_a_session_page_are_read_in_one_statement(session, prog) -> None:
    people = [await _registered(session, prog.edition_id, f"m{n}@example.org") for n in range(3)]
    stranger = await make_user(session, "nobody@example.org")
    current = await _current(session, prog.edition_id)
    for person in people:
        await programme.sign_up(session, person.id, current, prog.parallel)
    await programme.save(session, people[2].id, current, prog.water)
    await session.commit()
    waiting = await personal.session_marks(session, people[2].id, prog.edition_id, prog.parallel)
    assert waiting.saved == {prog.parallel, prog.water} and waiting.seat == capacity.Claim("waiting", 1)
    assert waiting.counts == capacity.PoolCounts(limit=2, confirmed=2, waiting=1)
    assert waiting.registration == ("confirmed", "in_person")
    seated = await personal.session_marks(session, people[0].id, prog.edition_id, prog.parallel)
    assert seated.seat == capacity.Claim("confirmed", None) and seated.saved == {prog.parallel}
    nobody = await personal.session_marks(session, stranger.id, prog.edition_id, prog.water)
    assert (nobody.saved, nobody.seat, nobody.registration) == (frozenset(), None, None)
    assert nobody.counts == capacity.PoolCounts(limit=None, confirmed=0, waiting=0)  # no places: no pool


async def test_signup_needs_a_confirmed_registration_and_a_session_with_places(session, prog) -> None:
    stranger = await make_user(session, "stranger@example.org")
    current = await _current(session, prog.edition_id)
    with pytest.raises(DomainError) as caught:
        await programme.sign_up(session, stranger.id, current, prog.parallel)
    assert caught.value.code == "not_registered"
    registered = await _registered(session, prog.edition_id, "reg@example.org")
    with pytest.raises(DomainError) as caught:
        await programme.sign_up(session, registered.id, current, prog.keynote)
    assert caught.value.code == "no_signup"


async def test_larger_capacity_promotes_waiting_people(session, prog) -> None:
    people = [await _registered(session, prog.edition_id, f"w{n}@example.org") for n in range(3)]
    current = await _current(session, prog.edition_id)
    for p in people:
        await programme.sign_up(session, p.id, current, prog.parallel)
    await session.commit()
    edition = await _edition(session, prog)
    row = await session_editing.get_session(session, prog.edition_id, prog.parallel)
    form = session_editing.form_of(row, ZoneInfo(edition.timezone))
    form.capacity = "3"
    _, promoted = await session_editing.save_session(session, edition, prog.parallel, form)
    assert promoted == [capacity.person(people[2].id)]


async def test_speaker_photo_and_material_files_are_checked_by_content(session, prog) -> None:
    with pytest.raises(DomainError) as caught:
        await editing.set_speaker_photo(
            session, prog.edition_id, prog.speakers[0], "photo.png", b"GIF89a not a png"
        )
    assert caught.value.code == "unsupported_type"
    await editing.set_speaker_photo(
        session, prog.edition_id, prog.speakers[0], "photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100
    )
    with pytest.raises(DomainError):
        await materials.add_material(
            session, prog.edition_id, prog.water, {"title": "Slides"}, ("slides.pdf", b"MZ executable")
        )
    material = await materials.add_material(
        session,
        prog.edition_id,
        prog.water,
        {"title": "スライド", "available_until": "2024-01-31"},
        ("スライド.pdf", b"%PDF-1.7 ..."),
    )
    await session.commit()
    stored = await files.get_file(session, material.file_id)
    assert (stored.filename, stored.content_type, stored.data) == (
        "スライド.pdf",
        "application/pdf",
        b"%PDF-1.7 ...",
    )
