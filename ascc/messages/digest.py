"""The daily digest: one mail per person with messages unread for more than DIGEST_AFTER, naming who wrote
and how many (never what: the message stays on the platform). Sent by a periodic loop of the worker.

Never twice for the same messages: each conversation keeps, per person, the last message a digest announced
(`low_mailed_id` / `high_mailed_id`). A round locks each person (id order) and moves those markers with a
compare-and-set in the transaction that queues the mail: however many workers run the loop, a message is
announced once, and a person gets at most one digest per DIGEST_EVERY.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.db import rows_changed
from ascc.editions import services as editions
from ascc.mail import services as mail
from ascc.messages.models import Conversation, Message, MessageDigest

log = logging.getLogger("ascc.messages.digest")

DIGEST_AFTER = timedelta(hours=4)  # unread this long: the person has not been on the platform since
DIGEST_EVERY = timedelta(hours=24)  # at most one digest a day per person


def _waiting(cutoff: datetime) -> tuple[Any, Any]:
    """(conversation, recipient, message) of messages unread and not yet announced, older than the cutoff."""
    low_side = and_(
        Message.sender_id == Conversation.person_high,
        Message.id > Conversation.low_read_id,
        Message.id > Conversation.low_mailed_id,
    )
    high_side = and_(
        Message.sender_id == Conversation.person_low,
        Message.id > Conversation.high_read_id,
        Message.id > Conversation.high_mailed_id,
    )
    return or_(low_side, high_side), Message.created_at <= cutoff


async def _pending(
    session: AsyncSession, edition_id: int, only: int | None = None
) -> dict[int, dict[int, tuple]]:
    """recipient -> conversation id -> (count, last message id, sender id)."""
    cutoff = clock.now() - DIGEST_AFTER
    condition, old_enough = _waiting(cutoff)
    query = (
        select(
            Conversation.id,
            Conversation.person_low,
            Conversation.person_high,
            Message.sender_id,
            func.count(Message.id),
            func.max(Message.id),
        )
        .join(Message, Message.conversation_id == Conversation.id)
        .where(Conversation.edition_id == edition_id, condition, old_enough)
        .group_by(Conversation.id, Conversation.person_low, Conversation.person_high, Message.sender_id)
    )
    if only is not None:
        query = query.where(or_(Conversation.person_low == only, Conversation.person_high == only))
    found: dict[int, dict[int, tuple]] = defaultdict(dict)
    for cid, low, high, sender, count, last in (await session.execute(query)).tuples():
        recipient = high if sender == low else low
        if only is None or recipient == only:
            found[recipient][cid] = (count, last, sender)
    return found


async def _digested_recently(session: AsyncSession, user_id: int) -> bool:
    last = await session.scalar(select(MessageDigest.sent_at).where(MessageDigest.user_id == user_id))
    return last is not None and last > clock.now() - DIGEST_EVERY


async def _stamp(session: AsyncSession, user_id: int) -> None:
    now = clock.now()
    found = await session.scalar(select(MessageDigest).where(MessageDigest.user_id == user_id))
    if found is None:
        session.add(MessageDigest(user_id=user_id, sent_at=now, created_at=now))
    else:
        found.sent_at = now


async def send_digests(session: AsyncSession, edition_id: int, base_url: str) -> int:
    """Queue the digests due now (one per person); returns how many. The caller commits."""
    sent = 0
    for recipient in sorted(await _pending(session, edition_id)):
        await locks.lock_people(session, recipient)
        # Read again under the person's lock: another worker may have announced them meanwhile.
        waiting = (await _pending(session, edition_id, only=recipient)).get(recipient, {})
        if not waiting:
            continue
        person = await accounts.get_users(session, [recipient])
        if not person or await _digested_recently(session, recipient):
            continue
        moved = 0
        for cid, (_count, last, _) in sorted(waiting.items()):
            moved += await rows_changed(
                session,
                update(Conversation)
                .where(
                    Conversation.id == cid,
                    Conversation.person_low == recipient,
                    Conversation.low_mailed_id < last,
                )
                .values(low_mailed_id=last)
                .execution_options(synchronize_session=False),
            )
            moved += await rows_changed(
                session,
                update(Conversation)
                .where(
                    Conversation.id == cid,
                    Conversation.person_high == recipient,
                    Conversation.high_mailed_id < last,
                )
                .values(high_mailed_id=last)
                .execution_options(synchronize_session=False),
            )
        if not moved:
            continue
        senders = {
            u.id: u for u in await accounts.get_users(session, sorted({v[2] for v in waiting.values()}))
        }
        lines = [
            {"name": senders[s].display_name, "count": n}
            for n, _last, s in sorted(waiting.values(), key=lambda v: -v[0])
            if s in senders
        ]
        total = sum(v[0] for v in waiting.values())
        who = person[0]
        await mail.queue_mail(
            session,
            to=who.email,
            name=who.name_latin,
            lang=who.preferred_lang,
            kind="messages_digest",
            context={
                "name": who.name_latin,
                "senders": lines,
                "total": total,
                "link": f"{base_url}/messages",
                "subject_params": {"count": total},
            },
        )
        await _stamp(session, recipient)
        sent += 1
    await session.flush()
    return sent


async def run_periodic(
    session_maker: Callable[[], AsyncSession],
    base_url: str,
    stop: asyncio.Event,
    every_seconds: float = 600.0,
) -> None:
    """Background loop of one worker: the digests that are due, every ten minutes."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        if stop.is_set():
            return
        try:
            async with session_maker() as session:
                edition = await editions.current(session)
                if edition is not None:
                    count = await send_digests(session, edition.id, base_url)
                    await session.commit()
                    if count:
                        log.info("message digests queued: %d", count)
        except Exception:  # the loop must survive a database hiccup
            log.exception("message digest round failed")
