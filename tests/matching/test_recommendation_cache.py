"""Recommendations are kept per person between visits of /matching (issue #26: computing them is the slow part),
and recomputed as soon as what they were computed from changes: someone's profile, one's own, a request sent."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.db import create_engine
from ascc.matching import people
from tests.matching.conftest import PASSWORD, build_matching
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_matching(session)
        await session.commit()
    await engine.dispose()
    people._recommended.clear()
    return w


async def _recommended(client) -> str:
    home = await client.get("/matching")
    assert home.status_code == 200
    return text_of(home.text.split('data-testid="recommendations">')[1].split("</section>")[0])


PROFILE = {"offers": "", "seeks": "", "meeting_limit": "", "sectors": [], "formats": ["in_person", "online"]}


async def test_a_changed_profile_shows_in_the_next_recommendations(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    first = await _recommended(client)
    assert first.startswith("Aiko Staff")
    assert await _recommended(client) == first  # kept: nothing changed
    # The bank says what it offers: the official's next visit already weighs it.
    await sign_in(client, "bank@example.org", PASSWORD)
    offers = {
        **PROFILE,
        "offers": "Loans for septage and sludge dewatering plants, 下水汚泥の脱水設備への融資",
    }
    assert (await post_form(client, "/matching/profile", offers)).status_code == 303
    await sign_in(client, "official@example.org", PASSWORD)
    again = await _recommended(client)
    assert again != first and "Akane Shimizu" in again
    # The official's own words count too, at once.
    seeks = {**PROFILE, "seeks": "ごみ収集車の電動化 electric waste collection trucks"}
    assert (await post_form(client, "/matching/profile", seeks)).status_code == 303
    assert await _recommended(client) != again


async def test_someone_asked_is_no_longer_recommended_on_the_next_visit(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    assert (await _recommended(client)).startswith("Aiko Staff")
    sent = await post_form(
        client,
        f"/matching/people/{world.company}/request",
        {"message": "汚泥の件で", "priority": "must", "format": "in_person"},
    )
    assert sent.status_code == 303
    assert "Aiko Staff" not in await _recommended(client)


async def test_the_people_list_shows_a_changed_profile_on_the_next_request(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)

    def bank_card(html: str) -> str:
        return text_of(html.split(f'href="/matching/people/{world.bank}"')[1].split("</li>")[0])

    first = (await client.get("/matching/people")).text
    assert "Akane Shimizu" in first and "Water supply and sewerage" not in bank_card(first)
    assert (await client.get("/matching/people")).text == first  # kept: nothing changed
    await sign_in(client, "bank@example.org", PASSWORD)
    profile = {**PROFILE, "sectors": ["water"], "offers": "上下水道への融資"}
    assert (await post_form(client, "/matching/profile", profile)).status_code == 303
    await sign_in(client, "official@example.org", PASSWORD)
    assert "Water supply and sewerage" in bank_card((await client.get("/matching/people")).text)
