"""Messages between participants: who may write to whom, sending, reading (and so the unread counts),
blocking and reporting, and the organizers' reading of a reported conversation.

May message: two people with an accepted meeting request or a meeting between them in the edition (no cold
messages). One conversation per pair and edition (uq_message_pair). Sending and blocking lock both people in
id order (locks.lock_people) before checking the block, the rate limit and the conversation: a block and a
message sent at the same moment run one after the other, so no message gets past a block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.db import insert_ignoring_duplicates
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.matching import meetings as matching_meetings
from ascc.messages.models import Conversation, Message, MessageBlock, MessageDigest, MessageReport
from ascc.text import clean_block, collect, optional_block

BODY_MAX = 2000
REASON_MAX = 1000
RATE_WINDOW = timedelta(minutes=10)
RATE_LIMIT = 30  # messages a person may send in RATE_WINDOW, to everyone together
PAGE_MESSAGES = 200  # the latest messages a conversation page shows


@dataclass(frozen=True)
class ConversationRow:
    """A conversation as the list shows it to one of its two people."""

    conversation: Conversation
    other_id: int
    other_name: str
    unread: int
    last_body: str
    reported: bool


def _pair(a: int, b: int) -> tuple[int, int]:
    low, high = sorted((a, b))
    return low, high


def check_body(values: dict[str, Any]) -> str:
    """The message's text: required, at most BODY_MAX characters once cleaned (control characters,
    invisible spaces and direction overrides go; ZWJ emoji, scripts and line breaks stay)."""
    errors: dict = {}
    body = collect(errors, optional_block, "body", values.get("body"), BODY_MAX)
    if not errors and not body:
        errors["body"] = ("error.required", {})
    if errors:
        raise ValidationFailed(errors)
    return str(body)


async def may_message(session: AsyncSession, edition_id: int, a: int, b: int) -> bool:
    return a != b and await matching_meetings.agreed_between(session, edition_id, a, b)


async def blocks_between(session: AsyncSession, a: int, b: int) -> list[MessageBlock]:
    rows = await session.scalars(
        select(MessageBlock).where(
            or_(
                and_(MessageBlock.blocker_id == a, MessageBlock.blocked_id == b),
                and_(MessageBlock.blocker_id == b, MessageBlock.blocked_id == a),
            )
        )
    )
    return list(rows.all())


def _refuse_blocked(blocks: list[MessageBlock], sender_id: int) -> None:
    if any(b.blocker_id == sender_id for b in blocks):
        raise DomainError("messages.error.you_blocked", "blocked", field="body", status=403)
    if blocks:
        raise DomainError("messages.error.blocked_by", "blocked", field="body", status=403)


async def find_conversation(session: AsyncSession, edition_id: int, a: int, b: int) -> Conversation | None:
    low, high = _pair(a, b)
    return await session.scalar(
        select(Conversation)
        .where(
            Conversation.edition_id == edition_id,
            Conversation.person_low == low,
            Conversation.person_high == high,
        )
        .options(joinedload(Conversation.low), joinedload(Conversation.high))
        .execution_options(populate_existing=True)
    )


async def _conversation_for_writing(session: AsyncSession, edition_id: int, a: int, b: int) -> Conversation:
    """The pair's conversation, created if it is the first message. The unique index decides between two
    first messages at once (the person locks already make them wait for each other)."""
    found = await find_conversation(session, edition_id, a, b)
    if found is not None:
        return found
    low, high = _pair(a, b)
    now = clock.now()
    await session.execute(
        insert_ignoring_duplicates(session, Conversation)
        .values(
            edition_id=edition_id,
            person_low=low,
            person_high=high,
            low_read_id=0,
            high_read_id=0,
            low_mailed_id=0,
            high_mailed_id=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["edition_id", "person_low", "person_high"])
    )
    found = await find_conversation(session, edition_id, a, b)
    assert found is not None  # inserted above, or by the one who was first
    return found


async def send(
    session: AsyncSession, edition_id: int, sender_id: int, recipient_id: int, values: dict[str, Any]
) -> Message:
    """Send a message; nothing is stored when anything is wrong, and the refusal names the field."""
    body = check_body(values)
    if recipient_id == sender_id:
        raise DomainError("messages.error.self", "self", field="recipient_id", status=422)
    # Both people, in id order: a block, a second message of the same sender, the other's first message all
    # wait here, so the checks below see what they did.
    await locks.lock_people(session, sender_id, recipient_id)
    if not await accounts.is_active(session, recipient_id):
        raise DomainError("messages.error.unknown_person", "unknown_person", field="recipient_id", status=404)
    if not await may_message(session, edition_id, sender_id, recipient_id):
        raise DomainError("messages.error.not_allowed", "not_allowed", field="recipient_id", status=403)
    _refuse_blocked(await blocks_between(session, sender_id, recipient_id), sender_id)
    now = clock.now()
    recent = await session.scalar(
        select(func.count()).where(Message.sender_id == sender_id, Message.created_at > now - RATE_WINDOW)
    )
    if (recent or 0) >= RATE_LIMIT:
        minutes = int(RATE_WINDOW.total_seconds() // 60)
        raise DomainError(
            "messages.error.too_many",
            "rate_limited",
            field="body",
            status=429,
            limit=RATE_LIMIT,
            minutes=minutes,
        )
    conversation = await _conversation_for_writing(session, edition_id, sender_id, recipient_id)
    message = Message(conversation_id=conversation.id, sender_id=sender_id, body=body, created_at=now)
    session.add(message)
    await session.flush()
    conversation.last_message_at = now
    if sender_id == conversation.person_low:  # one's own messages are read
        conversation.low_read_id = message.id
    else:
        conversation.high_read_id = message.id
    await session.flush()
    return message


async def conversation_of(session: AsyncSession, conversation_id: int, user_id: int) -> Conversation:
    """A conversation for one of its two people; anyone else is told it does not exist."""
    found = await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .options(joinedload(Conversation.low), joinedload(Conversation.high))
    )
    if found is None or user_id not in (found.person_low, found.person_high):
        raise NotFound("conversation")
    return found


async def messages_of(
    session: AsyncSession, conversation_id: int, limit: int = PAGE_MESSAGES
) -> list[Message]:
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def mark_read(session: AsyncSession, conversation: Conversation, user_id: int, up_to: int) -> None:
    """The person has seen the messages up to `up_to` (never moves back: two tabs reading at once)."""
    if up_to <= conversation.read_id(user_id):
        return
    column = Conversation.low_read_id if user_id == conversation.person_low else Conversation.high_read_id
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, column < up_to)
        .values({column: up_to})
        .execution_options(synchronize_session=False)
    )
    if user_id == conversation.person_low:
        conversation.low_read_id = up_to
    else:
        conversation.high_read_id = up_to


def _unread_condition(user_id: int) -> Any:
    """Messages of the other person after what `user_id` has read (for a join of Message and Conversation)."""
    return or_(
        and_(
            Conversation.person_low == user_id,
            Message.sender_id == Conversation.person_high,
            Message.id > Conversation.low_read_id,
        ),
        and_(
            Conversation.person_high == user_id,
            Message.sender_id == Conversation.person_low,
            Message.id > Conversation.high_read_id,
        ),
    )


async def unread_counts(session: AsyncSession, edition_id: int, user_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(Conversation.id, func.count(Message.id))
        .join(Message, Message.conversation_id == Conversation.id)
        .where(Conversation.edition_id == edition_id, _unread_condition(user_id))
        .group_by(Conversation.id)
    )
    return dict(rows.tuples().all())


async def unread_total(session: AsyncSession, edition_id: int, user_id: int) -> int:
    return sum((await unread_counts(session, edition_id, user_id)).values())


async def conversations(session: AsyncSession, edition_id: int, user_id: int) -> list[ConversationRow]:
    """A person's conversations in the edition, the latest first, with unread counts and the last message."""
    found = list(
        (
            await session.scalars(
                select(Conversation)
                .where(
                    Conversation.edition_id == edition_id,
                    or_(Conversation.person_low == user_id, Conversation.person_high == user_id),
                )
                .options(joinedload(Conversation.low), joinedload(Conversation.high))
                .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            )
        ).all()
    )
    if not found:
        return []
    ids = [c.id for c in found]
    unread = await unread_counts(session, edition_id, user_id)
    last_ids = (
        select(func.max(Message.id)).where(Message.conversation_id.in_(ids)).group_by(Message.conversation_id)
    )
    last = {
        m.conversation_id: m.body
        for m in await session.scalars(select(Message).where(Message.id.in_(last_ids)))
    }
    reported = set(
        (
            await session.scalars(
                select(MessageReport.conversation_id).where(
                    MessageReport.conversation_id.in_(ids), MessageReport.reporter_id == user_id
                )
            )
        ).all()
    )
    return [
        ConversationRow(
            c,
            c.other(user_id),
            c.other_person(user_id).display_name,
            unread.get(c.id, 0),
            last.get(c.id, ""),
            c.id in reported,
        )
        for c in found
    ]


async def partners_without_conversation(session: AsyncSession, edition_id: int, user_id: int) -> list[Any]:
    """People the person may write to and has not yet: those with whom they agreed to meet."""
    partners = await matching_meetings.agreed_partners(session, edition_id, user_id)
    started = {c.other_id for c in await conversations(session, edition_id, user_id)}
    wanted = sorted(partners - started)
    people = await accounts.get_users(session, wanted)  # active accounts only
    return sorted(people, key=lambda p: p.display_name.casefold())


async def block(
    session: AsyncSession, edition_id: int | None, blocker_id: int, blocked_id: int
) -> MessageBlock:
    """Stop a person from writing; takes effect against a message being sent at the same moment."""
    if blocker_id == blocked_id:
        raise DomainError("messages.error.self", "self", field="user_id", status=422)
    await locks.lock_people(session, blocker_id, blocked_id)
    if not await accounts.is_active(session, blocked_id):
        raise DomainError("messages.error.unknown_person", "unknown_person", field="user_id", status=404)
    low, high = _pair(blocker_id, blocked_id)
    last = await session.scalar(
        select(func.max(Message.id))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.person_low == low, Conversation.person_high == high)
    )
    now = clock.now()
    await session.execute(
        insert_ignoring_duplicates(session, MessageBlock)
        .values(
            blocker_id=blocker_id,
            blocked_id=blocked_id,
            last_message_id=last or 0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["blocker_id", "blocked_id"])
    )
    found = await session.scalar(
        select(MessageBlock).where(
            MessageBlock.blocker_id == blocker_id, MessageBlock.blocked_id == blocked_id
        )
    )
    assert found is not None  # inserted above, or before
    return found


async def unblock(session: AsyncSession, blocker_id: int, blocked_id: int) -> None:
    await locks.lock_people(session, blocker_id, blocked_id)
    await session.execute(
        delete(MessageBlock).where(
            MessageBlock.blocker_id == blocker_id, MessageBlock.blocked_id == blocked_id
        )
    )


async def report(
    session: AsyncSession, conversation_id: int, reporter_id: int, values: dict[str, Any]
) -> MessageReport:
    """A party reports the conversation (a second report replaces the reason): organizers may then read it."""
    conversation = await conversation_of(session, conversation_id, reporter_id)
    errors: dict = {}
    reason = collect(errors, optional_block, "reason", values.get("reason"), REASON_MAX)
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    await session.execute(
        insert_ignoring_duplicates(session, MessageReport)
        .values(
            conversation_id=conversation.id,
            reporter_id=reporter_id,
            reason=reason or "",
            status="open",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "reporter_id"])
    )
    found = await session.scalar(
        select(MessageReport)
        .where(MessageReport.conversation_id == conversation.id, MessageReport.reporter_id == reporter_id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    if reason and found.reason != reason:
        found.reason = reason
    await session.flush()
    return found


# --- Organizers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportedRow:
    conversation: Conversation
    reports: list[MessageReport]
    names: dict[int, str]


async def reported(session: AsyncSession, edition_id: int) -> list[ReportedRow]:
    """Conversations of the edition that a party reported, the latest report first."""
    reports = list(
        (
            await session.scalars(
                select(MessageReport)
                .join(Conversation, Conversation.id == MessageReport.conversation_id)
                .where(Conversation.edition_id == edition_id)
                .order_by(MessageReport.id.desc())
            )
        ).all()
    )
    by_conversation: dict[int, list[MessageReport]] = {}
    for r in reports:
        by_conversation.setdefault(r.conversation_id, []).append(r)
    if not by_conversation:
        return []
    found = {
        c.id: c
        for c in await session.scalars(
            select(Conversation)
            .where(Conversation.id.in_(list(by_conversation)))
            .options(joinedload(Conversation.low), joinedload(Conversation.high))
        )
    }
    return [
        ReportedRow(
            found[cid],
            rs,
            {
                found[cid].person_low: found[cid].low.display_name,
                found[cid].person_high: found[cid].high.display_name,
            },
        )
        for cid, rs in by_conversation.items()
    ]


async def read_reported(
    session: AsyncSession, edition_id: int, conversation_id: int, organizer: audit.Actor
) -> tuple[ReportedRow, list[Message], list[MessageBlock]]:
    """An organizer reads a reported conversation; the reading is audited. Unreported ones do not exist for
    organizers (404): people's messages are private until one of them asks for help."""
    rows = [r for r in await reported(session, edition_id) if r.conversation.id == conversation_id]
    if not rows:
        raise NotFound("conversation")
    row = rows[0]
    c = row.conversation
    await audit.record(
        session,
        organizer,
        "messages.report_read",
        "message_conversation",
        c.id,
        f"{c.low.display_name} ↔ {c.high.display_name}",
        after={"reports": len(row.reports)},
        edition_id=edition_id,
    )
    await session.flush()
    return (
        row,
        await messages_of(session, c.id, limit=1000),
        await blocks_between(session, c.person_low, c.person_high),
    )


# --- Privacy -----------------------------------------------------------------------------------------------------


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """The person's account is forgotten: the messages they wrote, their blocks and reports go."""
    await session.execute(delete(Message).where(Message.sender_id == user_id))
    await session.execute(
        delete(MessageBlock).where(
            or_(MessageBlock.blocker_id == user_id, MessageBlock.blocked_id == user_id)
        )
    )
    await session.execute(delete(MessageReport).where(MessageReport.reporter_id == user_id))
    await session.execute(delete(MessageDigest).where(MessageDigest.user_id == user_id))


async def count_by_edition(session: AsyncSession, edition_ids: Iterable[int]) -> dict[int, int]:
    """Messages per edition among these editions (what the retention rule would delete)."""
    wanted = list(edition_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Conversation.edition_id, func.count(Message.id))
        .join(Message, Message.conversation_id == Conversation.id)
        .where(Conversation.edition_id.in_(wanted))
        .group_by(Conversation.edition_id)
    )
    return dict(rows.tuples().all())


async def purge_editions(session: AsyncSession, edition_ids: Iterable[int]) -> None:
    """Delete the editions' conversations with their messages and reports (the retention rule)."""
    wanted = list(edition_ids)
    if wanted:
        await session.execute(delete(Conversation).where(Conversation.edition_id.in_(wanted)))


async def export_of(session: AsyncSession, user_id: int, with_text: bool = True) -> dict[str, Any]:
    """The person's conversations for their data export: with whom, and every message, theirs or not. Without
    `with_text` (an organizer's copy of the export) each conversation says how many messages, not what."""
    found = (
        await session.scalars(
            select(Conversation)
            .where(or_(Conversation.person_low == user_id, Conversation.person_high == user_id))
            .options(joinedload(Conversation.low), joinedload(Conversation.high))
            .order_by(Conversation.id)
        )
    ).all()
    out: dict[str, Any] = {"conversations": [], "blocked": []}
    for c in found:
        sent = await messages_of(session, c.id, limit=100_000)
        conversation: dict[str, Any] = {
            "edition_id": c.edition_id,
            "with": c.other_person(user_id).display_name,
        }
        if with_text:
            conversation["messages"] = [
                {"from_me": m.sender_id == user_id, "body": m.body, "sent_at": m.created_at.isoformat()}
                for m in sent
            ]
        else:
            conversation["message_count"] = len(sent)
        out["conversations"].append(conversation)
    blocked = await session.scalars(select(MessageBlock).where(MessageBlock.blocker_id == user_id))
    blocked_rows = list(blocked.all())
    names = {
        u.id: u.display_name for u in await accounts.get_users(session, [b.blocked_id for b in blocked_rows])
    }
    out["blocked"] = [names.get(b.blocked_id, "") for b in blocked_rows]
    return out


def plain(value: str) -> str:
    """A message as one line (the list's preview)."""
    return " ".join(clean_block(value).split())
