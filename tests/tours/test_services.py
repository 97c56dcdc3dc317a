"""Tour services on SQLite and PostgreSQL: booking rules, waiting lists, ID data, ballots, manifests, roll-call."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ascc.errors import DomainError, ValidationFailed
from ascc.mail import services as mail
from ascc.tours import ballot as tour_ballot
from ascc.tours import booking, id_documents, roll_call
from ascc.tours import services as tours
from ascc.tours.models import Booking
from tests.tours.conftest import BASE, SECRET, registered


async def test_first_come_first_served_fills_seats_then_queues(session, trip) -> None:
    people = [await registered(session, trip.edition_id, f"b{n}@example.org") for n in range(3)]
    claims = [await booking.book(session, p.id, trip.course_b, BASE) for p in people]
    await session.commit()
    assert [(c.status, c.position) for c in claims] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waiting", 1),
    ]
    assert [m.kind for m in await mail.messages_to(session, "b2@example.org")] == ["tour_waiting"]


async def test_booking_rules_give_clear_refusals(session, trip) -> None:
    person = await registered(session, trip.edition_id, "rules@example.org")
    await booking.book(session, person.id, trip.course_b, BASE)
    with pytest.raises(DomainError) as twice:
        await booking.book(session, person.id, trip.course_b, BASE)
    assert twice.value.code == "already_booked"
    with pytest.raises(DomainError) as ballot:
        await booking.book(session, person.id, trip.a1, BASE)
    assert ballot.value.code == "ballot"
    online = await registered(session, trip.edition_id, "online@example.org", mode="online")
    with pytest.raises(DomainError) as remote:
        await booking.book(session, online.id, trip.course_b, BASE)
    assert remote.value.code == "online_registration"
    press = await registered(session, trip.edition_id, "press@example.org", category="press")
    with pytest.raises(DomainError) as category:
        await booking.book(session, press.id, trip.course_b, BASE)
    assert category.value.code == "not_eligible"


async def test_cancelling_promotes_the_next_person_and_mails_them(session, trip) -> None:
    people = [await registered(session, trip.edition_id, f"c{n}@example.org") for n in range(3)]
    for p in people:
        await booking.book(session, p.id, trip.course_b, BASE)
    await booking.cancel(session, people[0].id, trip.course_b, BASE)
    await session.commit()
    mine = await tours.my_bookings(session, people[2].id, trip.edition_id)
    assert [(b.status, b.position) for b in mine] == [("confirmed", None)]
    assert [m.kind for m in await mail.messages_to(session, "c2@example.org")] == [
        "tour_waiting",
        "tour_promoted",
    ]
    with pytest.raises(DomainError):
        await booking.cancel(session, people[0].id, trip.course_b, BASE)


async def test_id_numbers_are_encrypted_shown_in_the_manifest_and_purged_after_the_tour(
    session, trip, monkeypatch
) -> None:
    with_id = await registered(
        session,
        trip.edition_id,
        "id@example.org",
        name="Nguyen Thi Lan",
        local="Nguyễn Thị Lan",
        dietary="halal",
    )
    without = await registered(
        session, trip.edition_id, "noid@example.org", name="Haruka Sato", local="佐藤 遥"
    )
    await booking.book(session, with_id.id, trip.course_b, BASE)
    await booking.book(session, without.id, trip.course_b, BASE)
    with pytest.raises(ValidationFailed):
        await id_documents.set_id_document(session, with_id.id, trip.course_b, "passport", "<script>", SECRET)
    await id_documents.set_id_document(session, with_id.id, trip.course_b, "passport", "c1234 5678", SECRET)
    await session.commit()
    stored = await session.scalar(select(Booking.id_document).where(Booking.user_id == with_id.id))
    assert b"C12345678" not in stored
    _course, lines = await roll_call.manifest(session, trip.course_b, SECRET)
    by_name = {line.name_latin: line for line in lines}
    assert by_name["Nguyen Thi Lan"].id_document == ("passport", "C12345678")
    assert (by_name["Nguyen Thi Lan"].name_local, by_name["Nguyen Thi Lan"].dietary) == (
        "Nguyễn Thị Lan",
        "halal",
    )
    assert by_name["Haruka Sato"].id_missing is True
    assert await id_documents.purge_id_documents(session) == 0
    monkeypatch.setenv("ASCC_NOW", "2023-11-28T10:00+09:00")  # 14 days after the tour
    assert await id_documents.purge_id_documents(session) == 1
    await session.commit()
    _course, lines = await roll_call.manifest(session, trip.course_b, SECRET)
    assert all(line.id_document is None for line in lines)


async def test_ballot_allocation_books_results_and_queues_the_rest(session, trip, monkeypatch) -> None:
    people = [
        await registered(session, trip.edition_id, f"r{n}@example.org", city=f"City {n}") for n in range(7)
    ]
    for p in people:
        await tour_ballot.set_preferences(session, p.id, trip.a, [trip.a3, trip.a1])
    with pytest.raises(ValidationFailed):
        await tour_ballot.set_preferences(session, people[0].id, trip.a, [trip.a1, trip.a1])
    await session.commit()
    with pytest.raises(DomainError) as early:
        await tour_ballot.run_allocation(session, trip.a, "published-seed", BASE)
    assert early.value.code == "ballot_open"
    monkeypatch.setenv("ASCC_NOW", "2023-11-09T10:00+09:00")  # after the deadline
    result = await tour_ballot.run_allocation(session, trip.a, "published-seed", BASE)
    await session.commit()
    # 1 seat on A3 (everyone's first choice), 2 on A1, nobody ranked A2: 3 placed, 4 wait.
    assert (result["people"], round(result["any_choice"] * 7)) == (7, 3)
    figures = await tours.figures(session, (await tours.get_tour(session, trip.a)).courses)
    assert [(f.confirmed, f.waiting) for f in figures.values()] == [(2, 4), (0, 0), (1, 4)]
    kinds = []
    for p in people:
        kinds += [m.kind for m in await mail.messages_to(session, p.email)]
    assert kinds.count("tour_allocated") == 3 and kinds.count("tour_left_out") == 4
    with pytest.raises(DomainError) as again:
        await tour_ballot.run_allocation(session, trip.a, "other", BASE)
    assert again.value.code == "already_allocated"
    # A seat freed on A1 goes to the first waiting person, who then stops waiting for A3.
    seated = None
    for p in people:
        mine = await tours.my_bookings(session, p.id, trip.edition_id)
        if any(b.status == "confirmed" and b.course.id == trip.a1 for b in mine):
            seated = p
            break
    await booking.cancel(session, seated.id, trip.a1, BASE)
    await session.commit()
    figures = await tours.figures(session, (await tours.get_tour(session, trip.a)).courses)
    assert [(f.confirmed, f.waiting) for f in figures.values()] == [(2, 3), (0, 0), (1, 3)]


async def test_ranking_after_the_deadline_is_refused(session, trip, monkeypatch) -> None:
    person = await registered(session, trip.edition_id, "late@example.org")
    monkeypatch.setenv("ASCC_NOW", "2023-11-09T10:00+09:00")
    with pytest.raises(DomainError) as late:
        await tour_ballot.set_preferences(session, person.id, trip.a, [trip.a1])
    assert late.value.code == "ballot_closed"


async def test_roll_call_counts_present_and_no_shows(session, trip) -> None:
    people = [await registered(session, trip.edition_id, f"p{n}@example.org") for n in range(2)]
    for p in people:
        await booking.book(session, p.id, trip.course_b, BASE)
    await roll_call.mark(session, trip.course_b, people[0].id, True)
    await roll_call.mark(session, trip.course_b, people[1].id, False)
    await session.commit()
    figures = await tours.figures(session, (await tours.get_tour(session, trip.b)).courses)
    assert (figures[trip.course_b].present, figures[trip.course_b].no_shows) == (1, 1)


async def test_withdrawing_a_ranking_and_no_cancelling_after_departure(session, trip, monkeypatch) -> None:
    person = await registered(session, trip.edition_id, "w@example.org")
    assert await tour_ballot.set_preferences(session, person.id, trip.a, [trip.a2]) == [trip.a2]
    assert await tour_ballot.set_preferences(session, person.id, trip.a, []) == []
    assert await tours.my_preferences(session, person.id, trip.a) == []
    await booking.book(session, person.id, trip.course_b, BASE)
    await id_documents.set_id_document(session, person.id, trip.course_b, "passport", "TK1234567", "s")
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-13T14:00+09:00")  # the bus has left
    with pytest.raises(DomainError) as gone:
        await booking.cancel(session, person.id, trip.course_b, BASE)
    assert gone.value.code == "departed"
    with pytest.raises(DomainError) as late:
        await tour_ballot.run_allocation(session, trip.a, "s", BASE)
    assert late.value.code == "departed"
