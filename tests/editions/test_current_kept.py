"""The current edition is kept for a second per worker (issue #26: nearly every page asked for it), yet an
organizer's change, or another edition made current, shows on the very next request, and a change made by
another worker within the cache's lifetime."""

from __future__ import annotations

import time

from sqlalchemy import update

from ascc import write_watch
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.editions.models import Edition
from tests.factories import make_edition, make_user


async def _current(client, token: str) -> tuple[int, str, str]:
    response = await client.get("/api/v1/editions/current", headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    return response.status_code, body.get("slug", ""), body.get("name_ja", "")


async def _token(app_session) -> str:
    user = await make_user(app_session, "reader@example.org")
    raw, _ = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    return raw


async def test_a_renamed_or_replaced_current_edition_shows_on_the_next_request(client, app_session) -> None:
    edition = await make_edition(app_session)
    token = await _token(app_session)
    first = await _current(client, token)
    assert first[:2] == (200, "ascc2023")
    assert (
        await _current(client, token) == first
    )  # the first request read it, this one is answered from memory
    await app_session.execute(
        update(Edition).where(Edition.id == edition.id).values(name_ja="第12回 アジア・スマートシティ会議 🏙️")
    )
    await app_session.commit()
    assert await _current(client, token) == (200, "ascc2023", "第12回 アジア・スマートシティ会議 🏙️")
    await app_session.execute(update(Edition).values(is_current=False))
    await app_session.commit()
    assert (await _current(client, token))[0] == 404
    await make_edition(app_session, slug="ascc2024", year=2024)
    await app_session.commit()
    assert (await _current(client, token))[:2] == (200, "ascc2024")


async def test_another_workers_change_counts_within_the_cache_lifetime(
    client, app_session, monkeypatch
) -> None:
    """A write this process does not see (another worker's) is noticed when the kept edition expires."""
    monkeypatch.setattr(editions._kept_current, "ttl", 60.0)  # however slow this machine is today
    edition = await make_edition(app_session)
    token = await _token(app_session)
    name = (await _current(client, token))[2]
    # As if from another process: the write bypasses this process's ORM, so nothing here is told.
    async with app_session.bind.connect() as connection:
        await connection.exec_driver_sql(
            f"UPDATE edition SET name_ja = 'Hội nghị' WHERE id = {int(edition.id)}"
        )
        await connection.commit()
    assert (await _current(client, token))[2] == name  # kept for at most the cache's lifetime
    later = time.monotonic() + 61
    monkeypatch.setattr(write_watch.time, "monotonic", lambda: later)
    assert (await _current(client, token))[2] == "Hội nghị"
