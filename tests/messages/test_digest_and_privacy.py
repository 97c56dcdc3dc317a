"""The daily digest of unread messages (once per person and messages, at most once a day, never for what was
read, one mail when two workers run at once), and privacy: the data export, forgetting a person, and the
retention rule that deletes an ended edition's conversations."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from ascc.mail.models import OutboxMessage
from ascc.messages import digest
from ascc.messages import services as messages
from ascc.messages.models import Conversation, Message
from ascc.privacy import export, forget
from ascc.privacy import services as privacy
from tests.messages.conftest import BASE, build_messages
from tests.network.conftest import next_edition


async def _digests(session) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "messages_digest").order_by(OutboxMessage.id)
    )
    return list(rows.all())


async def test_one_digest_for_unread_messages_never_twice(session, monkeypatch: pytest.MonkeyPatch) -> None:
    w = await build_messages(session)
    for text in ("Hello from Cebu", "Could you bring the brochure?"):
        await messages.send(session, w.edition_id, w.official, w.company, {"body": text})
    await session.commit()
    assert await digest.send_digests(session, w.edition_id, BASE) == 0  # not unread for long yet
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T15:30+09:00")  # five and a half hours later
    assert await digest.send_digests(session, w.edition_id, BASE) == 1
    await session.commit()
    mails = await _digests(session)
    assert [m.to_address for m in mails] == ["staff-a@example.org"]
    assert "Maria Reyes: 2" in mails[0].body_text and "You have 2 unread messages" in mails[0].subject
    assert "brochure" not in mails[0].body_text  # who and how many, never what
    assert f"{BASE}/messages" in mails[0].body_text
    assert await digest.send_digests(session, w.edition_id, BASE) == 0  # the same messages: not again
    # A new message: announced, but not the same day.
    await messages.send(session, w.edition_id, w.official, w.company, {"body": "Table 2?"})
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-15T10:00+09:00")
    assert await digest.send_digests(session, w.edition_id, BASE) == 0
    monkeypatch.setenv("ASCC_NOW", "2023-11-15T16:00+09:00")
    assert await digest.send_digests(session, w.edition_id, BASE) == 1
    await session.commit()
    assert "Maria Reyes: 1" in (await _digests(session))[-1].body_text


async def test_read_messages_are_not_mailed_and_two_workers_send_one(
    session, session_maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await build_messages(session)
    first = await messages.send(session, w.edition_id, w.company, w.official, {"body": "Read me"})
    conversation = await messages.find_conversation(session, w.edition_id, w.company, w.official)
    assert conversation is not None
    await messages.mark_read(session, conversation, w.official, first.id)
    await messages.send(session, w.edition_id, w.official, w.company, {"body": "Unread for you"})
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T16:00+09:00")

    async def worker() -> int:
        async with session_maker() as own:
            sent = await digest.send_digests(own, w.edition_id, BASE)
            await own.commit()
            return sent

    assert sorted(await asyncio.gather(worker(), worker())) == [0, 1]
    assert [m.to_address for m in await _digests(session)] == ["staff-a@example.org"]


async def test_export_forget_and_retention(session, monkeypatch: pytest.MonkeyPatch) -> None:
    w = await build_messages(session)
    await messages.send(session, w.edition_id, w.official, w.company, {"body": "Mine: 汚泥の件"})
    await messages.send(session, w.edition_id, w.company, w.official, {"body": "Theirs"})
    await messages.block(session, w.edition_id, w.official, w.company)
    await session.commit()
    data = await export.person_export(session, w.official)
    assert data["messages"]["conversations"][0]["with"] == "Aiko Staff"
    assert [(m["from_me"], m["body"]) for m in data["messages"]["conversations"][0]["messages"]] == [
        (True, "Mine: 汚泥の件"),
        (False, "Theirs"),
    ]
    assert data["messages"]["blocked"] == ["Aiko Staff"]
    # An organizer's copy of the export (/organizer/privacy) says with whom and how many, never what.
    organizers = await export.person_export(session, w.official, for_organizer=True)
    assert organizers["messages"]["conversations"] == [
        {"edition_id": w.edition_id, "with": "Aiko Staff", "message_count": 2}
    ]
    assert "汚泥" not in str(organizers) and "Theirs" not in str(organizers)

    await forget.forget_person(session, w.official)
    await session.commit()
    left = (await session.scalars(select(Message.body))).all()
    assert left == ["Theirs"]  # what they wrote is gone; the other's own message stays with them
    assert not (await messages.blocks_between(session, w.official, w.company))

    # The 2024 edition is current; a year after the 2023 edition ended its conversations go.
    await next_edition(session, w)
    monkeypatch.setenv("ASCC_NOW", "2025-01-10T10:00+09:00")
    dry = await privacy.apply(session, None, dry_run=True, only=["messages"])
    assert [(r.data_class, r.count, r.status) for r in dry.results] == [("messages", 1, "dry_run")]
    done = await privacy.apply(session, None, only=["messages"])
    assert [(r.data_class, r.count) for r in done.results] == [("messages", 1)]
    assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
