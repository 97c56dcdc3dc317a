"""My agenda's meetings and tour bookings, each read in one statement, on both databases: the other party and
their organization whichever side asked, the place, and places on a waiting list counted in order."""

from __future__ import annotations

from datetime import UTC, datetime

from ascc.accounts import services as accounts
from ascc.capacity import services as capacity
from ascc.matching import invitations
from ascc.programme.agenda import AgendaMeeting
from ascc.tours import booking as tour_booking
from ascc.tours import services as tours
from tests.badges.conftest import build_badges
from tests.tours.conftest import BASE, registered


async def test_each_party_sees_the_other_with_their_organization_and_the_place(session) -> None:
    w = await build_badges(session)
    starts, ends = datetime(2023, 11, 14, 4, 30, tzinfo=UTC), datetime(2023, 11, 14, 4, 55, tzinfo=UTC)
    mine = await invitations.agenda_meetings(session, w.edition_id, w.official)
    assert [(m.id, m.with_name, m.place_en, m.place_ja, m.online, m.status) for m in mine] == [
        (w.meeting, "Aiko Staff", "Table 1, Hall B", "テーブル 1、ホールB", False, "scheduled")
    ]
    assert (mine[0].starts_at, mine[0].ends_at) == (starts, ends)
    await accounts.update_profile(
        session, w.official, accounts.ProfileInput(name_latin="Maria Reyes", organization="Cebu City")
    )
    theirs = await invitations.agenda_meetings(session, w.edition_id, w.company)
    assert [(m.with_name, m.with_organization) for m in theirs] == [("Maria Reyes", "Cebu City")]
    assert (await accounts.organization_names(session, [w.official]))[w.official] == "Cebu City"
    assert mine[0].with_organization == ""  # the company's staff has no organization of their own here
    assert all(isinstance(m, AgendaMeeting) for m in [*mine, *theirs])
    assert await invitations.agenda_meetings(session, w.edition_id, w.bank) == []


async def test_my_bookings_carry_each_waiting_place_in_order(session) -> None:
    w = await build_badges(session)
    await capacity.set_limit(session, tours.pool_key(w.bus), 1)
    people = [await registered(session, w.edition_id, f"wait{n}@example.org") for n in range(3)]
    for person in people:
        await tour_booking.book(session, person.id, w.bus, BASE)
    await session.commit()
    places = [await tours.my_bookings(session, p.id, w.edition_id) for p in people]
    assert [[(b.course.id, b.status, b.position) for b in mine] for mine in places] == [
        [(w.bus, "waiting", n)] for n in (1, 2, 3)
    ]
    await tour_booking.cancel(session, people[0].id, w.bus, BASE)  # gives up a waiting place
    await session.commit()
    assert await tours.my_bookings(session, people[0].id, w.edition_id) == []
    assert [b.position for b in await tours.my_bookings(session, people[2].id, w.edition_id)] == [2]
    official = await tours.my_bookings(session, w.official, w.edition_id)
    assert [(b.status, b.position, b.id_missing) for b in official] == [
        ("confirmed", None, True)
    ]  # B wants ID
