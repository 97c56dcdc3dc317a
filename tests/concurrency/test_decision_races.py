"""Races on reversible decisions and delegation membership, over real HTTP on both databases.

Organizers reopening registrations for the last places at once (the pool's lock: exactly the free places are
taken, the others wait); the same registration reopened twice at once (the person's lock: one claim); a
person asking to join twice at once (the partial unique index on open requests, behind the person's lock);
a head accepting a person while that person joins another delegation from an invitation (the person's lock:
one membership).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy import update as sa_update

from ascc.accounts import services as accounts
from ascc.capacity.models import CapacityEntry, CapacityPool
from ascc.mail import services as mail
from ascc.registration import decisions, delegations, joining, organizer, registering
from ascc.registration import services as registration
from ascc.registration.models import DelegationInvite, DelegationJoinRequest, Registration
from tests.factories import make_edition, make_token_holders
from tests.support.live import live_server
from tests.support.web import link_in

pytestmark = pytest.mark.xdist_group("races")
BASE = "http://x"


async def _at_once(url: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """(path, API token, form) POSTed at the same moment, as the pages' forms are (a Bearer needs no CSRF)."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        start = asyncio.Event()

        async def one(path: str, token: str, form: dict[str, Any]) -> httpx.Response:
            await start.wait()
            return await client.post(path, data=form, headers={"Authorization": f"Bearer {token}"})

        tasks = [asyncio.ensure_future(one(*r)) for r in requests]
        await asyncio.sleep(0)
        start.set()
        return list(await asyncio.gather(*tasks))


def _no_server_error(responses: list[httpx.Response]) -> None:
    assert [(r.url.path, r.status_code, r.text[:300]) for r in responses if r.status_code >= 500] == []


async def _people(session, count: int, prefix: str, role: str = "delegate") -> list[tuple[int, str]]:
    holders = await make_token_holders(session, count, prefix)
    if role != "delegate":
        await session.execute(
            sa_update(accounts.User).where(accounts.User.id.in_([u for u, _ in holders])).values(role=role)
        )
    return holders


async def _register(session, edition_id: int, user_id: int, organization: str) -> Registration:
    return await registering.register(
        session,
        edition_id,
        user_id,
        registering.RegistrationInput(organization=organization, privacy_accepted=True),
        BASE,
        notify=False,
    )


async def _seats(session, edition_id: int) -> tuple[int, list[str]]:
    """The in-person pool's count of seats taken, and the statuses of its holders' entries."""
    session.expire_all()
    key = registration.pool_key(edition_id, "in_person")
    pool = await session.scalar(select(CapacityPool).where(CapacityPool.key == key))
    statuses = await session.scalars(select(CapacityEntry.status).where(CapacityEntry.pool_id == pool.id))
    return pool.confirmed, sorted(statuses.all())


# --- reopening -------------------------------------------------------------------------------------------------

PLACES = 3
REOPENED = 6


async def test_organizers_reopening_at_once_fill_the_free_places_exactly_and_the_rest_wait(
    session, db_url, tmp_path
) -> None:
    edition = await make_edition(session, "ascc2023")
    edition_id = edition.id
    organizers = [token for _, token in await _people(session, 2, "boss", role="organizer")]
    people = await _people(session, REOPENED, "p")
    ids = [(await _register(session, edition.id, user, f"City {user}")).id for user, _ in people]
    await decisions.decide_many(session, edition.id, ids, "reject", BASE)
    # Exactly PLACES free places for the six rejected people.
    await organizer.update_settings(
        session, edition.id, organizer.SettingsInput(PLACES, None, [], [], "2023-1"), BASE
    )
    await session.commit()
    # Each registration reopened by both organizers at the same moment (a double decision, too).
    requests = [
        ("/organizer/registrations/decide", token, {"single": f"reopen:{i}", "reason": "Reopened"})
        for i in ids
        for token in organizers
    ]
    with live_server(db_url, tmp_path / "server.log") as url:
        responses = await _at_once(url, requests)
    _no_server_error(responses)
    assert {r.status_code for r in responses} == {303}
    done = sorted(int(r.headers["location"].rsplit("done=", 1)[1].split("&")[0]) for r in responses)
    assert done == [0] * REOPENED + [1] * REOPENED  # each registration reopened once
    session.expire_all()
    statuses = sorted((await session.scalars(select(Registration.status))).all())
    assert statuses == ["confirmed"] * PLACES + ["waiting"] * (REOPENED - PLACES)
    assert await _seats(session, edition_id) == (PLACES, ["confirmed"] * PLACES + ["waiting"] * PLACES)


async def test_two_organizers_reopening_two_people_for_the_last_place(session, db_url, tmp_path) -> None:
    edition = await make_edition(session, "ascc2023")
    edition_id = edition.id
    organizers = [token for _, token in await _people(session, 2, "boss", role="organizer")]
    holder, first, second = await _people(session, 3, "p")
    await _register(session, edition.id, holder[0], "Cebu City")
    ids = [(await _register(session, edition.id, u, "Cebu City")).id for u, _ in (first, second)]
    await decisions.decide_many(session, edition.id, ids, "reject", BASE)
    await organizer.update_settings(
        session, edition.id, organizer.SettingsInput(2, None, [], [], "2023-1"), BASE
    )
    await session.commit()
    requests = [
        ("/organizer/registrations/decide", organizers[0], {"single": f"reopen:{ids[0]}"}),
        ("/organizer/registrations/decide", organizers[1], {"single": f"reopen:{ids[1]}"}),
    ]
    with live_server(db_url, tmp_path / "server.log") as url:
        responses = await _at_once(url, requests)
    _no_server_error(responses)
    assert [r.headers["location"] for r in responses] == ["/organizer/registrations?done=1"] * 2
    session.expire_all()
    reopened = [await registration.get_registration(session, i) for i in ids]
    assert sorted(r.status for r in reopened) == ["confirmed", "waiting"]
    assert await _seats(session, edition_id) == (2, ["confirmed", "confirmed", "waiting"])


# --- delegations -----------------------------------------------------------------------------------------------


async def _two_cities(session) -> dict[str, Any]:
    """Cebu's head, Danang's head, and a Cebu official (with a token) registered but in no delegation."""
    edition = await make_edition(session, "ascc2023")
    (cebu_head, cebu_token), (danang_head, _), (person, person_token) = await _people(session, 3, "d")
    for user, city in ((cebu_head, "Cebu City"), (danang_head, "Danang City")):
        await delegations.start_delegation(session, await _register(session, edition.id, user, city))
    mine = await _register(session, edition.id, person, "Cebu City")
    await session.commit()
    return {
        "edition": edition.id,
        "cebu_token": cebu_token,
        "danang_head": danang_head,
        "person": person,
        "person_token": person_token,
        "registration": mine.id,
    }


async def _open_requests(session, registration_id: int) -> int:
    session.expire_all()
    return await session.scalar(
        select(func.count()).where(
            DelegationJoinRequest.registration_id == registration_id, DelegationJoinRequest.status == "open"
        )
    )


async def test_a_person_asking_to_join_twice_at_once_has_one_open_request(session, db_url, tmp_path) -> None:
    world = await _two_cities(session)
    with live_server(db_url, tmp_path / "server.log") as url:
        responses = await _at_once(url, [("/delegation/join", world["person_token"], {})] * 2)
    _no_server_error(responses)
    assert sorted(r.status_code for r in responses) == [303, 409]
    assert await _open_requests(session, world["registration"]) == 1


async def test_accepting_a_person_while_they_join_another_delegation_leaves_one_membership(
    session, db_url, tmp_path
) -> None:
    world = await _two_cities(session)
    request = await joining.ask(
        session, await registration.get_registration(session, world["registration"]), BASE
    )
    danang = await delegations.delegation_of_head(session, world["edition"], world["danang_head"])
    await delegations.invite_member(session, danang, "d2@example.org", BASE, "en")
    await session.commit()
    [*_, invitation] = await mail.messages_to(session, "d2@example.org")
    invite_path = link_in(invitation.body_text, "/invite/")
    accept = f"/delegation/requests/{request.id}/accept"
    requests = [
        (accept, world["cebu_token"], {}),
        (accept, world["cebu_token"], {}),  # the head's double click, too
        (f"{invite_path}/join", world["person_token"], {}),
    ]
    with live_server(db_url, tmp_path / "server.log") as url:
        responses = await _at_once(url, requests)
    _no_server_error(responses)
    assert sorted(r.status_code for r in responses) == [303, 409, 409]
    session.expire_all()
    joined = await registration.get_registration(session, world["registration"])
    memberships = await session.scalar(
        select(func.count()).where(
            DelegationInvite.registration_id == joined.id, DelegationInvite.status == "accepted"
        )
    )
    assert memberships == 1  # one roster line, in the delegation the registration belongs to
    member_of = await session.scalar(
        select(DelegationInvite.delegation_id).where(
            DelegationInvite.registration_id == joined.id, DelegationInvite.status == "accepted"
        )
    )
    assert joined.delegation_id == member_of
    assert await _open_requests(session, joined.id) == 0
