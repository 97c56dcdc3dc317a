"""A meeting is held when both parties were there (or an organizer says so), not when one of them checked in;
feedback opens when the meeting ends, and the page says when."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.errors import DomainError
from ascc.matching import meeting_requests, meetings, tracking
from tests.matching.conftest import BASE, PASSWORD, build_matching
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form


async def _scheduled(session, w, requester: int, recipient: int, slot: int) -> int:
    """A meeting at table 1 or 2 of a slot (the first slot: 13:30-13:55 on 14 November)."""
    meeting = await meeting_requests.send_request(
        session, w.edition, requester, {"recipient_id": recipient}, BASE
    )
    await meeting_requests.answer(
        session, w.edition, meeting.id, recipient, "accept", {"slot_id": slot}, BASE
    )
    await session.commit()
    return meeting.id


async def _status(session, meeting_id: int) -> str:
    return (await meetings.get_meeting(session, meeting_id)).status


async def test_held_needs_both_parties_and_feedback_waits_for_the_end(session, monkeypatch) -> None:
    w = await build_matching(session)
    meeting_id = await _scheduled(session, w, w.official, w.company, w.slots[0])
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:33+09:00")
    await tracking.check_in(session, await meetings.get_meeting(session, meeting_id), w.official)
    await session.commit()
    meeting = await meetings.get_meeting(session, meeting_id)
    assert (meeting.status, meeting.requester_checked_in_at is not None) == ("scheduled", True)
    # Past the ten minutes of a no-show: the official is at the table, so it keeps its table and waits.
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:45+09:00")
    assert await tracking.sweep_no_shows(session, w.edition_id) == 0
    with pytest.raises(DomainError) as early:  # under way: no feedback yet
        await tracking.give_feedback(
            session, w.edition_id, meeting_id, w.official, {"outcome": "informative"}
        )
    assert (early.value.code, early.value.status_code) == ("too_early", 409)
    await session.rollback()
    # Someone who is not a party cannot check in for it.
    with pytest.raises(DomainError) as stranger:
        await tracking.check_in(session, await meetings.get_meeting(session, meeting_id), w.bank)
    assert stranger.value.code == "not_yours"
    await tracking.check_in(session, await meetings.get_meeting(session, meeting_id), w.company)
    await session.commit()
    assert await _status(session, meeting_id) == "held"
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:55+09:00")  # its end
    await tracking.give_feedback(session, w.edition_id, meeting_id, w.official, {"outcome": "informative"})
    await session.commit()


async def test_one_party_alone_is_a_no_show_after_the_end_and_an_organizer_may_mark_it_held(
    session, monkeypatch
) -> None:
    w = await build_matching(session)
    alone = await _scheduled(session, w, w.official, w.company, w.slots[0])
    nobody = await _scheduled(session, w, w.bank, w.other_company, w.slots[0])
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:41+09:00")  # eleven minutes after the start
    await tracking.check_in(session, await meetings.get_meeting(session, alone), w.company)
    assert await tracking.sweep_no_shows(session, w.edition_id) == 1  # the meeting nobody came to
    await session.commit()
    assert (await _status(session, alone), await _status(session, nobody)) == ("scheduled", "no_show")
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T14:00+09:00")
    assert await tracking.sweep_no_shows(session, w.edition_id) == 1
    await session.commit()
    missed = await meetings.get_meeting(session, alone)
    assert (missed.status, missed.place_number) == ("no_show", 1)  # the table it had stays on record
    # The organizer knows better (the official sat at the next table): held.
    await tracking.mark_held(session, missed)
    await session.commit()
    assert await _status(session, alone) == "held"


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_matching(session)
        await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
        )
        w.meeting = await _scheduled(session, w, w.official, w.company, w.slots[0])
    await engine.dispose()
    return w


async def test_the_meeting_page_waits_for_both_and_says_when_feedback_opens(
    client, world, monkeypatch
) -> None:
    url = f"/matching/meetings/{world.meeting}"
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:34+09:00")
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get(url)
    assert 'data-testid="check-in"' in page.text
    assert (
        "You can say how the meeting went once it has ended: from Tuesday 14 November 2023, 13:55 (JST)."
        in text_of(page.text)
    )
    assert 'data-testid="feedback"' not in page.text
    assert (await post_form(client, f"{url}/check-in", {})).status_code == 303
    page = await client.get(url)
    text = text_of(page.text)
    assert "Scheduled ·" in text
    assert "You checked in at 13:34. The meeting counts as held once both of you have checked in." in text
    assert 'data-testid="check-in"' not in page.text  # once is enough
    refused = await post_form(client, f"{url}/feedback", {"outcome": "informative"})
    assert refused.status_code == 409
    assert "Feedback opens when the meeting has ended." in text_of(refused.text)

    await sign_in(client, "staff-a@example.org", PASSWORD)
    assert "The other party checked in at 13:34." in text_of((await client.get(url)).text)
    assert (await post_form(client, f"{url}/check-in", {})).status_code == 303
    assert "Held ·" in text_of((await client.get(url)).text)

    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:56+09:00")
    page = await client.get(url)
    assert 'data-testid="feedback"' in page.text and 'data-testid="feedback-opens"' not in page.text
    assert (await post_form(client, f"{url}/feedback", {"outcome": "follow_up"})).status_code == 303


async def test_an_organizer_marks_a_meeting_held(client, world, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:50+09:00")  # nobody checked in: a no-show by now
    await sign_in(client, "org@example.org", PASSWORD)
    listed = await client.get("/organizer/matching/meetings")
    assert "Mark as held" in text_of(listed.text)
    marked = await post_form(client, f"/organizer/matching/meetings/{world.meeting}/check-in", {})
    assert marked.status_code == 303
    assert "Held ·" in text_of((await client.get(f"/matching/meetings/{world.meeting}")).text)
