"""Meeting invitations by mail through a real SMTP server: scheduled -> METHOD:REQUEST to both parties with
ORGANIZER and ATTENDEE; moved -> the same UID with a later SEQUENCE and the new time; cancelled ->
METHOD:CANCEL to both, the one who cancelled included. Each invitation read by two parsers."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from ical.calendar_stream import IcsCalendarStream

from ascc.editions import services as editions
from ascc.mail import services as mail
from ascc.matching import meeting_requests, meetings, placement, planning, tracking
from tests.calendar.conftest import BASE, build_calendar

SENDER = "ASCC Secretariat <noreply@ascc.example.org>"


def invitations_to(mailbox, address: str) -> list[tuple[str, icalendar.Calendar, object]]:
    """(subject, calendar read by icalendar, event read by ical) of each invitation sent to the address."""
    found = []
    for message in mailbox.to(address):
        parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        if not parts:
            continue
        [part] = parts
        text = part.get_content()
        attachment = [p for p in message.walk() if p.get_filename() == "invite.ics"]
        assert attachment and attachment[0].get_content().decode() == text  # also attached, for any mail app
        parsed = icalendar.Calendar.from_ical(text)
        assert part.get_param("method") == str(parsed["METHOD"])
        [event] = IcsCalendarStream.calendar_from_ics(text).events
        found.append((str(message["Subject"]), parsed, event))
    return found


async def test_scheduled_meeting_invites_both_parties(session, mailbox) -> None:
    await build_calendar(session)
    await mail.deliver_due(lambda: session, mailbox.url, SENDER)
    for address in ("official@example.org", "staff-a@example.org"):
        [(subject, parsed, event)] = invitations_to(mailbox, address)
        assert subject.startswith("Meeting")
        assert str(parsed["METHOD"]) == "REQUEST"
        vevent = parsed.walk("VEVENT")[0]
        assert str(vevent["ORGANIZER"]) == "mailto:noreply@ascc.example.org"
        assert vevent["ORGANIZER"].params["CN"] == "ASCC Secretariat"
        assert sorted(str(a) for a in vevent["ATTENDEE"]) == [
            "mailto:official@example.org",
            "mailto:staff-a@example.org",
        ]
        assert event.dtstart == datetime(2023, 11, 14, 4, 30, tzinfo=UTC)  # 13:30 in Yokohama
        assert event.location.startswith("Table 1, Hall B")
        assert "Maria Reyes" in event.summary


async def test_moved_meeting_sends_a_later_sequence_with_the_new_time(session, mailbox) -> None:
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    await mail.deliver_due(lambda: session, mailbox.url, SENDER)
    await placement.move(session, edition, w.meeting, w.official, False, w.slots[2], BASE)
    await session.commit()
    await mail.deliver_due(lambda: session, mailbox.url, SENDER)
    for address in ("official@example.org", "staff-a@example.org"):
        first, moved = invitations_to(mailbox, address)
        assert moved[0].startswith("Meeting moved")
        assert moved[2].uid == first[2].uid
        assert moved[2].sequence > first[2].sequence
        assert moved[2].dtstart == datetime(2023, 11, 14, 5, 30, tzinfo=UTC)  # 14:30 in Yokohama


async def test_cancelled_meeting_sends_cancel_to_both_including_who_cancelled(session, mailbox) -> None:
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    await mail.deliver_due(lambda: session, mailbox.url, SENDER)
    await meeting_requests.cancel(session, edition, w.meeting, w.company, False, BASE)
    await session.commit()
    await mail.deliver_due(lambda: session, mailbox.url, SENDER)
    for address in ("official@example.org", "staff-a@example.org"):
        request, cancel = invitations_to(mailbox, address)
        assert str(cancel[1]["METHOD"]) == "CANCEL"
        assert cancel[2].uid == request[2].uid
        assert cancel[2].sequence > request[2].sequence
        assert cancel[2].dtstart == request[2].dtstart  # the event as calendars hold it


async def test_move_to_a_slot_one_party_is_busy_in_is_refused_and_changes_nothing(session) -> None:
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    other = await meeting_requests.send_request(session, edition, w.official, {"recipient_id": w.bank}, BASE)
    await meeting_requests.answer(
        session, edition, other.id, w.bank, "accept", {"slot_id": str(w.slots[1])}, BASE
    )
    await session.commit()
    try:
        await placement.move(session, edition, w.meeting, w.official, False, w.slots[1], BASE)
    except meetings.DomainError as exc:
        assert exc.code == "slot_not_free"
    else:
        raise AssertionError("moved into a slot the official is already taken in")
    await session.rollback()
    meeting = await meetings.get_meeting(session, w.meeting)
    assert (meeting.status, meeting.slot_id) == ("scheduled", w.slots[0])


async def test_schedule_all_sends_each_meeting_as_its_own_invitation(session, session_maker, mailbox) -> None:
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    waiting = await meeting_requests.send_request(
        session, edition, w.bank, {"recipient_id": w.official}, BASE
    )
    await meeting_requests.answer(session, edition, waiting.id, w.official, "accept", {}, BASE)  # no time yet
    await session.commit()
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    mailbox.messages.clear()
    run = await planning.start_run(session, w.edition_id, w.official)
    await session.commit()
    await planning.execute_run(session_maker, run.id, BASE)
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    for address in ("official@example.org", "bank@example.org"):
        [(subject, parsed, event)] = invitations_to(mailbox, address)
        assert subject.startswith("Invitation: business meeting")
        assert str(parsed["METHOD"]) == "REQUEST"
        assert event.uid.startswith(f"meeting-{waiting.id}@")
    summaries = [
        m for m in mailbox.to("bank@example.org") if str(m["Subject"]).startswith("Your business meetings")
    ]
    assert len(summaries) == 1  # the list of new meetings still comes once


async def test_a_started_meeting_cannot_be_moved(session, monkeypatch) -> None:
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:45+09:00")  # fifteen minutes into it
    try:
        await placement.move(session, edition, w.meeting, w.official, False, w.slots[3], BASE)
    except meetings.DomainError as exc:
        assert exc.code == "already_started"
    else:
        raise AssertionError("a started meeting was moved")


async def test_a_meeting_the_organizers_locked_is_moved_by_them_only_and_stays_locked(session) -> None:
    w = await build_calendar(session)
    edition = await editions.get_by_id(session, w.edition_id)
    await tracking.set_locked(session, edition.id, w.meeting, True)
    await session.commit()
    try:
        await placement.move(session, edition, w.meeting, w.official, False, w.slots[2], BASE)
    except meetings.DomainError as exc:
        assert exc.code == "locked"
    else:
        raise AssertionError("a party moved a locked meeting")
    await session.rollback()
    edition = await editions.get_by_id(session, w.edition_id)
    moved = await placement.move(session, edition, w.meeting, w.official, True, w.slots[2], BASE)
    assert (moved.slot_id, moved.locked) == (w.slots[2], True)


async def test_an_unreadable_invitation_fails_that_message_only(session, mailbox) -> None:
    await build_calendar(session)
    broken = await mail.queue_mail(
        session,
        to="x@example.org",
        name="X",
        lang="en",
        kind="meeting_invitation_cancelled",
        context={"name": "X", "link": "http://x", "when_en": "", "when_ja": ""},
        invitation={"item": {"uid": "u"}, "zone": "Nowhere/Atlantis", "sequence": 1},
    )
    await session.commit()
    report = await mail.deliver_due(lambda: session, mailbox.url, SENDER)
    assert report.failed == 1 and report.sent >= 5  # the others went out
    [stored] = [m for m in await mail.messages_to(session, "x@example.org") if m.id == broken.id]
    assert stored.status == "failed" and stored.last_error.startswith("cannot build the message")
