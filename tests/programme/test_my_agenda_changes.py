"""My agenda is read live and only its rendering is reused (issue #26): whatever someone else changes (a meeting
moved, cancelled or newly scheduled by the other party, their name, a waiting place promoted by another's
cancellation, a new notification) shows on the very next request, and a line shared between two people carries
each one's own CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ascc.accounts import services as accounts
from ascc.capacity import services as capacity
from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.matching import meeting_requests, meetings, placement
from ascc.notifications import services as notifications
from ascc.tours import booking as tour_booking
from ascc.tours import services as tours
from tests.badges.conftest import PASSWORD
from tests.programme.test_agenda_combined import world  # noqa: F401 (the fixture built on here)
from tests.support.web import post_form, sign_in, text_of
from tests.tours.conftest import BASE, registered


@pytest.fixture
def w(world):  # noqa: F811 (the imported fixture)
    """The world of the combined agenda's page tests: a session, bus B and a meeting at 13:30 of the official."""
    return world


@asynccontextmanager
async def _as_someone_else(settings) -> AsyncIterator[AsyncSession]:
    """A change made outside the signed-in person's requests (another person, on another worker), committed."""
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
            await session.commit()
    finally:
        await engine.dispose()


def _line(html: str, marker: str) -> str:
    return text_of(html.split(marker)[1].split("</li>")[0]) if marker in html else ""


async def _mine(client) -> str:
    page = await client.get("/my-agenda")
    assert page.status_code == 200
    return page.text


async def test_a_meeting_moved_renamed_cancelled_or_scheduled_by_the_other_party_shows_at_once(
    client, w, settings
) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    marker = f'data-meeting-id="{w.meeting}"'
    assert "13:30–13:55" in _line(await _mine(client), marker)

    async with _as_someone_else(settings) as session:  # the company moves it to the next slot
        edition = await editions.get_by_id(session, w.edition_id)
        await placement.move(session, edition, w.meeting, w.company, False, w.slots[1], BASE)
    moved = _line(await _mine(client), marker)
    assert "14:00–14:25" in moved and "13:30–13:55" not in moved

    async with _as_someone_else(settings) as session:  # the other party's name, as the line shows it
        await accounts.update_profile(
            session, w.company, accounts.ProfileInput(name_latin="Aiko Renamed", organization="Wakato")
        )
    renamed = _line(await _mine(client), marker)
    assert "Business meeting with Aiko Renamed" in renamed and "Wakato" in renamed

    async with _as_someone_else(settings) as session:
        edition = await editions.get_by_id(session, w.edition_id)
        await meeting_requests.cancel(session, edition, w.meeting, w.company, False, BASE)
    assert marker not in await _mine(client)

    # A new request, then its acceptance, have no time yet: only the scheduled meeting is in the agenda.
    async with _as_someone_else(settings) as session:
        edition = await editions.get_by_id(session, w.edition_id)
        request = await meeting_requests.send_request(
            session, edition, w.other_company, {"recipient_id": w.official}, BASE
        )
        new_id = request.id
    assert f'data-meeting-id="{new_id}"' not in await _mine(client)
    async with _as_someone_else(settings) as session:
        edition = await editions.get_by_id(session, w.edition_id)
        await meeting_requests.answer(session, edition, new_id, w.official, "accept", {}, BASE)
    assert f'data-meeting-id="{new_id}"' not in await _mine(client)
    async with _as_someone_else(settings) as session:
        edition = await editions.get_by_id(session, w.edition_id)
        meeting = await meetings.get_meeting(session, new_id)
        await placement.schedule_in(session, edition, meeting, w.slots[2], BASE)
    scheduled = _line(await _mine(client), f'data-meeting-id="{new_id}"')
    assert "14:30–14:55" in scheduled


async def test_a_waiting_place_promoted_by_someone_elses_cancellation_shows_at_once(
    client, w, settings
) -> None:
    async with _as_someone_else(settings) as session:  # one seat on bus B (the official's), two waiting
        await capacity.set_limit(session, tours.pool_key(w.bus), 1)
        for email in ("first@example.org", "second@example.org"):
            user = await registered(session, w.edition_id, email)
            await tour_booking.book(session, user.id, w.bus, BASE)
    marker = f'data-course-id="{w.bus}"'
    await sign_in(client, "second@example.org", PASSWORD)
    assert "Waiting list 2" in _line(await _mine(client), marker)
    client.cookies.clear()
    await sign_in(client, "first@example.org", PASSWORD)
    assert "Waiting list 1" in _line(await _mine(client), marker)

    async with _as_someone_else(settings) as session:  # the official gives up the seat
        await tour_booking.cancel(session, w.official, w.bus, BASE)
    promoted = _line(await _mine(client), marker)
    assert "Seat Site visit B" in promoted and "Waiting list" not in promoted
    client.cookies.clear()
    await sign_in(client, "second@example.org", PASSWORD)
    assert "Waiting list 1" in _line(await _mine(client), marker)
    client.cookies.clear()
    await sign_in(client, "official@example.org", PASSWORD)
    assert marker not in await _mine(client)


async def test_a_new_notification_shows_at_once_and_goes_when_read(client, w, settings) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    await post_form(client, "/my-agenda/notifications/read", {})  # those of the meeting's scheduling
    assert 'data-testid="notifications"' not in await _mine(client)
    async with _as_someone_else(settings) as session:
        await notifications.notify(session, w.official, "meeting_cancelled", "/matching", {})
    page = await _mine(client)
    assert 'data-testid="notifications"' in page and "A meeting was cancelled" in text_of(page)
    await post_form(client, "/my-agenda/notifications/read", {})
    assert 'data-testid="notifications"' not in await _mine(client)


async def test_a_line_two_people_share_carries_each_ones_own_token(client, w) -> None:
    # Both saved the lunch talk and both have the meeting during it: the same line, with a clash, for both.
    tokens = []
    for email in ("official@example.org", "staff-a@example.org"):
        client.cookies.clear()
        await sign_in(client, email, PASSWORD)
        await post_form(client, f"/sessions/{w.lunch}/save", {"next": "/my-agenda"})
        page = await _mine(client)
        assert "Clash" in _line(page, f'data-session-id="{w.lunch}"')
        token = client.cookies.get("ascc_csrf")
        assert set(re.findall(r'name="_csrf_token" value="([^"]*)"', page)) == {token}
        tokens.append(token)
    assert tokens[0] != tokens[1]
