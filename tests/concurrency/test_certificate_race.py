"""First downloads of a certificate of attendance fired at the same moment over real HTTP, on both databases:
one certificate per person, one reference, whichever request came first."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from tests.certificates.conftest import AFTER, build_world
from tests.concurrency.conftest import Arena, World, filled, open_arena


async def _fill(session: AsyncSession, world: World) -> None:
    built = await build_world(session)
    world.tokens["holders"] = []
    for who in (built.onsite, built.online):
        raw, _ = await accounts.create_api_token(session, who.user_id)
        world.tokens["holders"].append(raw)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def certificate_arena(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Arena]:
    yield from open_arena(request, tmp_path_factory, "certificates", filled(_fill), AFTER)


async def test_first_downloads_at_once_make_one_certificate_per_person(certificate_arena: Arena) -> None:
    tokens = certificate_arena.world.tokens["holders"]
    # Each of two people downloads twice at the same moment (a double click, the phone and the laptop).
    requests = [("GET", "/api/v1/me/certificate.pdf", token, None) for token in tokens for _ in range(2)]
    answers = await certificate_arena.at_once(requests)
    assert [a.status_code for a in answers] == [200] * len(requests), [a.text[:200] for a in answers]
    references = [
        re.search(r"certificate-ascc2023-(.+)\.pdf", a.headers["content-disposition"]).group(1)
        for a in answers
    ]
    assert references[0] == references[1] and references[2] == references[3]
    assert references[0] != references[2]
    rows = await certificate_arena.rows(
        "SELECT registration_id, reference FROM certificate ORDER BY reference"
    )
    assert sorted(r[1] for r in rows) == sorted({references[0], references[2]})
