"""Reminders: once per person and item, at the lead time the organizers set, only to the people of the item
(signed up or saved a session, a seat on the bus, both parties of a meeting), in their language, with the
meeting's join page and never a room's address; people who turned reminders off are skipped."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, func, select, update

from ascc.accounts import services as accounts
from ascc.campaigns import preferences as campaigns
from ascc.campaigns import reminders
from ascc.campaigns.models import ReminderSent
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.mail.models import OutboxMessage
from ascc.matching.models import Meeting
from ascc.programme import services as programme
from tests.calendar.conftest import build_calendar
from tests.campaigns.conftest import SECRET, deliver

BASE = "http://testserver.local"


@pytest.fixture
async def plans(session):
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    published = await programme.published(session, edition)
    for who in (w.bank, w.online):
        await programme.save(session, who, published, w.talk)
    await accounts.set_preferred_lang(session, w.bank, "ja")
    await campaigns.set_preference(session, w.online, "reminders", False, "account")
    await session.execute(delete(OutboxMessage))
    await session.commit()
    w.edition = edition
    return w


async def run_at(session, monkeypatch, plans, when: str) -> dict[str, int]:
    monkeypatch.setenv("ASCC_NOW", when)
    counts = await reminders.send_due(session, plans.edition, BASE, SECRET)
    await session.commit()
    return counts


def body(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


async def test_reminders_go_once_at_the_right_time_to_the_right_people(
    session, session_maker, plans, mailbox, monkeypatch
) -> None:
    nothing = {"session": 0, "tour": 0, "meeting": 0, "skipped": 0}
    # A day and an hour before the bus leaves: too early for anything.
    assert await run_at(session, monkeypatch, plans, "2023-11-13T15:00+09:00") == nothing
    # 23.5 hours before: the bus (24 h by default), only for the person with a seat; twice changes nothing.
    assert await run_at(session, monkeypatch, plans, "2023-11-13T16:30+09:00") == {**nothing, "tour": 1}
    assert await run_at(session, monkeypatch, plans, "2023-11-13T16:31+09:00") == nothing
    await deliver(session_maker, mailbox)
    [bus] = mailbox.messages
    assert str(bus["To"]) == "Maria Reyes <official@example.org>"
    assert bus["Subject"] == "Reminder: your site visit departs at 16:00 / リマインダー：16:00出発の視察"
    text = body(bus)
    assert (
        "Your site visit “Tour B · B Water reclamation” departs Tuesday 14 November 2023, 16:00 (JST)."
        in text
    )
    assert "Meeting point: 1F main entrance" in text and "集合場所：1階正面入口" in text
    assert f"{BASE}/mail/preferences/{plans.official}." in text
    # 16 minutes before the workshop: not yet (15 minutes); 14 minutes before: those who signed up or saved it.
    assert await run_at(session, monkeypatch, plans, "2023-11-14T09:44+09:00") == nothing
    assert await run_at(session, monkeypatch, plans, "2023-11-14T09:46+09:00") == {
        **nothing,
        "session": 2,
        "skipped": 1,  # the online participant turned reminders off
    }
    await deliver(session_maker, mailbox)
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in mailbox.messages[1:]) == [
        "bank@example.org",
        "official@example.org",
    ]
    [bank] = mailbox.to("bank@example.org")
    assert bank["Subject"] == "リマインダー：10:00からのセッション / Reminder: your session at 10:00"
    assert body(bank).startswith(
        "Akane Shimizu 様\n\n「汚泥ワークショップ」は2023年11月14日(火) 10:00 (日本時間)に始まります。"
    )
    # The meeting, as an online one: both parties get the join page, never the room itself.
    await session.execute(
        update(Meeting).where(Meeting.id == plans.meeting).values(place="room", place_number=1)
    )
    await session.commit()
    room_token = await session.scalar(select(Meeting.room_token).where(Meeting.id == plans.meeting))
    assert await run_at(session, monkeypatch, plans, "2023-11-14T13:16+09:00") == {**nothing, "meeting": 2}
    await deliver(session_maker, mailbox)
    meeting_mails = [m for m in mailbox.messages if "business meeting" in str(m["Subject"])]
    assert len(meeting_mails) == 2
    for mail in meeting_mails:
        text = body(mail)
        assert f"{BASE}/matching/meetings/{plans.meeting}/join" in text
        assert room_token not in text and "meet.jit.si" not in text
    [official_meeting] = [m for m in meeting_mails if "official@" in str(m["To"])]
    assert "Your business meeting with Aiko Staff is Tuesday 14 November 2023, 13:30 (JST)." in body(
        official_meeting
    )
    # Afterwards nothing is sent again, and each row is there once.
    assert await run_at(session, monkeypatch, plans, "2023-11-14T13:20+09:00") == nothing
    assert await session.scalar(select(func.count()).select_from(ReminderSent)) == 6
    assert (await reminders.sent_counts(session, plans.edition_id))["session"] == {"queued": 2, "skipped": 1}


async def test_two_loops_at_once_remind_once(session_maker, plans, mailbox, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T09:50+09:00")

    async def one_loop() -> None:
        async with session_maker() as session:
            edition = await editions.get_by_id(session, plans.edition_id)
            await reminders.send_due(session, edition, BASE, SECRET)
            await session.commit()

    await asyncio.gather(one_loop(), one_loop(), one_loop())
    await deliver(session_maker, mailbox)
    # The workshop for the two who signed up or saved it, and the bus of the afternoon: each once.
    sent = sorted((str(m["To"]).split("<")[1], str(m["Subject"])[:30]) for m in mailbox.messages)
    assert len(sent) == 3 and len(set(sent)) == 3


async def test_table_meeting_and_lead_times_set_by_organizers(
    session, session_maker, plans, mailbox, monkeypatch
) -> None:
    from tests.campaigns.conftest import Actor

    organizer = await accounts.create_user(
        session, email="org@example.org", role="organizer", password="correct horse battery", name_latin="Org"
    )
    await session.commit()
    with pytest.raises(ValidationFailed) as refused:
        await reminders.save_settings(
            session,
            plans.edition_id,
            {"session_minutes": "-5", "tour_minutes": "x", "meeting_minutes": "30"},
            Actor(organizer),
        )
    assert set(refused.value.errors) == {"session_minutes", "tour_minutes"}
    await session.rollback()
    await reminders.save_settings(
        session,
        plans.edition_id,
        {"session_minutes": "0", "tour_minutes": "0", "meeting_minutes": "30"},
        Actor(organizer),
    )
    await session.commit()
    plans.edition = await editions.get_by_id(session, plans.edition_id)
    # 25 minutes before the meeting: due with 30; the workshop (sessions off) is not reminded at all.
    assert await run_at(session, monkeypatch, plans, "2023-11-14T09:55+09:00") == {
        "session": 0,
        "tour": 0,
        "meeting": 0,
        "skipped": 0,
    }
    counts = await run_at(session, monkeypatch, plans, "2023-11-14T13:05+09:00")
    assert counts["meeting"] == 2
    await deliver(session_maker, mailbox)
    [official] = mailbox.to("official@example.org")
    assert "Where: Table 1, Hall B" in body(official)
    assert f"{BASE}/matching/meetings/{plans.meeting}\n" in body(official)
