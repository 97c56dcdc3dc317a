"""Polls in a session (drafts, open, closed; one vote per person) and the announcements shown to
everyone watching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import services as audit
from ascc.db import insert_ignoring_duplicates
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.online.models import Announcement, Poll, PollVote
from ascc.online.services import Viewer, require_attendee, require_moderator
from ascc.text import clean_line, collect, optional_line

POLL_OPTIONS = (2, 8)
ANNOUNCEMENT_MINUTES = (1, 240)


# --- polls -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollView:
    poll: Poll
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def share(self, index: int) -> int:
        return round(100 * self.counts[index] / self.total) if self.total else 0


def poll_options(raw: Any) -> list[dict[str, str]]:
    """Options from the form (one a line, "English | 日本語") or the API (strings or {"en", "ja"})."""
    items = raw.splitlines() if isinstance(raw, str) else list(raw or [])
    options = []
    for item in items:
        if isinstance(item, dict):
            en, ja = clean_line(str(item.get("en") or "")), clean_line(str(item.get("ja") or ""))
        else:
            en, _, ja = clean_line(str(item)).partition("|")
            en, ja = en.strip(), ja.strip()
        if en or ja:
            options.append({"en": (en or ja)[:200], "ja": (ja or en)[:200]})
    return options


async def create_poll(
    session: AsyncSession, who: Viewer, session_id: int, values: dict[str, Any], open_now: bool = True
) -> Poll:
    require_moderator(who)
    errors: dict = {}
    question_en = collect(errors, optional_line, "question_en", values.get("question_en"), 300)
    question_ja = collect(errors, optional_line, "question_ja", values.get("question_ja"), 300)
    if not errors and not (question_en or question_ja):
        errors["question_en"] = ("error.required", {})
    options = poll_options(values.get("options"))
    low, high = POLL_OPTIONS
    if not low <= len(options) <= high:
        errors["options"] = ("error.poll_options", {"low": low, "high": high})
    if errors:
        raise ValidationFailed(errors)
    poll = Poll(
        session_id=session_id,
        question_en=question_en or question_ja or "",
        question_ja=question_ja or question_en or "",
        options=options,
        status="open" if open_now else "draft",
        created_by=who.user_id,
    )
    session.add(poll)
    await session.flush()
    return poll


async def get_poll(session: AsyncSession, poll_id: int) -> Poll:
    poll = await session.get(Poll, poll_id, populate_existing=True)
    if poll is None:
        raise NotFound("poll")
    return poll


async def poll_view(session: AsyncSession, poll: Poll) -> PollView:
    return (await _with_counts(session, [poll]))[0]


async def _with_counts(session: AsyncSession, polls: list[Poll]) -> list[PollView]:
    """Polls with their votes per option, counted in one query for all of them."""
    counts = {poll.id: [0] * len(poll.options) for poll in polls}
    rows = await session.execute(
        select(PollVote.poll_id, PollVote.option, func.count())
        .where(PollVote.poll_id.in_(list(counts)))
        .group_by(PollVote.poll_id, PollVote.option)
    )
    for poll_id, option, count in rows.all():
        if 0 <= option < len(counts[poll_id]):
            counts[poll_id][option] = count
    return [PollView(poll, counts[poll.id]) for poll in polls]


async def polls_of(session: AsyncSession, session_id: int, include_drafts: bool) -> list[PollView]:
    statement = select(Poll).where(Poll.session_id == session_id).order_by(Poll.id.desc())
    if not include_drafts:
        statement = statement.where(Poll.status != "draft")
    return await _with_counts(session, list((await session.scalars(statement)).all()))


async def my_poll_votes(session: AsyncSession, user_id: int, session_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(PollVote.poll_id, PollVote.option)
        .join(Poll, Poll.id == PollVote.poll_id)
        .where(PollVote.user_id == user_id, Poll.session_id == session_id)
    )
    return dict(rows.tuples().all())


async def vote_in_poll(session: AsyncSession, who: Viewer, poll_id: int, option: Any) -> PollView:
    """One vote a person; a second one is refused (409) and the first stands."""
    require_attendee(who)
    poll = await get_poll(session, poll_id)
    if poll.status != "open":
        raise DomainError("error.poll_closed", "poll_closed", status=409)
    try:
        index = int(option)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < len(poll.options):
        raise ValidationFailed({"option": ("error.choice_invalid", {})})
    now = datetime.now(UTC)
    added = await session.scalar(
        insert_ignoring_duplicates(session, PollVote)
        .values(poll_id=poll_id, user_id=who.user_id, option=index, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["poll_id", "user_id"])
        .returning(PollVote.id)
    )
    if added is None:
        raise DomainError("error.poll_voted", "already_voted", field="option", status=409)
    return await poll_view(session, poll)


async def set_poll_status(session: AsyncSession, who: Viewer, poll_id: int, status: str) -> Poll:
    require_moderator(who)
    if status not in ("draft", "open", "closed"):
        raise ValidationFailed({"status": ("error.choice_invalid", {})})
    poll = await get_poll(session, poll_id)
    poll.status = status
    await session.flush()
    return poll


# --- announcements ---------------------------------------------------------------------------------------


async def announce(
    session: AsyncSession,
    edition_id: int,
    user_id: int,
    values: dict[str, str],
    now: datetime,
    actor: audit.Actor | None = None,
) -> Announcement:
    errors: dict = {}
    text_en = collect(errors, optional_line, "text_en", values.get("text_en"), 300)
    text_ja = collect(errors, optional_line, "text_ja", values.get("text_ja"), 300)
    if not errors and not (text_en or text_ja):
        errors["text_en"] = ("error.required", {})
    low, high = ANNOUNCEMENT_MINUTES
    try:
        minutes = int(values.get("minutes") or 15)
    except ValueError:
        minutes = 0
    if not low <= minutes <= high:
        errors["minutes"] = ("error.number_range", {"min": low, "max": high})
    if errors:
        raise ValidationFailed(errors)
    item = Announcement(
        edition_id=edition_id,
        text_en=text_en or text_ja or "",
        text_ja=text_ja or text_en or "",
        shown_from=now,
        shown_until=now + timedelta(minutes=minutes),
        created_by=user_id,
    )
    session.add(item)
    await session.flush()
    await audit.record(
        session,
        actor,
        "online.announce",
        "announcement",
        item.id,
        item.text_en[:120],
        after=audit.snapshot(item, ANNOUNCEMENT_FIELDS),
        edition_id=edition_id,
    )
    return item


ANNOUNCEMENT_FIELDS = ("text_en", "text_ja", "shown_from", "shown_until")


async def current_announcement(session: AsyncSession, edition_id: int, now: datetime) -> Announcement | None:
    return await session.scalar(
        select(Announcement)
        .where(
            Announcement.edition_id == edition_id,
            Announcement.shown_from <= now,
            Announcement.shown_until > now,
        )
        .order_by(Announcement.shown_from.desc(), Announcement.id.desc())
        .limit(1)
    )


async def recent_announcements(session: AsyncSession, edition_id: int) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.edition_id == edition_id)
        .order_by(Announcement.shown_from.desc(), Announcement.id.desc())
        .limit(20)
    )
    return list(rows.all())


async def withdraw(
    session: AsyncSession,
    edition_id: int,
    announcement_id: int,
    now: datetime,
    actor: audit.Actor | None = None,
) -> None:
    item = await session.get(Announcement, announcement_id)
    if item is None or item.edition_id != edition_id:
        raise NotFound("announcement")
    before = audit.snapshot(item, ("shown_until",))
    item.shown_until = min(item.shown_until, now)
    await session.flush()
    await audit.record(
        session,
        actor,
        "online.withdraw",
        "announcement",
        item.id,
        item.text_en[:120],
        before=before,
        after=audit.snapshot(item, ("shown_until",)),
        edition_id=edition_id,
    )
