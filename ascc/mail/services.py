"""Mail: queue every message in the outbox, deliver due ones over SMTP with retries and back-off."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ascc import clock
from ascc.db import rows_changed
from ascc.errors import NotFound
from ascc.ical import Attendee, invitation_from_payload
from ascc.jobs import nap
from ascc.mail import smtp
from ascc.mail.compose import compose
from ascc.mail.models import OutboxMessage

log = logging.getLogger("ascc.mail")

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120
_wakeups: set[asyncio.Event] = set()
_QUEUED = "ascc_mail_queued"


def _wake_after_commit(session: AsyncSession) -> None:
    """Wake the sender once this transaction commits: woken before, it finds nothing it may see yet and
    sleeps its whole poll interval (mail went out 5 s late)."""
    session.sync_session.info[_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint ended; the transaction that holds the message goes on
        return
    if session.info.pop(_QUEUED, False):
        for wakeup in list(_wakeups):
            wakeup.set()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_QUEUED, None)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


async def queue_mail(
    session: AsyncSession,
    *,
    to: str,
    name: str | None,
    lang: str,
    kind: str,
    context: dict[str, Any],
    invitation: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Store a message in the outbox; it is delivered after the surrounding transaction commits.

    `invitation` (ical.invitation_payload) goes with it as an iTIP calendar invitation."""
    subject, body = compose(kind, lang, context)
    return await queue_composed(
        session,
        to=to,
        name=name,
        lang=lang,
        kind=kind,
        subject=subject,
        body=body,
        invitation=invitation,
        headers=headers,
    )


async def queue_composed(
    session: AsyncSession,
    *,
    to: str,
    name: str | None,
    lang: str,
    kind: str,
    subject: str,
    body: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    not_before: datetime | None = None,
    invitation: dict[str, Any] | None = None,
) -> OutboxMessage:
    """A message written by its caller (a campaign); `not_before` holds it back until then (throttling)."""
    message = OutboxMessage(
        kind=kind,
        to_address=to,
        to_name=name,
        lang=lang,
        subject=subject[:300],
        body_text=body,
        body_html=html,
        headers=headers or None,
        status="pending",
        attempts=0,
        next_attempt_at=max(not_before, clock.now()) if not_before else clock.now(),
        invitation=invitation,
    )
    session.add(message)
    await session.flush()
    log.info("mail queued #%s (%s) to %s: %s", message.id, kind, to, subject)
    _wake_after_commit(session)
    return message


async def _claim_due(session_maker: Callable[[], AsyncSession], limit: int) -> list[int]:
    """Mark due messages as being sent by this process; a conditional update keeps two senders apart."""
    now = clock.now()
    claimed: list[int] = []
    async with session_maker() as session:
        due = or_(
            (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
        )
        ids = (
            await session.scalars(select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit))
        ).all()
        for message_id in ids:
            changed = await rows_changed(
                session,
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, due)
                .values(status="sending", claimed_until=now + timedelta(seconds=CLAIM_SECONDS)),
            )
            if changed == 1:
                claimed.append(message_id)
        await session.commit()
    return claimed


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def deliver_due(
    session_maker: Callable[[], AsyncSession], smtp_url: str, sender: str, limit: int = 50
) -> DeliveryReport:
    """Send what is due. A message that fails waits with back-off; after MAX_ATTEMPTS it is marked failed."""
    target = smtp.parse_smtp_url(smtp_url)
    report = DeliveryReport()
    for message_id in await _claim_due(session_maker, limit):
        async with session_maker() as session:
            message = await session.get_one(OutboxMessage, message_id)
            message.attempts += 1
            try:
                email = smtp.build_message(
                    sender,
                    message.to_address,
                    message.to_name,
                    message.subject,
                    message.body_text,
                    message.lang,
                    invitation=_invitation(message, sender),
                    html=message.body_html,
                    headers=message.headers,
                    message_id=message_id_of(message, sender),
                    date=message.created_at,
                )
            except (ValueError, KeyError, TypeError) as exc:  # e.g. an invitation no longer readable
                message.status, message.claimed_until = "failed", None
                message.last_error = f"cannot build the message: {type(exc).__name__}: {exc}"[:500]
                report.failed += 1
                log.error("mail #%s to %s cannot be built: %s", message.id, message.to_address, exc)
                await session.commit()
                continue
            try:
                await asyncio.to_thread(smtp.send, target, email)
            except (OSError, smtp.smtplib.SMTPException) as exc:
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                message.claimed_until = None
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = "failed"
                    report.failed += 1
                else:
                    message.status = "pending"
                    message.next_attempt_at = clock.now() + backoff(message.attempts)
                    report.retrying += 1
                log.warning(
                    "mail #%s to %s not delivered (attempt %s): %s",
                    message.id,
                    message.to_address,
                    message.attempts,
                    message.last_error,
                )
            else:
                message.status = "sent"
                message.sent_at = clock.now()
                message.claimed_until = None
                message.last_error = None
                report.sent += 1
            await session.commit()
    return report


def message_id_of(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID on every attempt at one outbox message, unique across installations."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ascc.local"
    seed = f"{message.id}:{message.created_at.isoformat()}:{message.to_address}"
    return f"<ascc.{message.id}.{hashlib.sha256(seed.encode()).hexdigest()[:16]}@{domain}>"


def _invitation(message: OutboxMessage, sender: str) -> tuple[bytes, str] | None:
    """The message's calendar invitation with the sending address as its ORGANIZER."""
    if not message.invitation:
        return None
    name, address = parseaddr(sender)
    return invitation_from_payload(message.invitation, Attendee(address, name or address), clock.now())


async def run_sender(
    session_maker: Callable[[], AsyncSession],
    smtp_url: str,
    sender: str,
    poll_seconds: float,
    stop: asyncio.Event,
) -> None:
    """Background loop of one worker: deliver due mail, sleep until woken or polled; finish a round on stop."""
    wakeup = asyncio.Event()
    _wakeups.add(wakeup)
    try:
        while not stop.is_set():
            try:
                await deliver_due(session_maker, smtp_url, sender)
            except Exception:  # the loop must survive a database or network hiccup
                log.exception("mail delivery round failed")
            await nap(wakeup, stop, poll_seconds)
    finally:
        _wakeups.discard(wakeup)


async def retry_now(session: AsyncSession, message_id: int) -> bool:
    """Organizer action: send a failed message again at the next round. Only a failed one: a message that
    waits keeps its time (a campaign's throttle, a retry's back-off). Returns whether it was put back."""
    done = await rows_changed(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")
        .values(status="pending", next_attempt_at=clock.now(), attempts=0),
    )
    if done != 1:
        return False
    _wake_after_commit(session)
    return True


async def list_outbox(
    session: AsyncSession, status: str | None = None, limit: int = 200
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list((await session.scalars(query)).all())


async def get_message(session: AsyncSession, message_id: int) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("message")
    return message


async def outbox_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows.all()}


async def messages_to(session: AsyncSession, address: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(func.lower(OutboxMessage.to_address) == address.lower())
    return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def forget_recipient(session: AsyncSession, address: str) -> None:
    """A person deleted their account: their mail, sent or waiting, goes too."""
    await session.execute(
        delete(OutboxMessage).where(func.lower(OutboxMessage.to_address) == address.lower())
    )


@dataclass(frozen=True)
class Delivery:
    status: str  # pending | sending | sent | failed
    sent_at: datetime | None
    last_error: str | None


async def deliveries(session: AsyncSession, message_ids: list[int]) -> dict[int, Delivery]:
    """Where each of these messages is (campaigns show it per recipient); a deleted message is absent."""
    result: dict[int, Delivery] = {}
    for start in range(0, len(message_ids), 500):
        rows = await session.execute(
            select(
                OutboxMessage.id, OutboxMessage.status, OutboxMessage.sent_at, OutboxMessage.last_error
            ).where(OutboxMessage.id.in_(message_ids[start : start + 500]))
        )
        for message_id, status, sent_at, error in rows.tuples():
            result[message_id] = Delivery(status, sent_at, error)
    return result


async def status_counts(session: AsyncSession, message_ids: Any) -> dict[str, int]:
    """How many of these messages (a subquery of their ids) are in each status, in one grouped query."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.id.in_(message_ids))
        .group_by(OutboxMessage.status)
    )
    return dict(rows.tuples().all())


async def withdraw_pending(session: AsyncSession, message_ids: list[int]) -> set[int]:
    """Take back messages no sender has picked up yet (a cancelled campaign); returns those withdrawn."""
    withdrawn: set[int] = set()
    for start in range(0, len(message_ids), 500):
        gone = await session.scalars(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids[start : start + 500]), OutboxMessage.status == "pending")
            .returning(OutboxMessage.id)
        )
        withdrawn.update(gone.all())
    return withdrawn
