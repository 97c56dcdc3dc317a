"""The matching pages a delegate waits on read everything that changes in one statement per visit (issue #26),
and keep only HTML that cannot go stale: a request, its answer, the organizers' settings and a delegation
member's meetings show on the very next visit of both people's pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.db import create_engine
from ascc.exhibitors import directory
from ascc.matching import meeting_requests, my_meetings, page_state, placement, tracking
from ascc.matching.models import MatchingSession
from ascc.registration import delegations
from ascc.registration.models import Delegation, Registration
from tests.matching.conftest import BASE, PASSWORD, build_matching
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form

ORGANIZER = {
    "email": "org@example.org",
    "role": "organizer",
    "password": PASSWORD,
    "name_latin": "Haruka Sato",
}


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            built = await build_matching(session)
            await accounts.create_user(session, **ORGANIZER)
            await session.commit()
    finally:
        await engine.dispose()
    return built


def _part(html: str, testid: str) -> str:
    """The visible text of the list or line marked `data-testid=testid`, or "" when the page has none."""
    if f'data-testid="{testid}"' not in html:
        return ""
    rest = html.split(f'data-testid="{testid}"')[1].split(">", 1)[1]
    return text_of(rest.split("</p>" if testid == "limit" else "</ul>")[0])


async def _home(client, email: str) -> str:
    await sign_in(client, email, PASSWORD)
    page = await client.get("/matching")
    assert page.status_code == 200
    return page.text


async def test_a_request_and_its_answer_show_at_once_on_both_peoples_pages(client, world) -> None:
    before = await _home(client, "official@example.org")
    assert _part(before, "limit").startswith("0 of your") and _part(before, "outgoing") == ""
    assert "Aiko Staff" in _part(before, "recommendations")
    sent = await post_form(
        client,
        f"/matching/people/{world.company}/request",
        {"message": "汚泥の件で", "priority": "must", "format": "in_person"},
    )
    assert sent.status_code == 303
    meeting_url = sent.headers["location"]
    mine = await _home(client, "official@example.org")
    assert "Aiko Staff" in _part(mine, "outgoing") and _part(mine, "limit").startswith("1 of your")
    assert "Aiko Staff" not in _part(mine, "recommendations")  # asked: no longer recommended

    theirs = await _home(client, "staff-a@example.org")
    assert "Maria Reyes" in _part(theirs, "incoming")
    assert _part(theirs, "limit").startswith("0 of your")  # requests others send do not count
    declined = await post_form(client, f"{meeting_url}/decline", {"answer": "今回は見送ります"})
    assert declined.status_code == 303
    theirs = await _home(client, "staff-a@example.org")
    assert _part(theirs, "incoming") == "" and "Maria Reyes" in text_of(theirs.split("<details>")[1])

    mine = await _home(client, "official@example.org")
    assert _part(mine, "outgoing") == "" and _part(mine, "limit").startswith("0 of your")
    assert "Aiko Staff" in _part(mine, "recommendations")  # declined: recommended again


async def test_the_organizers_settings_show_at_once_on_the_pages(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    assert "Meeting requests are closed." not in _part(await _home(client, "official@example.org"), "limit")
    assert "Akane Shimizu" in text_of((await client.get("/matching/people")).text)

    await sign_in(client, "org@example.org", PASSWORD)
    closed = {"pairs": ["city_official:company"], "meeting_limit": "3", "instant": "1"}  # requests_open off
    assert (await post_form(client, "/organizer/matching/settings", closed)).status_code == 303
    page = await _home(client, "official@example.org")
    assert "Meeting requests are closed." in _part(page, "limit") and "of your 3 meetings" in _part(
        page, "limit"
    )
    listed = text_of((await client.get("/matching/people")).text)
    assert "Aiko Staff" in listed and "Akane Shimizu" not in listed  # a city may no longer ask the bank

    await sign_in(client, "org@example.org", PASSWORD)
    opened = {
        **closed,
        "pairs": ["city_official:company", "city_official:international"],
        "requests_open": "1",
    }
    assert (await post_form(client, "/organizer/matching/settings", opened)).status_code == 303
    page = await _home(client, "official@example.org")
    assert "Meeting requests are closed." not in _part(page, "limit")
    assert "Akane Shimizu" in text_of((await client.get("/matching/people")).text)


async def test_a_delegation_head_sees_a_members_request_at_once(client, world, settings) -> None:
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        member = await session.scalar(
            select(Registration).where(
                Registration.edition_id == world.edition_id, Registration.user_id == world.online
            )
        )
        assert member is not None and member.organization_id is not None
        led = Delegation(edition_id=world.edition_id, organization_id=member.organization_id)
        led.head_user_id = world.official  # the official leads the delegation she is a member of
        session.add(led)
        await session.flush()
        member.delegation_id = led.id
        await session.commit()
    await engine.dispose()
    assert _part(await _home(client, "official@example.org"), "incoming") == ""

    await sign_in(client, "staff-a@example.org", PASSWORD)
    sent = await post_form(
        client,
        f"/matching/people/{world.online}/request",
        {"message": "オンラインで", "priority": "would_like", "format": "online"},
    )
    assert sent.status_code == 303
    head = await _home(client, "official@example.org")
    assert "Aiko Staff → Nguyễn Thị Thu" in _part(head, "incoming")
    assert "for your delegation" in _part(head, "incoming")
    assert _part(head, "limit").startswith("0 of your")  # the member's meeting is not the head's own


async def test_the_pages_state_and_meetings_are_read_alike_on_both_databases(session) -> None:
    w = await build_matching(session)
    values = {"recipient_id": w.company, "message": "", "priority": "must", "format": "in_person"}
    await meeting_requests.send_request(session, w.edition, w.official, values, BASE)
    await session.commit()
    state = await page_state.viewer_state(session, w.edition_id, w.official)
    assert state.confirmed and state.my_mode == "in_person" and not state.has_profile
    assert state.settings.requests_open and state.limit() == state.settings.meeting_limit == 12
    assert not state.no_shows_due and state.stamp == await page_state.pool_stamp(session, w.edition_id)
    marketplace = state.stamp[-len(directory.version_columns()) :]
    assert marketplace == await directory.version(session)  # the same stamp as the directory's own
    official = await tracking.mine(session, w.edition_id, w.official)
    company = await tracking.mine(session, w.edition_id, w.company)
    assert [m.recipient_id for m in official.outgoing] == [w.company]
    assert [m.requester_id for m in company.incoming] == [w.official]


async def test_a_meeting_nobody_came_to_shows_as_a_no_show_on_the_next_visit(
    client, world, settings, monkeypatch
) -> None:
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        meeting = await meeting_requests.send_request(
            session, world.edition, world.official, {"recipient_id": world.company}, BASE
        )
        await meeting_requests.answer(  # the first slot: 13:30-13:55 on 14 November
            session, world.edition, meeting.id, world.company, "accept", {"slot_id": world.slots[0]}, BASE
        )
        await session.commit()
    await engine.dispose()
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:39+09:00")  # nine minutes in: still waited for
    page = await _home(client, "official@example.org")
    assert "Aiko Staff" in _part(page, "scheduled") and "<details>" not in page

    monkeypatch.setenv("ASCC_NOW", "2023-11-14T13:41+09:00")  # eleven minutes in, nobody checked in
    page = await _home(client, "official@example.org")
    assert "Aiko Staff" not in _part(page, "scheduled")
    assert "No-show · " in text_of(page.split("<details>")[1]) and "Aiko Staff" in page.split("<details>")[1]


async def test_a_viewers_own_meeting_limit_shows_at_once_never_above_the_editions(client, world) -> None:
    assert "of your 12 meetings" in _part(await _home(client, "official@example.org"), "limit")
    profile = {"offers": "", "seeks": "", "sectors": [], "formats": ["in_person"], "meeting_limit": "3"}
    assert (await post_form(client, "/matching/profile", profile)).status_code == 303
    assert _part(await _home(client, "official@example.org"), "limit").startswith("0 of your 3 meetings")
    above = {**profile, "meeting_limit": "50"}  # the edition allows 12
    assert (await post_form(client, "/matching/profile", above)).status_code == 303
    assert _part(await _home(client, "official@example.org"), "limit").startswith("0 of your 12 meetings")


async def test_a_head_sees_the_requests_of_active_members_only(session) -> None:
    w = await build_matching(session)
    regs = {
        r.user_id: r
        for r in await session.scalars(select(Registration).where(Registration.edition_id == w.edition_id))
    }
    led = Delegation(edition_id=w.edition_id, organization_id=regs[w.online].organization_id)
    led.head_user_id = w.official
    session.add(led)
    await session.flush()
    for member in (w.official, w.online, w.bank):  # the head is a member of her own delegation too
        regs[member].delegation_id = led.id
    asked = {}
    for member in (w.online, w.bank, w.official):
        values = {"recipient_id": member, "message": "", "priority": "must", "format": "online"}
        asked[member] = (await meeting_requests.send_request(session, w.edition, w.company, values, BASE)).id
    regs[w.bank].status = "cancelled"  # no longer a member the head answers for
    await session.commit()
    assert await delegations.members_of_head(session, w.edition_id, w.official) == [w.online]
    head = await tracking.mine(session, w.edition_id, w.official)
    assert sorted(m.id for m in head.incoming) == sorted((asked[w.online], asked[w.official]))
    lines = await my_meetings.lines(session, w.edition_id, w.official)  # the page's own read: the same lists
    for name in ("incoming", "outgoing", "accepted", "scheduled", "past"):
        assert [m.id for m in getattr(lines, name)] == [m.id for m in getattr(head, name)]
    assert {(m.requester.name_latin, m.recipient.name_latin) for m in lines.incoming} == {
        (m.requester.name_latin, m.recipient.name_latin) for m in head.incoming
    }
    assert await delegations.members_of_head(session, w.edition_id, w.online) == []  # not a head


def _line(html: str, meeting_id: int) -> str:
    """The visible text of one meeting's line on "my meetings"."""
    rest = html.split(f'data-testid="meeting-{meeting_id}"')[1].split(">", 1)[1]
    return text_of(rest.split("</li>")[0])


async def test_a_meetings_line_shows_a_move_a_new_name_and_a_new_place_at_once(
    client, world, settings
) -> None:
    """Each line's HTML is reused by whoever's line shows the same values: any value it shows is new at once,
    on both people's pages, in both languages."""
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        meeting = await meeting_requests.send_request(
            session,
            world.edition,
            world.official,
            {"recipient_id": world.company, "format": "in_person"},
            BASE,
        )
        await meeting_requests.answer(  # the first slot: 13:30-13:55 on 14 November
            session, world.edition, meeting.id, world.company, "accept", {"slot_id": world.slots[0]}, BASE
        )
        await session.commit()
    mine = _line(await _home(client, "official@example.org"), meeting.id)
    theirs = _line(await _home(client, "staff-a@example.org"), meeting.id)
    assert "Aiko Staff" in mine and "Maria Reyes" in theirs and "13:30" in mine and "13:30" in theirs
    assert "Table 1" in mine

    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await placement.move(session, world.edition, meeting.id, world.company, False, world.slots[1], BASE)
        await session.execute(update(User).where(User.id == world.company).values(name_latin="Aiko Tanaka"))
        await session.execute(
            update(MatchingSession).where(MatchingSession.id == world.session_id).values(location_en="Hall B")
        )
        await session.commit()
    await engine.dispose()
    mine = _line(await _home(client, "official@example.org"), meeting.id)
    assert "Aiko Tanaka" in mine and "Aiko Staff" not in mine
    assert "14:00" in mine and "13:30" not in mine and "Hall B" in mine
    theirs = _line(await _home(client, "staff-a@example.org"), meeting.id)
    assert "Maria Reyes" in theirs and "14:00" in theirs and "Hall B" in theirs
    client.cookies.set("ascc_lang", "ja")
    japanese = _line((await client.get("/matching")).text, meeting.id)
    assert "Maria Reyes" in japanese and "14:00" in japanese and japanese != theirs
