"""Visa letters under concurrency, over real HTTP on both databases (docs/concurrency.md): a person's requests
sent at the same moment leave one open request (partial unique index uq_visa_letter_open, the person locked
first); requests approved at the same moment by two organizers and a bulk approval are approved once, each
person mailed once and each approval logged once (a conditional UPDATE ... WHERE status = 'requested')."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts.models import User
from tests.concurrency.conftest import Arena, World, _people, filled, open_arena
from tests.factories import make_edition

NOW = "2023-11-01T10:00+09:00"
PEOPLE = 6
PASSPORT = {"passport_number": "P1234567", "date_of_birth": "1980-05-17", "nationality": "PH"}


async def _fill(session: AsyncSession, world: World) -> None:
    world.ids["edition"] = (await make_edition(session, "ascc2023")).id
    await _people(session, world, "askers", PEOPLE)  # confirmed, in person
    await _people(session, world, "approved", PEOPLE)
    await _people(session, world, "organizers", 2, register=False)
    await session.execute(update(User).where(User.id.in_(world.users["organizers"])).values(role="organizer"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def visa_arena(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arena]:
    yield from open_arena(request, tmp_path_factory, "visa", filled(_fill), NOW)


async def test_requests_sent_at_once_leave_one_open_request_per_person(visa_arena: Arena) -> None:
    w = visa_arena.world
    path = "/api/v1/registrations/me/visa-letter"
    answers = await visa_arena.at_once(
        [("POST", path, t, PASSPORT) for t in w.tokens["askers"] for _ in range(2)]
    )
    codes = [a.status_code for a in answers]
    assert sorted(codes) == [201] * PEOPLE + [409] * PEOPLE, [a.text for a in answers if a.status_code >= 500]
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"visa_already_requested"}
    rows = await visa_arena.rows(
        "select user_id, count(*) from visa_letter where status in ('requested', 'approved') group by user_id"
    )
    assert sorted(rows) == sorted((user_id, 1) for user_id in w.users["askers"])


async def test_approvals_at_once_approve_once_and_mail_once(visa_arena: Arena) -> None:
    w = visa_arena.world
    created = await visa_arena.at_once(
        [("POST", "/api/v1/registrations/me/visa-letter", t, PASSPORT) for t in w.tokens["approved"]]
    )
    ids = [a.json()["id"] for a in created]
    first, second = w.tokens["organizers"]
    # Two organizers approve each request one by one while one of them approves them all at once.
    requests = [("POST", "/api/v1/visa-letters/approve", first, {"ids": ids})]
    for letter_id in ids:
        requests += [
            ("POST", "/api/v1/visa-letters/approve", first, {"ids": [letter_id]}),
            ("POST", "/api/v1/visa-letters/approve", second, {"ids": [letter_id]}),
        ]
    answers = await visa_arena.at_once(requests)
    assert {a.status_code for a in answers} <= {200, 409}, [
        a.text for a in answers if a.status_code not in (200, 409)
    ]
    approved = sum(a.json()["approved"] for a in answers if a.status_code == 200)
    assert approved == PEOPLE  # every request approved exactly once, whoever came first
    listed = ",".join(str(i) for i in ids)
    statuses = await visa_arena.rows(
        f"select status, count(*) from visa_letter where id in ({listed}) group by status"
    )
    assert statuses == [("approved", PEOPLE)]
    mails = await visa_arena.rows("select to_address from outbox_message where kind = 'visa_letter_approved'")
    assert sorted(Counter(m for (m,) in mails).values()) == [1] * PEOPLE  # one mail per person
    logged = await visa_arena.scalar(
        f"select count(*) from audit_entry where target_type = 'visa_letter' and target_id in ({listed})"
    )
    assert logged == PEOPLE
