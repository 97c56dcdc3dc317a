"""Business matching rules on SQLite and PostgreSQL: sessions, requests and answers, availability, instant
scheduling, "schedule all", no-shows, feedback and recommendations."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.mail.models import OutboxMessage
from ascc.matching import meeting_requests, meetings, people, placement, planning, scheduler, tracking
from ascc.matching import services as matching
from ascc.matching.models import Meeting, MeetingSeat
from ascc.notifications import services as notifications
from ascc.programme import demo as programme_demo
from tests.matching.conftest import BASE, SESSION, build_matching
from tests.tours.conftest import registered


async def ask(session, w, requester: int, recipient: int, **values) -> Meeting:
    meeting = await meeting_requests.send_request(
        session, w.edition, requester, {"recipient_id": recipient, "message": "Let us talk", **values}, BASE
    )
    await session.commit()
    return meeting


async def test_a_session_makes_slots_with_breaks_and_refuses_impossible_times(session) -> None:
    w = await build_matching(session)
    block = await matching.get_session(session, w.edition_id, w.session_id)
    starts = [s.starts_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") for s in block.slots]
    assert starts == ["13:30", "14:00", "14:30", "15:00"]  # 25 minutes and a 5-minute break, up to 15:30
    with pytest.raises(ValidationFailed) as failed:
        await matching.save_session(
            session,
            w.edition,
            None,
            {**SESSION, "starts": "15:00", "ends": "14:00", "tables": "", "online_rooms": ""},
        )
    assert {"ends", "tables"} <= set(failed.value.errors)
    with pytest.raises(ValidationFailed) as failed:
        await matching.save_session(session, w.edition, None, {**SESSION, "ends": "13:40"})
    assert failed.value.errors["slot_minutes"][0] == "matching.error.no_slot_fits"


async def test_request_tells_the_recipient_by_page_and_mail(session) -> None:
    w = await build_matching(session)
    meeting = await ask(session, w, w.official, w.company, priority="must", message="ぜひ汚泥の件で 🙏")
    assert meeting.status == "requested" and meeting.priority == "must" and meeting.format == "in_person"
    notes = await notifications.unread(session, w.company)
    assert notes[0].kind == "meeting_requested" and notes[0].link == f"/matching/meetings/{meeting.id}"
    mail = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "meeting_requested"))
    assert mail.to_address == "staff-a@example.org" and "Maria Reyes" in mail.body_text
    assert "ぜひ汚泥の件で 🙏" in mail.body_text


@pytest.mark.parametrize(
    ("who", "values", "code"),
    [
        ("self", {}, "self"),
        ("other_company", {}, "categories"),  # company to company is not offered by default
        ("company", {"priority": "urgent"}, "invalid"),
        ("online", {"format": "in_person"}, "format"),  # an online participant cannot sit at a table
    ],
)
async def test_bad_requests_are_refused_with_the_reason(session, who, values, code) -> None:
    w = await build_matching(session)
    requester = w.company if who in ("other_company", "online") else w.official
    recipient = {
        "self": w.official,
        "other_company": w.other_company,
        "company": w.company,
        "online": w.online,
    }[who]
    with pytest.raises(DomainError) as refused:
        await ask(session, w, requester, recipient, **values)
    assert refused.value.code == code
    assert await session.scalar(select(Meeting.id)) is None


async def test_no_second_open_request_between_the_same_two_and_the_limit_holds(session) -> None:
    w = await build_matching(session)
    await ask(session, w, w.official, w.company)
    with pytest.raises(DomainError) as refused:
        await ask(session, w, w.company, w.official)
    assert refused.value.code == "already_open"
    await matching.save_profile(session, w.edition_id, w.official, {"meeting_limit": "1"})
    await session.commit()
    with pytest.raises(DomainError) as refused:
        await ask(session, w, w.official, w.bank)
    assert refused.value.code == "limit_reached" and refused.value.params["limit"] == 1


async def test_only_people_in_the_directory_can_be_asked(session) -> None:
    w = await build_matching(session)
    hidden = await registered(session, w.edition_id, "hidden@example.org", category="company")
    with pytest.raises(DomainError) as refused:
        await ask(session, w, w.official, hidden.id)
    assert refused.value.code == "unknown_person" and refused.value.status_code == 404


async def test_accept_in_instant_mode_takes_the_slot_and_the_first_free_table(session) -> None:
    w = await build_matching(session)
    first = await ask(session, w, w.official, w.company)
    second = await ask(session, w, w.bank, w.other_company)
    for m in (first, second):
        recipient = m.recipient_id
        await meeting_requests.answer(
            session, w.edition, m.id, recipient, "accept", {"slot_id": w.slots[0]}, BASE
        )
        await session.commit()
    placed = [await meetings.get_meeting(session, m.id) for m in (first, second)]
    assert [(m.status, m.slot_id, m.place, m.place_number) for m in placed] == [
        ("scheduled", w.slots[0], "table", 1),
        ("scheduled", w.slots[0], "table", 2),
    ]
    seats = (
        await session.scalars(select(MeetingSeat.user_id).where(MeetingSeat.slot_id == w.slots[0]))
    ).all()
    assert sorted(seats) == sorted([w.official, w.company, w.bank, w.other_company])
    # Both tables of that slot are taken: a third meeting cannot go there.
    third = await ask(session, w, w.official, w.bank)
    with pytest.raises(DomainError) as refused:
        await meeting_requests.answer(
            session, w.edition, third.id, w.bank, "accept", {"slot_id": w.slots[0]}, BASE
        )
    assert refused.value.code == "slot_not_free"
    mail = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "meeting_scheduled"))
    assert "Table 1, Hall B" in mail.body_text and "テーブル 1、ホールB" in mail.body_text


async def test_only_the_recipient_or_their_delegation_head_may_answer(session) -> None:
    w = await build_matching(session)
    meeting = await ask(session, w, w.official, w.company)
    with pytest.raises(DomainError) as refused:
        await meeting_requests.answer(session, w.edition, meeting.id, w.bank, "accept", {}, BASE)
    assert refused.value.code == "not_yours" and refused.value.status_code == 403


async def test_a_delegation_head_answers_for_a_member(session) -> None:
    from ascc.registration import delegations
    from ascc.registration import services as registration

    w = await build_matching(session)
    head_registration = await registration.my_registration(session, w.edition_id, w.official)
    delegation = await delegations.start_delegation(session, head_registration)
    member = await registered(session, w.edition_id, "member@example.org", name="Jose Ouano")
    member_registration = await registration.my_registration(session, w.edition_id, member.id)
    member_registration.delegation_id = delegation.id
    await session.commit()
    from tests.matching.conftest import listed

    await listed(session, w.edition_id, member.id)
    meeting = await ask(session, w, w.company, member.id)
    assert meeting.id in [m.id for m in (await tracking.mine(session, w.edition_id, w.official)).incoming]
    answered = await meeting_requests.answer(
        session, w.edition, meeting.id, w.official, "decline", {"answer": "Not now"}, BASE
    )
    assert answered.status == "declined" and answered.answered_by_id == w.official


async def test_propose_a_time_then_the_requester_agrees(session) -> None:
    w = await build_matching(session)
    meeting = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(
        session, w.edition, meeting.id, w.company, "propose", {"slot_id": w.slots[2]}, BASE
    )
    await session.commit()
    agreed = await meeting_requests.take_proposal(session, w.edition, meeting.id, w.official, BASE)
    assert agreed.status == "scheduled" and agreed.slot_id == w.slots[2] and agreed.proposed_slot_id is None


async def test_availability_comes_from_blocks_signups_and_tours(session) -> None:
    w = await build_matching(session)
    await matching.add_block(
        session, w.edition, w.official, {"day": "2023-11-14", "starts": "13:00", "ends": "14:10"}
    )
    await programme_demo.load_programme(
        session,
        w.edition,
        {
            "tracks": [],
            "speakers": [],
            "sessions": [
                {
                    "title_en": "Zero carbon panel",
                    "title_ja": "脱炭素パネル",
                    "kind": "panel",
                    "day": "2023-11-14",
                    "start": "15:00",
                    "end": "16:00",
                    "capacity": 10,
                }
            ],
        },
        base_url="",
    )
    await session.commit()
    from ascc.programme import services as programme

    current = await programme.published(session, w.edition)
    panel = current.schedule.items[0].id
    await programme.sign_up(session, w.company, current, panel)
    await session.commit()
    meeting = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(session, w.edition, meeting.id, w.company, "accept", {}, BASE)
    await session.commit()
    free = [s.id for s, _ in await placement.common_free_slots(session, w.edition_id, meeting)]
    assert free == [w.slots[2]]  # 13:30 and 14:00 blocked by the official, 15:00 by the company's panel
    with pytest.raises(DomainError):
        await placement.schedule_in(session, w.edition, meeting, w.slots[0], BASE)


async def test_schedule_all_places_accepted_meetings_optimally_and_keeps_scheduled_ones(
    session, session_maker
) -> None:
    w = await build_matching(session)
    fixed = await ask(session, w, w.official, w.company, priority="must")
    await meeting_requests.answer(
        session, w.edition, fixed.id, w.company, "accept", {"slot_id": w.slots[1]}, BASE
    )
    waiting = []
    for requester, recipient in (
        (w.official, w.bank),
        (w.bank, w.company),
        (w.online, w.company),
        (w.online, w.bank),
    ):
        m = await ask(session, w, requester, recipient)
        await meeting_requests.answer(session, w.edition, m.id, recipient, "accept", {}, BASE)
        waiting.append(m.id)
    await session.commit()
    picture = await planning.capacity_picture(session, w.edition_id)
    assert picture["waiting"] == 4 and picture["scheduled"] == 1 and picture["slots"] == 4

    run_id = (await planning.start_run(session, w.edition_id, w.official)).id
    await session.commit()
    with pytest.raises(DomainError):  # one run at a time
        await planning.start_run(session, w.edition_id, w.official)
    await session.rollback()
    await planning.execute_run(session_maker, run_id, BASE)

    done = await planning.get_run(session, w.edition_id, run_id)
    assert done.status == "done" and done.progress == 1.0
    assert done.result["scheduled"] == 4 and done.result["proven_optimal"] is True
    assert done.result["weight"] == done.result["bound"]
    rows = (await session.scalars(select(Meeting).execution_options(populate_existing=True))).all()
    by_id = {m.id: m for m in rows}
    assert (by_id[fixed.id].slot_id, by_id[fixed.id].place_number) == (w.slots[1], 1)
    assert all(by_id[i].status == "scheduled" for i in waiting)
    assert by_id[waiting[2]].place == "room"  # the online official meets online
    # The written schedule keeps every rule, as the checker sees it.
    found = await planning.problem(session, w.edition_id)
    placed = {m.id: (m.slot_id, m.place_number) for m in rows}
    result = scheduler.Schedule(placed, {}, sum(m.weight for m in rows), 1e9, True, "db")
    assert scheduler.check(found.meetings, found.slots, result) == []
    digest = (
        await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "meetings_scheduled"))
    ).all()
    assert len({m.to_address for m in digest}) == len(digest) == 4  # one mail per person, not per meeting


async def test_run_names_why_a_meeting_was_left_out(session, session_maker) -> None:
    w = await build_matching(session)
    for n in range(4):
        await matching.add_block(
            session,
            w.edition,
            w.bank,
            {"day": "2023-11-14", "starts": "13:00", "ends": "16:00", "note": f"{n}"},
        )
    m = await ask(session, w, w.official, w.bank)
    await meeting_requests.answer(session, w.edition, m.id, w.bank, "accept", {}, BASE)
    run = await planning.start_run(session, w.edition_id, w.official)
    await session.commit()
    await planning.execute_run(session_maker, run.id, BASE)
    done = await planning.get_run(session, w.edition_id, run.id)
    assert done.result["left_out"] == [{"id": m.id, "reason": scheduler.NO_COMMON_SLOT}]


async def test_cancel_frees_the_slot_and_no_show_is_recorded_after_ten_minutes(session, monkeypatch) -> None:
    w = await build_matching(session)
    m = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(
        session, w.edition, m.id, w.company, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    await meeting_requests.cancel(session, w.edition, m.id, w.official, False, BASE)
    await session.commit()
    assert await session.scalar(select(MeetingSeat.id)) is None
    again = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(
        session, w.edition, again.id, w.company, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:41+09:00")  # 11 minutes after the start, nobody checked in
    assert await tracking.sweep_no_shows(session, w.edition_id) == 1
    await session.commit()
    gone = await meetings.get_meeting(session, again.id)
    assert gone.status == "no_show" and gone.place_number is None
    assert await session.scalar(select(MeetingSeat.id)) is None


async def test_check_in_then_feedback_and_follow_up(session, monkeypatch) -> None:
    w = await build_matching(session)
    m = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(
        session, w.edition, m.id, w.company, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    with pytest.raises(DomainError) as refused:
        await tracking.give_feedback(session, w.edition_id, m.id, w.official, {"outcome": "informative"})
    assert refused.value.code == "too_early"
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:35+09:00")
    await tracking.check_in(session, await meetings.get_meeting(session, m.id), w.official)
    await tracking.check_in(session, await meetings.get_meeting(session, m.id), w.company)
    assert await tracking.sweep_no_shows(session, w.edition_id) == 0
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:55+09:00")  # the end of the meeting: feedback opens
    await tracking.give_feedback(
        session,
        w.edition_id,
        m.id,
        w.official,
        {"outcome": "follow_up", "follow_up": ["pilot"], "note": "試験導入"},
    )
    await tracking.record_follow_up(
        session, w.edition_id, m.id, w.official, {"month": "6", "status": "pilot"}
    )
    await session.commit()
    feedback = (await tracking.feedback_of(session, [m.id]))[m.id][0]
    assert (feedback.outcome, feedback.follow_up, feedback.note) == ("follow_up", ["pilot"], "試験導入")
    assert (await tracking.follow_ups_of(session, [m.id]))[m.id][6].status == "pilot"
    with pytest.raises(ValidationFailed):
        await tracking.record_follow_up(
            session, w.edition_id, m.id, w.official, {"month": "5", "status": "pilot"}
        )


async def test_recommendations_explain_a_need_meeting_a_solution_and_respect_consent(session) -> None:
    w = await build_matching(session)
    found = await people.recommendations(session, w.edition_id, w.official)
    assert found, "the city official should get recommendations"
    card, best = found[0]
    assert card.user_id == w.company  # Wakato's septage dewatering for Cebu's septage need
    assert best.need is not None and best.solution is not None
    assert best.solution.title_en == "Septage sludge dewatering unit"
    assert "water" in best.sectors
    # Opting out of recommendations removes a person from everyone's list, but not from the directory.
    from tests.matching.conftest import listed

    await listed(session, w.edition_id, w.company, recommendations=False)
    ids = [c.user_id for c, _ in await people.recommendations(session, w.edition_id, w.official)]
    assert w.company not in ids
    assert w.company in [c.user_id for c in await people.directory_cards(session, w.edition_id, w.official)]
    # Company staff are never recommended other companies (not an allowed pair).
    assert w.other_company not in [
        c.user_id for c, _ in await people.recommendations(session, w.edition_id, w.company)
    ]


async def test_network_directory_finds_vietnamese_names_typed_without_accents(session) -> None:
    w = await build_matching(session)
    for typed in ("nguyen thi thu", "NGUYỄN", "ｎｇｕｙｅｎ"):
        cards = await people.directory_cards(session, w.edition_id, w.company, query=typed)
        assert [c.name for c in cards] == ["Nguyễn Thị Thu"]
    assert await people.directory_cards(session, w.edition_id, w.company, query="thu da nang") == []


async def test_received_requests_do_not_use_up_the_limit(session) -> None:
    w = await build_matching(session)
    await matching.save_profile(session, w.edition_id, w.company, {"meeting_limit": "1"})
    first = await ask(session, w, w.official, w.company)
    await ask(session, w, w.bank, w.company)  # two requests waiting for a person who wants one meeting
    accepted = await meeting_requests.answer(session, w.edition, first.id, w.company, "accept", {}, BASE)
    assert accepted.status == "accepted"
    await session.commit()
    with pytest.raises(DomainError) as refused:  # now the one meeting is agreed: no second one
        await ask(session, w, w.company, w.online)
    assert refused.value.code == "limit_reached"


async def test_without_instant_mode_only_the_organizers_run_sets_times(session) -> None:
    w = await build_matching(session)
    await matching.save_settings(
        session,
        w.edition_id,
        {"pairs": ["city_official:company"], "meeting_limit": "5", "requests_open": "1"},
    )
    m_id = (await ask(session, w, w.official, w.company)).id
    with pytest.raises(DomainError) as refused:
        await meeting_requests.answer(
            session, w.edition, m_id, w.company, "propose", {"slot_id": w.slots[0]}, BASE
        )
    assert refused.value.code == "not_instant"
    await session.rollback()
    w.edition = await editions.get_by_id(session, w.edition_id)  # what the rollback expired
    await meeting_requests.answer(
        session, w.edition, m_id, w.company, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    meeting = await meetings.get_meeting(session, m_id)
    assert meeting.status == "accepted" and meeting.slot_id is None
    with pytest.raises(DomainError):
        await placement.schedule_in(session, w.edition, meeting, w.slots[0], BASE)


async def test_two_people_changing_one_meeting_at_once_the_second_is_told(session, session_maker) -> None:
    w = await build_matching(session)
    m = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(session, w.edition, m.id, w.company, "accept", {}, BASE)
    await session.commit()
    async with session_maker() as first, session_maker() as second:
        mine = await meetings.get_meeting(first, m.id)
        theirs = await meetings.get_meeting(second, m.id)
        await placement.schedule_in(first, w.edition, mine, w.slots[0], BASE)
        await first.commit()
        with pytest.raises(DomainError):  # the second party's page was read before the first one's write
            await placement.schedule_in(second, w.edition, theirs, w.slots[2], BASE)
        await second.rollback()
    seats = (await session.scalars(select(MeetingSeat.slot_id).where(MeetingSeat.meeting_id == m.id))).all()
    assert set(seats) == {w.slots[0]}


async def test_held_meetings_keep_their_table_in_a_later_run_and_feedback_revives_a_no_show(
    session, session_maker, monkeypatch
) -> None:
    w = await build_matching(session)
    m = await ask(session, w, w.official, w.company)
    await meeting_requests.answer(
        session, w.edition, m.id, w.company, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    with pytest.raises(DomainError) as refused:  # hours before the meeting
        await tracking.check_in(session, await meetings.get_meeting(session, m.id), w.official)
    assert refused.value.code == "check_in_time"
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:25+09:00")
    await tracking.check_in(session, await meetings.get_meeting(session, m.id), w.official)
    await tracking.check_in(session, await meetings.get_meeting(session, m.id), w.company)
    await session.commit()
    found = await planning.problem(session, w.edition_id)
    assert [x.fixed for x in found.meetings] == [(w.slots[0], 1)]

    other = await ask(session, w, w.bank, w.other_company)
    await meeting_requests.answer(
        session, w.edition, other.id, w.other_company, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:50+09:00")
    assert await tracking.sweep_no_shows(session, w.edition_id) == 1
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T14:00+09:00")  # after its end: feedback is open
    await tracking.give_feedback(session, w.edition_id, other.id, w.bank, {"outcome": "informative"})
    await session.commit()
    assert (await meetings.get_meeting(session, other.id)).status == "no_show"  # one party's word
    await tracking.give_feedback(
        session, w.edition_id, other.id, w.other_company, {"outcome": "cooperation_possible"}
    )
    await session.commit()
    assert (await meetings.get_meeting(session, other.id)).status == "held"  # both say it took place
