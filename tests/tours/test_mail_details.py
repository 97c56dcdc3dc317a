"""Every site-visit mail says when (with the conference's zone), where to meet and what to bring, in both
languages, as the person receives it from a real SMTP server."""

from __future__ import annotations

import pytest

from ascc.mail import services as mail
from ascc.tours import ballot as tour_ballot
from ascc.tours import booking
from tests.conftest import Mailbox
from tests.tours.conftest import BASE, registered

SENDER = "ASCC <noreply@ascc.example.org>"
# Course B: Monday 13 November, 13:30 to 16:30 in Yokohama; the facility needs an ID.
B_WHEN_EN = "When: Monday 13 November 2023, 13:30–16:30 (JST)"
B_WHEN_JA = "日時：2023年11月13日(月) 13:30–16:30 (日本時間)"
# The ballot tour's courses: the same day, 10:15 to 12:30.
A_WHEN_EN = "Monday 13 November 2023, 10:15–12:30 (JST)"
A_WHEN_JA = "2023年11月13日(月) 10:15–12:30 (日本時間)"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """What a mail says does not depend on the database: one is enough."""
    return sqlite_url


async def received(session, session_maker, mailbox: Mailbox, address: str) -> list[str]:
    """The bodies of the mails `address` got, after the outbox went through the SMTP server."""
    await session.commit()
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    return [m.get_content() for m in mailbox.to(address)]


async def in_japanese(session, user) -> None:
    user.preferred_lang = "ja"
    await session.commit()


async def test_a_seat_says_when_where_to_meet_and_what_to_bring(
    session, session_maker, trip, mailbox
) -> None:
    maria = await registered(session, trip.edition_id, "maria@example.org", name="Maria Reyes")
    kenji = await registered(session, trip.edition_id, "kenji@example.org", name="Kenji Watanabe")
    await in_japanese(session, kenji)
    for person in (maria, kenji):
        await booking.book(session, person.id, trip.course_b, BASE)
    [english] = await received(session, session_maker, mailbox, "maria@example.org")
    [japanese] = await received(session, session_maker, mailbox, "kenji@example.org")
    for body in (english, japanese):
        assert "You have a seat on B Water reclamation." in body
        assert B_WHEN_EN in body and B_WHEN_JA in body
        assert "Meeting point: 1F main entrance" in body and "集合場所：1階正面入口" in body
        assert "Please bring: your conference badge and the passport or ID card whose number you gave" in body
        assert "持ち物：参加証と、番号を登録したパスポートまたは身分証" in body
    # Each reads their own language first.
    assert english.index(B_WHEN_EN) < english.index(B_WHEN_JA)
    assert japanese.index(B_WHEN_JA) < japanese.index(B_WHEN_EN)


async def test_the_ballot_results_say_when_and_where(
    session, session_maker, trip, mailbox, monkeypatch
) -> None:
    people = [
        await registered(session, trip.edition_id, f"r{n}@example.org", city=f"City {n}") for n in range(4)
    ]
    await in_japanese(session, people[0])
    for person in people:
        await tour_ballot.set_preferences(session, person.id, trip.a, [trip.a3])  # one seat on A3
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-09T10:00+09:00")  # after the deadline
    await tour_ballot.run_allocation(session, trip.a, "published-seed", BASE)
    bodies = [(await received(session, session_maker, mailbox, p.email))[0] for p in people]
    [seat] = [b for b in bodies if "you have a seat on A3 MICE and PPP" in b]
    assert f"When: {A_WHEN_EN}" in seat and f"日時：{A_WHEN_JA}" in seat
    assert (
        "Meeting point: -" in seat
        and "Please bring: your conference badge (on your phone or printed)." in seat
    )
    left_out = [b for b in bodies if b is not seat]
    assert len(left_out) == 3
    for body in left_out:
        assert f"Your first choice: A3 MICE and PPP, {A_WHEN_EN}." in body
        assert f"第一希望：A3 MICEとPPP（{A_WHEN_JA}）" in body


async def test_a_place_freed_on_the_waiting_list_says_when_and_where(
    session, session_maker, trip, mailbox
) -> None:
    first, second, waiting = [
        await registered(session, trip.edition_id, f"w{n}@example.org", name=f"Person {n}") for n in range(3)
    ]
    await in_japanese(session, waiting)
    for person in (first, second, waiting):
        await booking.book(session, person.id, trip.course_b, BASE)  # two seats: the third waits
    await session.commit()
    [queued] = await received(session, session_maker, mailbox, "w2@example.org")
    assert "キャンセル待ち 1 番目" in queued and B_WHEN_JA in queued
    await booking.cancel(session, first.id, trip.course_b, BASE)
    promoted = (await received(session, session_maker, mailbox, "w2@example.org"))[-1]
    assert promoted.startswith("Person 2 様")
    assert "空きが出たため、B 水再生 の席が確保されました" in promoted
    assert promoted.index(B_WHEN_JA) < promoted.index(B_WHEN_EN)
    assert "集合場所：1階正面入口" in promoted and "Meeting point: 1F main entrance" in promoted
    assert "持ち物：参加証と、番号を登録したパスポートまたは身分証" in promoted
