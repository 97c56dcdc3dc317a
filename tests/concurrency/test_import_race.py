"""Registering on someone's behalf, fired at the same moment over real HTTP on both databases: one import of a
list confirmed by two organizers at once (and double clicks) imports once; delegation heads registering members
at once never exceed the delegation's in-person seats.

A world of its own: an open edition, two organizers, a delegation with two seats left, a previewed list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.registration import delegations, importing, on_behalf, organizer, registering
from ascc.registration.models import Registration
from tests.concurrency.conftest import Arena, World, _people, filled, open_arena
from tests.factories import make_edition

NOW = "2023-10-01T10:00+09:00"
LIST_SIZE = 12
SEATS = 3  # the head and two members
HEADS_REQUESTS = 6


async def _fill(session: AsyncSession, world: World) -> None:
    edition = await make_edition(session, "ascc2023")
    world.ids["edition"] = edition.id
    await _people(session, world, "organizers", 2, register=False)
    for user_id in world.users["organizers"]:
        await accounts.set_role(session, user_id, "organizer")
    await _people(session, world, "head", 1, organization="Da Nang City")
    head = await registering.my_registration(session, edition.id, world.users["head"][0])
    assert head is not None
    await delegations.start_delegation(session, head)
    await organizer.set_quota(session, edition.id, "Da Nang City", str(SEATS))
    # A second delegation one member short of what a head may make (on_behalf.MEMBERS_MADE_MAX), all online.
    await _people(session, world, "full_head", 1, organization="Hue City", mode="online")
    full_head = await registering.my_registration(session, edition.id, world.users["full_head"][0])
    assert full_head is not None
    delegation = await delegations.start_delegation(session, full_head)
    await _people(
        session, world, "full_members", on_behalf.MEMBERS_MADE_MAX - 2, organization="Hue City", mode="online"
    )
    await session.execute(
        update(Registration)
        .where(Registration.user_id.in_(world.users["full_members"]))
        .values(delegation_id=delegation.id)
    )
    world.ids["full_delegation"] = delegation.id
    rows = [
        {
            "email": f"listed{n}@example.org",
            "name_latin": f"Listed Person {n}",
            "name_local": f"名簿 {n}",
        }
        for n in range(LIST_SIZE)
    ]
    actor = SimpleNamespace(id=world.users["organizers"][0], role="organizer", display_name="Organizer")
    batch = await importing.preview_rows(session, edition.id, rows, actor, "http://testserver.local", "en")
    world.ids["batch"] = batch.id


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def import_arena(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arena]:
    yield from open_arena(request, tmp_path_factory, "import", filled(_fill), NOW)


async def test_two_organizers_confirming_one_list_at_once_import_it_once(import_arena: Arena) -> None:
    w = import_arena.world
    path = f"/api/v1/registrations/imports/{w.ids['batch']}"
    answers = await import_arena.at_once(
        [
            ("POST", path + "/confirm", token, {"privacy_accepted": True})
            for token in w.tokens["organizers"] * 3
        ]
    )
    assert sorted(a.status_code for a in answers) == [202] + [409] * 5, [a.text for a in answers]
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"already_confirmed"}
    for _ in range(300):
        shown = (await import_arena.at_once([("GET", path, w.tokens["organizers"][0], None)]))[0].json()
        if shown["status"] != "importing":
            break
        await asyncio.sleep(0.1)
    assert (shown["status"], shown["imported"], shown["skipped"]) == ("done", LIST_SIZE, 0)
    registered = await import_arena.scalar(
        "select count(*) from registration r join user_account u on u.id = r.user_id "
        "where u.email like 'listed%' and r.edition_id = :e",
        e=w.ids["edition"],
    )
    mails = await import_arena.scalar(
        "select count(*) from outbox_message where kind = 'account_made' and to_address like 'listed%'"
    )
    entries = await import_arena.scalar(
        "select count(*) from audit_entry where action = 'registration.import'"
    )
    assert (registered, mails, entries) == (LIST_SIZE, LIST_SIZE, 1)


async def test_heads_registering_members_at_once_stay_within_the_seats(import_arena: Arena) -> None:
    w = import_arena.world
    head = w.tokens["head"][0]
    member = {"name_latin": "Nguyen Van Member", "name_local": "Nguyễn Văn", "privacy_accepted": True}
    requests = [
        ("POST", "/api/v1/delegation/members", head, {**member, "email": f"member{n}@example.vn"})
        for n in range(HEADS_REQUESTS)
    ]
    # The same new address twice at once as well (a double click): one account, one registration.
    requests.append(("POST", "/api/v1/delegation/members", head, {**member, "email": "member0@example.vn"}))
    answers = await import_arena.at_once(requests)
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == SEATS - 1, [a.text for a in answers]
    assert all(c in (201, 409, 422) for c in codes), [a.text for a in answers]
    seats = await import_arena.scalar(
        "select count(*) from registration r join delegation d on d.id = r.delegation_id "
        "where r.mode = 'in_person' and r.status in ('pending', 'confirmed', 'waiting')"
    )
    accounts_made = await import_arena.scalar(
        "select count(*) from user_account where email = 'member0@example.vn'"
    )
    assert seats == SEATS and accounts_made <= 1


async def test_heads_making_members_at_once_stop_at_the_most_a_head_may_make(import_arena: Arena) -> None:
    w = import_arena.world
    head = w.tokens["full_head"][0]
    member = {"name_latin": "Tran Thi Online", "mode": "online", "privacy_accepted": True}
    answers = await import_arena.at_once(
        [
            ("POST", "/api/v1/delegation/members", head, {**member, "email": f"online{n}@example.vn"})
            for n in range(4)
        ]
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"delegation_members_max"}
    members = await import_arena.scalar(
        f"select count(*) from registration where delegation_id = {w.ids['full_delegation']}"
    )
    assert members == on_behalf.MEMBERS_MADE_MAX
