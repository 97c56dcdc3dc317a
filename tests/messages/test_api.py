"""The messages API: sending with every refusal named (field and reason), hostile and unusual text kept as
typed but harmless, the unread count, reading, blocking, reporting, and the rate limit."""

from __future__ import annotations

import unicodedata

from tests.messages.conftest import bearer


async def _send(client, w, who: str, to: int, body: str):
    return await client.post(
        "/api/v1/messages", json={"recipient_id": to, "body": body}, headers=bearer(w, who)
    )


async def test_send_read_and_unread_count(client, world) -> None:
    w = world
    sent = await _send(client, w, "official", w.company, "Shall we meet at 14:00? 14時でいかがですか 🙏")
    assert sent.status_code == 201, sent.text
    assert (await client.get("/api/v1/messages/unread", headers=bearer(w, "company"))).json() == {"unread": 1}
    listed = (await client.get("/api/v1/messages/conversations", headers=bearer(w, "company"))).json()
    assert [(c["other_name"], c["unread"]) for c in listed] == [("Maria Reyes", 1)]
    thread = await client.get(
        f"/api/v1/messages/conversations/{listed[0]['id']}", headers=bearer(w, "company")
    )
    assert [m["body"] for m in thread.json()["messages"]] == ["Shall we meet at 14:00? 14時でいかがですか 🙏"]
    assert (await client.get("/api/v1/messages/unread", headers=bearer(w, "company"))).json() == {"unread": 0}
    # A conversation of others is not there for the bank.
    other = await client.get(f"/api/v1/messages/conversations/{listed[0]['id']}", headers=bearer(w, "bank"))
    assert other.status_code == 404


async def test_refusals_name_the_field_and_the_reason(client, world) -> None:
    w = world
    cold = await _send(client, w, "bank", w.official, "Hello")  # a request nobody accepted
    assert cold.status_code == 403 and cold.json()["error"] == "not_allowed"
    assert cold.json()["field"] == "recipient_id"
    assert "accepted meeting request" in cold.json()["detail"]
    empty = await _send(client, w, "official", w.company, " \u200b\t")
    assert (empty.status_code, empty.json()["field"]) == (422, "body")
    long = await _send(client, w, "official", w.company, "x" * 2001)
    assert long.status_code == 422 and "2000" in long.json()["detail"]
    me = await _send(client, w, "official", w.official, "Note to self")
    assert me.status_code == 422 and me.json()["error"] == "self"
    nobody = await _send(client, w, "official", 999_999, "Hello")
    assert nobody.status_code == 404 and nobody.json()["field"] == "recipient_id"
    extra = await client.post(
        "/api/v1/messages",
        json={"recipient_id": w.company, "body": "x", "cc": 1},
        headers=bearer(w, "official"),
    )
    assert extra.status_code == 400
    anonymous = await client.post("/api/v1/messages", json={"recipient_id": w.company, "body": "x"})
    assert anonymous.status_code in (401, 403)
    assert (await client.get("/api/v1/messages/unread", headers=bearer(w, "company"))).json() == {"unread": 0}


async def test_hostile_and_unusual_text(client, world, inputs) -> None:
    w = world
    names = [n["local"] for n in inputs["names"][:4]]
    for text in inputs["hostile"] + inputs["unicode_traps"] + names:
        answer = await _send(client, w, "official", w.company, text)
        cleaned = unicodedata.normalize("NFC", text).replace("\x00", "").strip()
        if not cleaned:
            assert answer.status_code == 422 and answer.json()["field"] == "body", text
            continue
        assert answer.status_code == 201, (text, answer.text)
        body = answer.json()["body"]
        assert not any(ch in body for ch in "\u200b\u202e\x00"), text
    thread = (await client.get("/api/v1/messages/conversations", headers=bearer(w, "company"))).json()[0]
    detail = (
        await client.get(f"/api/v1/messages/conversations/{thread['id']}", headers=bearer(w, "company"))
    ).json()
    assert "<script>alert(1)</script>" in [
        m["body"] for m in detail["messages"]
    ]  # kept as typed; pages escape it


async def test_block_report_and_rate_limit(client, world) -> None:
    w = world
    assert (await _send(client, w, "official", w.company, "Hi")).status_code == 201
    blocked = await client.post(
        "/api/v1/messages/blocks", json={"user_id": w.official}, headers=bearer(w, "company")
    )
    assert blocked.status_code == 201
    refused = await _send(client, w, "official", w.company, "Hi again")
    assert refused.status_code == 403 and refused.json()["error"] == "blocked"
    assert refused.json()["detail"] == "This person does not accept messages from you."
    again = await client.post(
        "/api/v1/messages/blocks", json={"user_id": w.official}, headers=bearer(w, "company")
    )
    assert again.status_code == 201  # blocking twice is one block
    gone = await client.delete(f"/api/v1/messages/blocks/{w.official}", headers=bearer(w, "company"))
    assert gone.status_code == 204
    conversation = (await client.get("/api/v1/messages/conversations", headers=bearer(w, "company"))).json()[
        0
    ]
    report = await client.post(
        f"/api/v1/messages/conversations/{conversation['id']}/report",
        json={"reason": "Spam"},
        headers=bearer(w, "company"),
    )
    assert report.status_code == 201 and report.json()["status"] == "open"
    not_mine = await client.post(
        f"/api/v1/messages/conversations/{conversation['id']}/report", json={}, headers=bearer(w, "bank")
    )
    assert not_mine.status_code == 404
    # 30 messages in ten minutes (the clock stands still here: all in one window), then a clear 429.
    answers = [await _send(client, w, "official", w.company, f"Message {n}") for n in range(31)]
    assert [a.status_code for a in answers].count(201) == 29  # "Hi" was the first of the thirty
    assert answers[-1].status_code == 429 and answers[-1].json()["error"] == "rate_limited"
    assert "wait a little" in answers[-1].json()["detail"]
