"""Messages as people use them on the pages: writing to someone they agreed to meet, the unread count in the
menu and in the list, blocking with a clear refusal, reporting, and the organizer reading a reported
conversation (audited) but never an unreported one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.audit.models import AuditEntry
from ascc.db import create_engine
from ascc.messages.models import Conversation
from tests.messages.conftest import PASSWORD
from tests.support.web import sign_in, submit, text_of


async def _sign_in_as(client, email: str) -> None:
    client.cookies.clear()
    await sign_in(client, email, PASSWORD)


async def test_two_people_who_agreed_to_meet_write_and_read(client, world) -> None:
    await _sign_in_as(client, "official@example.org")
    index = await client.get("/messages")
    assert index.status_code == 200
    assert "Aiko Staff" in text_of(index.text.split('data-testid="partners"')[1])  # the accepted meeting
    assert "Akane Shimizu" not in index.text  # the bank's request is unanswered: no cold messages
    hostile = '<script>alert("x")</script> 汚泥の件で‮ 👩🏽‍💼\nSecond line'
    sent = await submit(client, f"/messages/with/{world.company}", {"body": hostile})
    assert sent.status_code == 303
    page = await client.get(f"/messages/with/{world.company}")
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert "‮" not in page.text  # the direction override is gone; the ZWJ emoji stays
    assert "👩🏽‍💼" in page.text
    empty = await submit(client, f"/messages/with/{world.company}", {"body": "  \u200b "})
    assert empty.status_code == 422
    assert "This field is required" in text_of(empty.text.split('data-testid="body-error"')[1])
    too_long = await submit(client, f"/messages/with/{world.company}", {"body": "あ" * 2001})
    assert too_long.status_code == 422 and "2000" in text_of(
        too_long.text.split('data-testid="body-error"')[1]
    )

    await _sign_in_as(client, "staff-a@example.org")
    badge = await client.get("/messages/unread")
    assert text_of(badge.text) == "1"
    index = await client.get("/messages")
    assert "Unread: 1" in text_of(index.text)
    home = await client.get("/")
    assert 'hx-get="/messages/unread"' in home.text  # the menu loads the count
    # New messages arrive by polling: the thread alone, for htmx.
    thread = await client.get(f"/messages/with/{world.official}", headers={"HX-Request": "true"})
    assert thread.text.lstrip().startswith("{#") or 'id="thread"' in thread.text
    assert "<html" not in thread.text and "汚泥の件で" in thread.text
    assert text_of((await client.get("/messages/unread")).text) == ""  # read: the count is gone
    reply = await submit(client, f"/messages/with/{world.official}", {"body": "Yes — see you at table 2."})
    assert reply.status_code == 303


async def test_nobody_else_has_a_conversation_page(client, world) -> None:
    await _sign_in_as(client, "official@example.org")
    assert (await client.get(f"/messages/with/{world.bank}")).status_code == 404
    # The page does not exist for them, so neither does its form (the API says why: tests/messages/test_api.py).
    assert (await submit(client, f"/messages/with/{world.bank}", {"body": "Hello"})).status_code == 404


async def test_a_block_refuses_messages_with_a_clear_message(client, world) -> None:
    await _sign_in_as(client, "official@example.org")
    await submit(client, f"/messages/with/{world.company}", {"body": "Hello"})
    await _sign_in_as(client, "staff-a@example.org")
    blocked = await submit(client, f"/messages/with/{world.official}/block", {})
    assert blocked.status_code == 303
    await _sign_in_as(client, "official@example.org")
    refused = await submit(client, f"/messages/with/{world.company}", {"body": "Are you there?"})
    assert refused.status_code == 403
    assert "This person does not accept messages from you." in text_of(refused.text)
    page = await client.get(f"/messages/with/{world.company}")
    assert "Are you there?" not in page.text and 'name="body"' not in page.text
    await _sign_in_as(client, "staff-a@example.org")
    mine = await submit(client, f"/messages/with/{world.official}", {"body": "Sorry"})
    assert mine.status_code == 403 and "unblock them to write again" in text_of(mine.text)
    assert (await submit(client, f"/messages/with/{world.official}/unblock", {})).status_code == 303
    assert (await submit(client, f"/messages/with/{world.official}", {"body": "Sorry"})).status_code == 303


async def test_organizer_reads_only_a_reported_conversation_and_is_audited(client, world, settings) -> None:
    await _sign_in_as(client, "official@example.org")
    await submit(client, f"/messages/with/{world.company}", {"body": "A rude message"})
    await _sign_in_as(client, "org@example.org")
    listed = await client.get("/organizer/messages")
    assert "No conversation has been reported." in text_of(listed.text)
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine)() as session:
        conversation_id = await session.scalar(select(Conversation.id))
    assert (await client.get(f"/organizer/messages/{conversation_id}")).status_code == 404

    await _sign_in_as(client, "staff-a@example.org")
    reported = await submit(
        client, f"/messages/with/{world.official}/report", {"reason": "Rude <b>language</b>"}
    )
    assert reported.status_code == 303
    await _sign_in_as(client, "org@example.org")
    listed = await client.get("/organizer/messages")
    assert "Reported by Aiko Staff" in text_of(listed.text) and "&lt;b&gt;" in listed.text
    read = await client.get(f"/organizer/messages/{conversation_id}")
    assert read.status_code == 200 and "A rude message" in read.text
    async with async_sessionmaker(engine)() as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "messages.report_read"))
        ).all()
    await engine.dispose()
    assert [(e.actor_name, e.target_id) for e in entries] == [("Haruka Sato", conversation_id)]
    # Someone else cannot read it.
    await _sign_in_as(client, "bank@example.org")
    assert (await client.get(f"/organizer/messages/{conversation_id}")).status_code in (401, 403)
