"""Session feedback fired at the same moment over real HTTP, on both databases: one rating per person and session.

A world of its own (the shared arena's clock stands before the conference; feedback needs a session that ended).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.editions import services as editions
from ascc.programme import services as programme
from tests.concurrency.conftest import Arena, World, _people, filled, open_arena
from tests.programme.conftest import build_programme, publish

NOW = "2023-11-14T12:00+09:00"  # the keynote (09:00–10:00) is over
PEOPLE = 8


async def _fill(session: AsyncSession, world: World) -> None:
    built = await build_programme(session)
    await publish(session, built.edition_id)
    world.ids["edition"], world.ids["session"] = built.edition_id, built.keynote
    await _people(session, world, "raters", PEOPLE)
    current = await programme.published(session, await editions.get_by_id(session, built.edition_id))
    for user_id in world.users["raters"]:
        await programme.save(session, user_id, current, built.keynote)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def feedback_arena(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Arena]:
    yield from open_arena(request, tmp_path_factory, "feedback", filled(_fill), NOW)


async def test_ratings_sent_at_once_leave_one_rating_per_person(feedback_arena: Arena) -> None:
    w = feedback_arena.world
    path = f"/api/v1/sessions/{w.ids['session']}/feedback"
    # Each person sends two different ratings at the same moment (two phones, a double click), all at once.
    requests = [
        ("POST", path, token, {"rating": rating, "comment": f"Vote {rating} 👍"})
        for token in w.tokens["raters"]
        for rating in (2, 5)
    ]
    answers = await feedback_arena.at_once(requests)
    assert [a.status_code for a in answers] == [200] * len(requests), [
        a.text for a in answers if a.status_code != 200
    ]
    rows = await feedback_arena.rows(
        "select user_id, count(*), min(rating), max(rating) from programme_feedback where session_id = :s "
        "group by user_id",
        s=w.ids["session"],
    )
    assert sorted(r[0] for r in rows) == sorted(w.users["raters"])
    # One row each, holding one of the two ratings sent (whichever came last).
    assert all(count == 1 and low == high and low in (2, 5) for _, count, low, high in rows)
    mine = await feedback_arena.at_once([("GET", "/api/v1/me/feedback", w.tokens["raters"][0], None)])
    assert [(f["session_id"], f["comment_status"]) for f in mine[0].json()] == [(w.ids["session"], "pending")]
