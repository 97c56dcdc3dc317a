"""Session feedback on SQLite and PostgreSQL: who may rate and when, one rating per person, moderation, privacy."""

from __future__ import annotations

import pytest

from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.privacy import export, forget
from ascc.programme import editing, feedback
from ascc.programme import services as programme
from ascc.registration import registering
from tests.factories import make_user
from tests.programme.conftest import BASE

AFTER_KEYNOTE = "2023-11-14T10:30+09:00"  # the keynote ran 09:00–10:00 on 14 November


async def _current(session, edition_id: int) -> programme.Programme:
    return await programme.published(session, await editions.get_by_id(session, edition_id))


async def _attendee(session, prog, email: str, mode: str = "in_person", saved: list[int] | None = None):
    user = await make_user(session, email)
    await registering.register(
        session,
        prog.edition_id,
        user.id,
        registering.RegistrationInput(organization="Cebu City", mode=mode, privacy_accepted=True),
        BASE,
        notify=False,
    )
    current = await _current(session, prog.edition_id)
    for session_id in saved if saved is not None else [prog.keynote]:
        await programme.save(session, user.id, current, session_id)
    await session.commit()
    return user


@pytest.fixture
def after_keynote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", AFTER_KEYNOTE)


async def test_a_second_rating_changes_the_first_and_a_changed_comment_waits_for_review_again(
    session, prog, after_keynote, inputs
) -> None:
    person = await _attendee(session, prog, "rater@example.org")
    current = await _current(session, prog.edition_id)
    first = await feedback.rate(session, person.id, current, prog.keynote, "4", "  とても良かった 👍  ")
    await session.commit()
    assert (first.rating, first.comment, first.comment_status) == (4, "とても良かった 👍", "pending")
    await feedback.moderate(session, prog.edition_id, first.id, "approved")
    await session.commit()
    # The same comment with another rating keeps its approval; another comment is reviewed again.
    again = await feedback.rate(session, person.id, current, prog.keynote, 2, "とても良かった 👍")
    await session.commit()
    assert (again.id, again.rating, again.comment_status) == (first.id, 2, "approved")
    thai = inputs["names"][4]["local"]  # สมชาย ใจดี
    changed = await feedback.rate(session, person.id, current, prog.keynote, 5, f"ขอบคุณ {thai}")
    await session.commit()
    assert (changed.id, changed.rating, changed.comment, changed.comment_status) == (
        first.id,
        5,
        f"ขอบคุณ {thai}",
        "pending",
    )
    assert [
        (r.session_id, r.rating) for r in await feedback.my_feedback(session, person.id, prog.edition_id)
    ] == [(prog.keynote, 5)]
    assert (await feedback.summaries(session, prog.edition_id))[prog.keynote] == feedback.Summary(1, 5.0)


async def test_rating_is_refused_before_the_end_after_the_close_and_without_attending(
    session, prog, monkeypatch
) -> None:
    person = await _attendee(session, prog, "early@example.org")
    online = await _attendee(session, prog, "online@example.org", mode="online", saved=[])
    stranger = await make_user(session, "stranger@example.org")
    await session.commit()
    person_id, online_id, stranger_id = person.id, online.id, stranger.id  # rollbacks expire the rows
    current = await _current(session, prog.edition_id)

    async def code(user_id: int, session_id: int, rating: object = 4) -> str:
        with pytest.raises(DomainError) as caught:
            await feedback.rate(
                session, user_id, await _current(session, prog.edition_id), session_id, rating
            )
        await session.rollback()
        return caught.value.code

    monkeypatch.setenv("ASCC_NOW", "2023-11-14T09:59+09:00")  # a minute before the keynote ends
    assert await code(person_id, prog.keynote) == "not_over"
    monkeypatch.setenv("ASCC_NOW", AFTER_KEYNOTE)
    assert await code(stranger_id, prog.keynote) == "not_registered"
    assert await code(person_id, prog.water) == "not_over"  # ends at 11:00
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T11:30+09:00")
    assert await code(person_id, prog.water) == "not_attended"  # not in the agenda
    assert await code(online_id, prog.parallel) == "not_attended"  # in person only: not streamed
    current = await _current(session, prog.edition_id)  # the rollbacks expired the edition
    assert (await feedback.rate(session, online_id, current, prog.water, 3)).rating == 3  # hybrid: watched
    with pytest.raises(ValidationFailed) as caught:
        await feedback.rate(session, person_id, current, prog.keynote, "6", "x" * 2001)
    assert set(caught.value.errors) == {"rating", "comment"}
    await session.rollback()
    current = await _current(session, prog.edition_id)  # the rollback expired the edition
    # 14 days after the edition's last day (15 November), in Tokyo.
    monkeypatch.setenv("ASCC_NOW", "2023-11-29T23:59+09:00")
    assert (await feedback.rate(session, person_id, current, prog.keynote, 5)).rating == 5
    monkeypatch.setenv("ASCC_NOW", "2023-11-30T00:00+09:00")
    assert await code(person_id, prog.keynote) == "closed"


async def test_speakers_see_approved_comments_and_averages_only_from_three_ratings(
    session, prog, after_keynote
) -> None:
    speaker_user = await make_user(session, "priya@example.org")
    row = await editing.get_speaker(session, prog.edition_id, prog.speakers[0])  # Priya gives the keynote
    row.user_id = speaker_user.id  # her account, as the organizers link it
    await session.commit()
    people = [await _attendee(session, prog, f"a{n}@example.org") for n in range(3)]
    current = await _current(session, prog.edition_id)
    stored = [
        await feedback.rate(session, people[0].id, current, prog.keynote, 5, "Clear and useful"),
        await feedback.rate(session, people[1].id, current, prog.keynote, 3, "Rude remark about a person"),
    ]
    await session.commit()

    [result] = await feedback.speaker_results(session, speaker_user.id, prog.edition_id)
    assert (result.summary.count, result.summary.shown_to_speakers, result.comments) == (2, False, [])

    await feedback.rate(session, people[2].id, current, prog.keynote, 4)
    await feedback.moderate(session, prog.edition_id, stored[0].id, "approved")
    await feedback.moderate(session, prog.edition_id, stored[1].id, "hidden")
    await session.commit()
    [result] = await feedback.speaker_results(session, speaker_user.id, prog.edition_id)
    assert (result.summary, result.comments) == (feedback.Summary(3, 4.0), ["Clear and useful"])
    tracks = await feedback.track_summaries(session, prog.edition_id)
    assert [(t.id if t else None, s) for t, s in tracks] == [(prog.tracks.energy, feedback.Summary(3, 4.0))]
    with pytest.raises(DomainError):
        await feedback.moderate(session, prog.edition_id, stored[0].id, "deleted")


async def test_forgetting_a_person_keeps_the_rating_unnamed_and_deletes_the_comment(
    session, prog, after_keynote
) -> None:
    person = await _attendee(session, prog, "forget@example.org")
    current = await _current(session, prog.edition_id)
    await feedback.rate(session, person.id, current, prog.keynote, 2, "私の意見")
    await session.commit()
    exported = await export.person_export(session, person.id)
    assert [(f["title_en"], f["rating"], f["comment"]) for f in exported["session_feedback"]] == [
        ("Keynote on VLRs", 2, "私の意見")
    ]
    await forget.forget_person(session, person.id)
    await session.commit()
    assert await feedback.my_feedback(session, person.id, prog.edition_id) == []
    assert (await feedback.summaries(session, prog.edition_id))[prog.keynote] == feedback.Summary(1, 2.0)
    assert await feedback.comments(session, prog.edition_id) == []
