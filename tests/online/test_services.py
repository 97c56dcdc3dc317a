"""The rules of online attendance, on SQLite and PostgreSQL: who may take part, questions and their
moderation, votes counted once (also when they race), polls, heartbeats and the attendance figures."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.online import polls, questions, viewing
from ascc.online import services as online
from ascc.programme import services as programme
from ascc.registration import registering
from ascc.registration import services as registration

TOKYO = ZoneInfo("Asia/Tokyo")


async def who(session, world, user_id: int, session_id: int | None = None) -> online.Viewer:
    user = await accounts.get_user(session, user_id)
    return await online.viewer(session, world.edition_id, user, session_id or world.water)


async def test_only_confirmed_participants_organizers_and_the_stage_take_part(session, world) -> None:
    viewer, outsider = await who(session, world, world.viewer), await who(session, world, world.outsider)
    organizer, moderator = (
        await who(session, world, world.organizer),
        await who(session, world, world.moderator),
    )
    assert (viewer.attendee, viewer.moderator, viewer.registration_mode) == (True, False, "online")
    assert (outsider.attendee, outsider.moderator) == (False, False)
    assert (organizer.attendee, organizer.moderator) == (True, True)
    assert (moderator.attendee, moderator.moderator, moderator.on_stage) == (True, True, True)
    # The moderator moderates the water session only.
    elsewhere = await who(session, world, world.moderator, world.parallel)
    assert elsewhere.moderator is False
    with pytest.raises(DomainError) as refused:
        await questions.ask(session, outsider, world.water, "May I?", False, "Not Registered")
    assert refused.value.status_code == 403


async def test_a_question_waits_for_a_moderator_then_everyone_sees_it(session, world) -> None:
    viewer, in_room = await who(session, world, world.viewer), await who(session, world, world.in_room)
    moderator = await who(session, world, world.moderator)
    hostile = '<script>alert("x")</script> Lượng nước thải? 🙏'
    asked = await questions.ask(session, viewer, world.water, hostile, True, "Nguyen Thi Lan · Da Nang")
    await session.commit()
    assert (asked.status, asked.body, asked.language) == ("pending", hostile, "en")
    assert [q.id for q in await questions.questions_of(session, world.water, viewer)] == [asked.id]  # my own
    assert await questions.questions_of(session, world.water, in_room) == []  # not yet for others
    with pytest.raises(DomainError):
        await questions.moderate(session, in_room, asked.id, "approve", None, datetime.now(TOKYO))
    await questions.moderate(session, moderator, asked.id, "approve", None, datetime.now(TOKYO))
    await session.commit()
    assert [q.id for q in await questions.questions_of(session, world.water, in_room)] == [asked.id]
    answered = await questions.moderate(
        session, moderator, asked.id, "answer", "Yes: 200 m³ a day.", datetime.now(TOKYO)
    )
    assert (answered.status, answered.answer) == ("answered", "Yes: 200 m³ a day.")
    await questions.moderate(session, moderator, asked.id, "hide", None, datetime.now(TOKYO))
    await session.commit()
    assert await questions.questions_of(session, world.water, in_room) == []
    assert [q.status for q in await questions.questions_of(session, world.water, moderator)] == ["hidden"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", "error.required"), ("  \n\t ", "error.required"), ("質" * 501, "error.too_long")],
)
async def test_empty_or_huge_questions_are_refused(session, world, body: str, reason: str) -> None:
    viewer = await who(session, world, world.viewer)
    with pytest.raises(ValidationFailed) as refused:
        await questions.ask(session, viewer, world.water, body, False, "x")
    assert refused.value.errors["body"][0] == reason


async def test_votes_count_once_per_person_even_when_they_race(session, session_maker, world) -> None:
    moderator = await who(session, world, world.moderator)
    settings = await online.settings_of(session, world.water)
    settings.qa_moderated = False
    session.add(settings)
    question = await questions.ask(session, moderator, world.water, "Which river?", False, "Priya Raman")
    await session.commit()
    assert question.status == "approved"  # shown at once when the session is not moderated first
    voters = [world.viewer, world.in_room, world.organizer, world.moderator]

    async def vote(user_id: int) -> bool:
        async with session_maker() as own:
            _, counted = await questions.vote(own, await who(own, world, user_id), question.id)
            await own.commit()
            return counted

    results = await asyncio.gather(*(vote(u) for u in voters * 2))
    assert sorted(results) == [False] * 4 + [True] * 4
    assert (await questions.get_question(session, question.id)).votes == 4
    viewer = await who(session, world, world.viewer)
    assert (await questions.unvote(session, viewer, question.id)).votes == 3
    assert await questions.my_votes(session, world.viewer, world.water) == set()


async def test_a_poll_takes_one_vote_a_person(session, world) -> None:
    moderator, viewer = await who(session, world, world.moderator), await who(session, world, world.viewer)
    with pytest.raises(ValidationFailed) as bad:
        await polls.create_poll(session, moderator, world.water, {"question_en": "Ready?", "options": "Yes"})
    assert "options" in bad.value.errors
    poll = await polls.create_poll(
        session,
        moderator,
        world.water,
        {"question_en": "Does your city reuse water?", "options": "Yes | はい\nNot yet | まだ"},
    )
    assert poll.options == [{"en": "Yes", "ja": "はい"}, {"en": "Not yet", "ja": "まだ"}]
    poll_id = poll.id
    view = await polls.vote_in_poll(session, viewer, poll_id, 1)
    await session.commit()
    assert view.counts == [0, 1]
    with pytest.raises(DomainError) as twice:
        await polls.vote_in_poll(session, viewer, poll_id, 0)
    assert twice.value.status_code == 409
    await session.rollback()
    assert (await polls.poll_view(session, await polls.get_poll(session, poll_id))).counts == [0, 1]
    await polls.set_poll_status(session, await who(session, world, world.moderator), poll_id, "closed")
    with pytest.raises(DomainError):
        await polls.vote_in_poll(session, await who(session, world, world.in_room), poll_id, 0)


async def test_heartbeats_count_minutes_once_and_fill_short_gaps_only(session, world) -> None:
    current = await programme.published(session, await editions.get_by_id(session, world.edition_id))
    item = current.schedule.by_id[world.water]  # 10:00–11:00
    viewer = await who(session, world, world.viewer)
    at = datetime(2023, 11, 14, 10, 5, 10, tzinfo=TOKYO)
    assert await viewing.heartbeat(session, viewer, item, "ja", at) == (True, 1)
    assert await viewing.heartbeat(session, viewer, item, "ja", at + timedelta(seconds=30)) == (
        True,
        1,
    )  # same minute
    # A background tab slowed to one beat in three minutes: the minutes between count.
    assert await viewing.heartbeat(session, viewer, item, "ja", at + timedelta(minutes=3)) == (True, 4)
    # Away for twenty minutes: the gap is not counted.
    assert await viewing.heartbeat(session, viewer, item, "floor", at + timedelta(minutes=23)) == (True, 5)
    # The next day: not counted as viewing this session.
    assert await viewing.heartbeat(session, viewer, item, "ja", at + timedelta(days=1)) == (False, 5)
    await viewing.heartbeat(
        session, await who(session, world, world.in_room), item, "floor", at + timedelta(minutes=3)
    )
    await session.commit()
    per_minute = await viewing.viewers_per_minute(session, world.water)
    assert max(per_minute.values()) == 2 and sum(per_minute.values()) == 6
    watchers = await viewing.watchers(session, world.edition_id, world.water)
    assert [(w.name, w.minutes, w.mode) for w in watchers] == [
        ("Nguyen Thi Lan", 5, "online"),
        ("Somchai Jaidee", 1, "in_person"),
    ]
    figures = (await viewing.figures(session, [world.water]))[world.water]
    assert (figures.viewers, figures.peak, figures.minutes) == (2, 2, 6)
    with pytest.raises(DomainError):
        await viewing.heartbeat(session, await who(session, world, world.outsider), item, "ja", at)


async def test_cancelling_the_registration_ends_taking_part(session, world) -> None:
    reg = await registration.my_registration(session, world.edition_id, world.viewer)
    await registering.cancel(session, reg, "http://testserver.local", notify=False)
    await session.commit()
    assert (await who(session, world, world.viewer)).attendee is False
