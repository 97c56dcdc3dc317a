"""Mail goes through the outbox and a real SMTP server; nothing is lost while the server is down."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from ascc import clock
from ascc.mail import services as mail
from ascc.mail.models import OutboxMessage
from tests.conftest import Mailbox

SENDER = "ASCC <noreply@ascc.example.org>"


async def queue_one(session_maker, lang: str = "ja", to: str = "tanaka@example.org"):
    async with session_maker() as session:
        message = await mail.queue_mail(
            session,
            to=to,
            name="田中 花子",
            lang=lang,
            kind="verify_email",
            context={"name": "田中 花子", "link": "https://ascc.example.org/verify/abc", "hours": 48},
        )
        await session.commit()
        return message.id


async def test_message_is_delivered_in_both_languages_recipients_first(
    session_maker, mailbox: Mailbox
) -> None:
    await queue_one(session_maker, lang="ja")
    report = await mail.deliver_due(session_maker, mailbox.url, SENDER)
    assert report.sent == 1
    [received] = mailbox.to("tanaka@example.org")
    body = received.get_content()
    assert received["Subject"] == "メールアドレスの確認 · ASCC / Confirm your e-mail address · ASCC"
    assert body.index("田中 花子 様") < body.index("Dear 田中 花子,")
    assert "https://ascc.example.org/verify/abc" in body
    assert received["Content-Language"] == "ja, en"


async def test_english_recipient_reads_english_first(session_maker, mailbox: Mailbox) -> None:
    await queue_one(session_maker, lang="en")
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    [received] = mailbox.messages
    assert received["Subject"].startswith("Confirm your e-mail address")


async def test_internationalised_address_is_delivered(session_maker, mailbox: Mailbox) -> None:
    await queue_one(session_maker, to="tanaka@例え.jp")
    report = await mail.deliver_due(session_maker, mailbox.url, SENDER)
    assert report.sent == 1
    assert len(mailbox.messages) == 1


async def test_smtp_down_keeps_message_waiting_then_delivers_it(
    session_maker, free_port: int, monkeypatch
) -> None:
    message_id = await queue_one(session_maker)
    down = f"smtp://127.0.0.1:{free_port}"  # nothing listens there
    report = await mail.deliver_due(session_maker, down, SENDER)
    assert (report.sent, report.retrying) == (0, 1)
    async with session_maker() as session:
        waiting = await session.get_one(OutboxMessage, message_id)
        assert (waiting.status, waiting.attempts) == ("pending", 1)
        assert waiting.next_attempt_at > clock.now()
        assert "ConnectionRefusedError" in waiting.last_error
    # Before the back-off ends nothing is tried; after it, the restored server gets the message.
    box = Mailbox()
    box.start()
    try:
        assert (await mail.deliver_due(session_maker, box.url, SENDER)).sent == 0
        monkeypatch.setenv("ASCC_NOW", (clock.now() + timedelta(minutes=5)).isoformat())
        assert (await mail.deliver_due(session_maker, box.url, SENDER)).sent == 1
    finally:
        box.stop()
    assert len(box.messages) == 1
    async with session_maker() as session:
        assert (await session.get_one(OutboxMessage, message_id)).status == "sent"


async def test_message_is_marked_failed_after_the_last_attempt(
    session_maker, free_port: int, monkeypatch
) -> None:
    message_id = await queue_one(session_maker)
    down = f"smtp://127.0.0.1:{free_port}"
    moment = clock.now()
    for _ in range(mail.MAX_ATTEMPTS):
        moment += timedelta(hours=2)
        monkeypatch.setenv("ASCC_NOW", moment.isoformat())
        await mail.deliver_due(session_maker, down, SENDER)
    async with session_maker() as session:
        failed = await session.get_one(OutboxMessage, message_id)
    assert (failed.status, failed.attempts) == ("failed", mail.MAX_ATTEMPTS)


async def test_two_senders_never_send_the_same_message_twice(session_maker, mailbox: Mailbox) -> None:
    import asyncio

    for index in range(10):
        await queue_one(session_maker, to=f"p{index}@example.org")
    reports = await asyncio.gather(*(mail.deliver_due(session_maker, mailbox.url, SENDER) for _ in range(3)))
    assert sum(r.sent for r in reports) == 10
    assert len(mailbox.messages) == 10
    async with session_maker() as session:
        statuses = set((await session.scalars(select(OutboxMessage.status))).all())
    assert statuses == {"sent"}


async def test_every_mail_carries_date_and_one_message_id_for_all_its_attempts(
    session_maker, mailbox: Mailbox, free_port: int, monkeypatch
) -> None:
    """RFC 5322 requires Date; spam filters penalize its absence. A retried message keeps its Message-ID."""
    from email.utils import parsedate_to_datetime

    message_id = await queue_one(session_maker)
    await mail.deliver_due(session_maker, f"smtp://127.0.0.1:{free_port}", SENDER)  # refused: retried later
    monkeypatch.setenv("ASCC_NOW", (clock.now() + timedelta(minutes=5)).isoformat())
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    [received] = mailbox.messages
    async with session_maker() as session:
        queued = await session.get_one(OutboxMessage, message_id)
    sent_date = parsedate_to_datetime(received["Date"])
    assert abs((sent_date - queued.created_at).total_seconds()) < 1  # when it was queued, in RFC 5322 form
    assert received["Message-ID"] == mail.message_id_of(queued, SENDER)
    assert received["Message-ID"].startswith(f"<ascc.{message_id}.")
    assert received["Message-ID"].endswith("@ascc.example.org>")


async def test_the_sender_is_woken_when_a_queued_message_is_committed_not_before(session_maker) -> None:
    """Woken before the commit, the sender found nothing it could see and slept its whole poll interval: a
    registration's mail went out seconds late. A message rolled back wakes nobody."""
    woken = asyncio.Event()
    mail._wakeups.add(woken)
    try:
        async with session_maker() as session:
            await mail.queue_mail(
                session,
                to="somchai@example.org",
                name="สมชาย ใจดี",
                lang="en",
                kind="verify_email",
                context={"name": "สมชาย ใจดี", "link": "https://ascc.example.org/verify/x", "hours": 48},
            )
            assert not woken.is_set()  # not yet visible to the sender
            await session.rollback()
        assert not woken.is_set()
        assert await queue_one(session_maker, to="somchai@example.org")
        assert woken.is_set()
    finally:
        mail._wakeups.discard(woken)


async def test_a_savepoint_ending_does_not_wake_the_sender_before_the_commit(session_maker) -> None:
    """A savepoint (a seat taken inside a booking) ends before the transaction holding the message commits."""
    woken = asyncio.Event()
    mail._wakeups.add(woken)
    try:
        async with session_maker() as session:
            await mail.queue_mail(
                session,
                to="an@example.org",
                name="Nguyễn Văn An",
                lang="ja",
                kind="verify_email",
                context={"name": "Nguyễn Văn An", "link": "https://ascc.example.org/verify/y", "hours": 48},
            )
            async with session.begin_nested():
                pass
            assert not woken.is_set()
            await session.commit()
        assert woken.is_set()
    finally:
        mail._wakeups.discard(woken)
