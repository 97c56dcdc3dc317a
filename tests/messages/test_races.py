"""Messages fired at the same moment over real HTTP, on SQLite and PostgreSQL: two first messages from both
sides end in one conversation; a block and a message sent at the same moment never let the message past the
block; a sender's rate limit holds when their messages arrive all at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.editions import services as editions
from ascc.matching import meeting_requests
from ascc.matching import services as matching
from ascc.messages.services import RATE_LIMIT
from tests.concurrency.conftest import Arena, World, _people, filled, matching_request, open_arena
from tests.programme.conftest import BASE, build_programme

NOW = "2023-11-12T10:00+09:00"
PAIRS = 6  # per race
SESSION = {
    "name_en": "Business matching",
    "name_ja": "ビジネスマッチング",
    "day": "2023-11-14",
    "starts": "13:30",
    "ends": "15:30",
    "slot_minutes": "25",
    "break_minutes": "5",
    "tables": "4",
    "online_rooms": "1",
    "location_en": "Hall B",
    "location_ja": "ホールB",
}


async def _fill(session: AsyncSession, world: World) -> None:
    built = await build_programme(session)
    edition = await editions.get_by_id(session, built.edition_id)
    world.ids["edition"] = edition.id
    await matching.save_session(session, edition, None, SESSION)
    for race in ("first", "block", "flood"):
        await _people(session, world, f"{race}_officials", PAIRS)
        await _people(session, world, f"{race}_companies", PAIRS, category="company")
        for official, company in zip(
            world.users[f"{race}_officials"], world.users[f"{race}_companies"], strict=True
        ):
            meeting_id = await matching_request(session, edition, official, company)
            await meeting_requests.answer(session, edition, meeting_id, company, "accept", {}, BASE)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def messages_arena(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Arena]:
    yield from open_arena(request, tmp_path_factory, "messages", filled(_fill), NOW)


def _send(token: str, to: int, body: str) -> tuple[str, str, str, dict]:
    return ("POST", "/api/v1/messages", token, {"recipient_id": to, "body": body})


async def test_first_messages_from_both_sides_at_once_make_one_conversation(messages_arena: Arena) -> None:
    w = messages_arena.world
    officials, companies = w.users["first_officials"], w.users["first_companies"]
    requests = []
    for n in range(PAIRS):
        requests.append(_send(w.tokens["first_officials"][n], companies[n], f"Hello from the city {n} 🙂"))
        requests.append(_send(w.tokens["first_companies"][n], officials[n], f"こんにちは {n}"))
    answers = await messages_arena.at_once(requests)
    assert [a.status_code for a in answers] == [201] * len(requests), [a.text for a in answers]
    rows = await messages_arena.rows(
        "select c.person_low, c.person_high, count(m.id) from message_conversation c "
        "join message m on m.conversation_id = c.id group by c.id, c.person_low, c.person_high"
    )
    pairs = {tuple(sorted(p)) for p in zip(officials, companies, strict=True)}
    mine = [r for r in rows if (r[0], r[1]) in pairs]
    assert sorted((r[0], r[1]) for r in mine) == sorted(pairs)  # one conversation per pair
    assert all(r[2] == 2 for r in mine)  # holding both first messages


async def test_a_block_and_a_message_at_the_same_moment(messages_arena: Arena) -> None:
    w = messages_arena.world
    officials, companies = w.users["block_officials"], w.users["block_companies"]
    requests = []
    for n in range(PAIRS):
        requests.append(
            ("POST", "/api/v1/messages/blocks", w.tokens["block_companies"][n], {"user_id": officials[n]})
        )
        requests.append(_send(w.tokens["block_officials"][n], companies[n], "Sent while being blocked"))
    answers = await messages_arena.at_once(requests)
    blocks, sends = answers[0::2], answers[1::2]
    assert [b.status_code for b in blocks] == [201] * PAIRS
    assert all(s.status_code in (201, 403) for s in sends), [s.text for s in sends]
    for n, sent in enumerate(sends):
        last = await messages_arena.scalar(
            "select last_message_id from message_block where blocker_id = :b and blocked_id = :o",
            b=companies[n],
            o=officials[n],
        )
        if sent.status_code == 201:  # it went first: the block saw it
            assert sent.json()["id"] <= last
        else:
            assert sent.json()["error"] == "blocked"
        after = await messages_arena.at_once([_send(w.tokens["block_officials"][n], companies[n], "After")])
        assert after[0].status_code == 403
    stored = await messages_arena.scalar(
        "select count(*) from message m join message_block b on b.blocked_id = m.sender_id where m.id > b.last_message_id"
    )
    assert stored == 0  # nothing got past a block


async def test_a_flood_at_once_stops_at_the_rate_limit(messages_arena: Arena) -> None:
    w = messages_arena.world
    token, partner = w.tokens["flood_officials"][0], w.users["flood_companies"][0]
    requests = [_send(token, partner, f"Flood {n}") for n in range(RATE_LIMIT + 6)]
    answers = await messages_arena.at_once(requests)
    codes = [a.status_code for a in answers]
    assert codes.count(201) == RATE_LIMIT and codes.count(429) == 6, codes
    sender = w.users["flood_officials"][0]
    assert (
        await messages_arena.scalar("select count(*) from message where sender_id = :s", s=sender)
        == RATE_LIMIT
    )
