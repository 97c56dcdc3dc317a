"""The rules of online attendance: who may watch and take part, streams, questions, polls, announcements,
heartbeats and the figures organizers read. Live delivery (server-sent events) is in live.py."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import locks
from ascc.audit import services as audit
from ascc.db import insert_ignoring_duplicates
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.online import links, providers
from ascc.online.models import (
    Announcement,
    LiveQuestion,
    LiveSettings,
    Poll,
    PollVote,
    QuestionVote,
    Stream,
    ViewingMinute,
)
from ascc.programme import services as programme
from ascc.registration import services as registration
from ascc.text import FieldError, clean_block, clean_line, collect, optional_line

QUESTION_MAX = 500  # characters: a question, not a speech
QUESTIONS_PER_PERSON = 10  # per session: enough to take part, not enough to flood the moderators
MODERATION = ("approve", "answer", "hide", "pending")
POLL_OPTIONS = (2, 8)
HEARTBEAT_GAP = 3  # minutes: a gap this short (a throttled background tab, a reconnect) is filled
LIVE_MARGIN = timedelta(minutes=30)  # heartbeats count from this long before the start to after the end
STREAM_MARGIN = timedelta(minutes=15)  # the stream plays from this long before the start to after the end
ANNOUNCEMENT_MINUTES = (1, 240)

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


# --- who may take part ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What one person may do in one session's online side."""

    user_id: int
    attendee: bool  # a confirmed participant of the edition (or an organizer or the session's speaker)
    moderator: bool  # organizers and the session's moderators
    on_stage: bool  # organizers and everyone speaking in the session (the speaker view)
    registration_mode: str | None
    interpretation: str | None  # the channel asked for at registration (ja | en)


async def viewer(session: AsyncSession, edition_id: int, user: Any, session_id: int) -> Viewer:
    reg = await registration.my_registration(session, edition_id, user.id)
    confirmed = reg is not None and reg.status == "confirmed"
    roles = await programme.roles_in(session, user.id, session_id)
    organizer = user.role == "organizer"
    return Viewer(
        user_id=user.id,
        attendee=organizer or confirmed or bool(roles),
        moderator=organizer or "moderator" in roles,
        on_stage=organizer or bool(roles),
        registration_mode=reg.mode if confirmed and reg is not None else None,
        interpretation=reg.interpretation if reg is not None and reg.interpretation in ("ja", "en") else None,
    )


def require_attendee(who: Viewer) -> None:
    if not who.attendee:
        raise DomainError("error.online_needs_registration", "not_registered", status=403)


def require_moderator(who: Viewer) -> None:
    if not who.moderator:
        raise DomainError("error.online_moderators_only", "forbidden", status=403)


def require_on_stage(who: Viewer) -> None:
    if not who.on_stage:
        raise DomainError("error.online_speakers_only", "forbidden", status=403)


# --- streams and the session's online settings ----------------------------------------------------------


async def streams_of(session: AsyncSession, session_id: int) -> list[Stream]:
    rows = await session.scalars(select(Stream).where(Stream.session_id == session_id))
    return sorted(rows.all(), key=lambda s: providers.CHANNELS.index(s.channel))


async def channels_by_session(
    session: AsyncSession, session_ids: list[int] | None = None
) -> dict[int, list[str]]:
    """Which language channels each session streams (what pages may say publicly: never the addresses)."""
    statement = select(Stream.session_id, Stream.channel)
    if session_ids is not None:
        statement = statement.where(Stream.session_id.in_(session_ids))
    found: dict[int, list[str]] = defaultdict(list)
    for session_id, channel in (await session.execute(statement)).all():
        found[session_id].append(channel)
    return {k: sorted(v, key=providers.CHANNELS.index) for k, v in found.items()}


async def save_streams(
    session: AsyncSession,
    session_id: int,
    urls: dict[str, str],
    actor: audit.Actor | None = None,
    edition_id: int | None = None,
    label: str = "",
) -> list[Stream]:
    """Set every channel's address at once; an empty address removes that channel. All or nothing.

    The audit log keeps which channels stream from which provider, never the addresses themselves."""
    errors: dict = {}
    wanted: dict[str, tuple[str, str]] = {}
    for channel in providers.CHANNELS:
        url = clean_line(urls.get(channel))
        if not url:
            continue
        try:
            wanted[channel] = (providers.classify(url), url)
        except providers.BadStreamUrl as exc:
            errors[f"stream_{channel}"] = (exc.reason, {})
    if errors:
        raise ValidationFailed(errors)
    existing = {s.channel: s for s in await streams_of(session, session_id)}
    before = {c: existing[c].provider if c in existing else None for c in providers.CHANNELS}
    old_urls = {channel: stream.url for channel, stream in existing.items()}
    for channel, stream in existing.items():
        if channel not in wanted:
            await session.delete(stream)
    for channel, (provider, url) in wanted.items():
        stream = existing.get(channel) or Stream(session_id=session_id, channel=channel)
        stream.provider, stream.url = provider, url
        session.add(stream)
    await session.flush()
    after: dict[str, str | None] = {c: None for c in providers.CHANNELS}
    for channel, (provider, url) in wanted.items():
        moved = channel in old_urls and old_urls[channel] != url
        after[channel] = f"{provider} (new address)" if moved else provider
    await audit.record(
        session, actor, "online.streams", "session", session_id, label, before, after, edition_id
    )
    return await streams_of(session, session_id)


async def settings_of(session: AsyncSession, session_id: int) -> LiveSettings:
    found = await session.scalar(select(LiveSettings).where(LiveSettings.session_id == session_id))
    return found or LiveSettings(session_id=session_id, qa_open=True, qa_moderated=True)


async def save_settings(
    session: AsyncSession,
    session_id: int,
    qa_open: bool,
    qa_moderated: bool,
    actor: audit.Actor | None = None,
    edition_id: int | None = None,
    label: str = "",
) -> LiveSettings:
    settings = await settings_of(session, session_id)
    before = audit.snapshot(settings, ("qa_open", "qa_moderated"))
    settings.qa_open, settings.qa_moderated = qa_open, qa_moderated
    session.add(settings)
    await session.flush()
    await audit.record(
        session,
        actor,
        "online.settings",
        "session",
        session_id,
        label,
        before=before,
        after=audit.snapshot(settings, ("qa_open", "qa_moderated")),
        edition_id=edition_id,
    )
    return settings


def choose_channel(available: list[str], wanted: str | None, lang: str, interpretation: str | None) -> str:
    """The channel to play: the viewer's last choice, else the interpretation they registered for, else
    their page language, else the floor."""
    for candidate in (wanted, interpretation, lang, "floor"):
        if candidate in available:
            return candidate
    return available[0]


def stream_open(item: Any, now: datetime) -> bool:
    return item.starts_at - STREAM_MARGIN <= now <= item.ends_at + STREAM_MARGIN


def stream_link(secret: str, stream: Stream, user_id: int, now: datetime) -> str:
    """The path of a signed link to a stream (relative: the player fetches it from the page's own origin)."""
    return f"/online/go/{links.sign(secret, 'stream', stream.id, user_id, now.timestamp())}"


def room_link(secret: str, meeting_id: int, user_id: int, now: datetime) -> str:
    return f"/online/go/{links.sign(secret, 'room', meeting_id, user_id, now.timestamp())}"


async def stream_by_id(session: AsyncSession, stream_id: int) -> Stream | None:
    return await session.get(Stream, stream_id)


# --- questions ------------------------------------------------------------------------------------------


def language_of(text: str) -> str:
    return "ja" if _JAPANESE.search(text) else "en"


async def ask(
    session: AsyncSession,
    who: Viewer,
    session_id: int,
    body: str | None,
    anonymous: bool,
    author: str,
    item: Any = None,
    now: datetime | None = None,
) -> LiveQuestion:
    """A question; with the published `item` and `now`, only until a quarter of an hour after its end."""
    require_attendee(who)
    settings = await settings_of(session, session_id)
    over = item is not None and now is not None and now > item.ends_at + STREAM_MARGIN
    if not settings.qa_open or over:
        raise DomainError("error.qa_closed", "qa_closed", field="body", status=409)
    errors: dict = {}
    text = clean_block(body)
    if not text:
        errors["body"] = ("error.required", {})
    elif len(text) > QUESTION_MAX:
        errors["body"] = ("error.too_long", {"max": QUESTION_MAX})
    if errors:
        raise ValidationFailed(errors)
    await locks.lock_people(session, who.user_id)  # then counted: 25 questions sent at once stop at the limit
    asked = await session.scalar(
        select(func.count())
        .select_from(LiveQuestion)
        .where(LiveQuestion.session_id == session_id, LiveQuestion.user_id == who.user_id)
    )
    if (asked or 0) >= QUESTIONS_PER_PERSON:
        raise DomainError(
            "error.too_many_questions", "too_many", field="body", status=429, max=QUESTIONS_PER_PERSON
        )
    question = LiveQuestion(
        session_id=session_id,
        user_id=who.user_id,
        author=author[:300],
        anonymous=anonymous,
        body=text,
        language=language_of(text),
        status="pending" if settings.qa_moderated else "approved",
        answer="",
        votes=0,
    )
    session.add(question)
    await session.flush()
    return question


async def get_question(session: AsyncSession, question_id: int) -> LiveQuestion:
    question = await session.get(LiveQuestion, question_id, populate_existing=True)
    if question is None:
        raise NotFound("question")
    return question


async def questions_of(session: AsyncSession, session_id: int, who: Viewer | None) -> list[LiveQuestion]:
    """What a person sees: approved and answered questions by votes; moderators also pending and hidden;
    everyone also their own questions still waiting for a moderator."""
    statement = select(LiveQuestion).where(LiveQuestion.session_id == session_id)
    if who is None or not who.moderator:
        visible = LiveQuestion.status.in_(("approved", "answered"))
        if who is not None:
            visible = visible | ((LiveQuestion.user_id == who.user_id) & (LiveQuestion.status == "pending"))
        statement = statement.where(visible)
    rows = (await session.scalars(statement)).all()
    ranks = MODERATOR_RANKS if who is not None and who.moderator else AUDIENCE_RANKS
    return sorted(rows, key=lambda q: (ranks[q.status], -q.votes, q.id))


# Open questions first, most votes first, older first among equals; answered ones after (the page's
# script keeps the same order live). Moderators see what waits for them first, hidden ones last.
AUDIENCE_RANKS = {"pending": 0, "approved": 0, "answered": 1, "hidden": 2}
MODERATOR_RANKS = {"pending": 0, "approved": 1, "answered": 2, "hidden": 3}


async def my_votes(session: AsyncSession, user_id: int, session_id: int) -> set[int]:
    rows = await session.scalars(
        select(QuestionVote.question_id)
        .join(LiveQuestion, LiveQuestion.id == QuestionVote.question_id)
        .where(QuestionVote.user_id == user_id, LiveQuestion.session_id == session_id)
    )
    return set(rows.all())


async def vote(session: AsyncSession, who: Viewer, question_id: int) -> tuple[LiveQuestion, bool]:
    """An upvote; a second one by the same person changes nothing. Returns the question and whether it counted."""
    require_attendee(who)
    question = await get_question(session, question_id)
    if question.status not in ("approved", "answered"):
        raise DomainError("error.question_not_open", "not_open", status=409)
    now = datetime.now(UTC)
    added = await session.scalar(
        insert_ignoring_duplicates(session, QuestionVote)
        .values(question_id=question_id, user_id=who.user_id, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["question_id", "user_id"])
        .returning(QuestionVote.id)
    )
    if added is not None:
        # Counted in the row itself, atomically: two votes at once both count, on both databases.
        await session.execute(
            update(LiveQuestion).where(LiveQuestion.id == question_id).values(votes=LiveQuestion.votes + 1)
        )
    return await get_question(session, question_id), added is not None


async def unvote(session: AsyncSession, who: Viewer, question_id: int) -> LiveQuestion:
    require_attendee(who)
    if (await get_question(session, question_id)).status not in ("approved", "answered"):
        raise DomainError("error.question_not_open", "not_open", status=409)
    removed = await session.scalar(
        delete(QuestionVote)
        .where(QuestionVote.question_id == question_id, QuestionVote.user_id == who.user_id)
        .returning(QuestionVote.id)
    )
    if removed is not None:
        await session.execute(
            update(LiveQuestion).where(LiveQuestion.id == question_id).values(votes=LiveQuestion.votes - 1)
        )
    return await get_question(session, question_id)


async def moderate(
    session: AsyncSession,
    who: Viewer,
    question_id: int,
    action: str,
    answer: str | None,
    now: datetime,
    actor: audit.Actor | None = None,
) -> LiveQuestion:
    """approve (show to everyone), answer (mark answered, optionally with a written answer), hide, pending."""
    require_moderator(who)
    question = await get_question(session, question_id)
    errors: dict = {}
    if action not in MODERATION:
        errors["action"] = ("error.choice_invalid", {})
    text = collect(errors, _optional_answer, "answer", answer)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(question, ("status", "answer"))
    question.status = {"approve": "approved", "answer": "answered", "hide": "hidden", "pending": "pending"}[
        action
    ]
    if text is not None:
        question.answer = text
    question.moderated_by, question.moderated_at = who.user_id, now
    await session.flush()
    await audit.record(
        session,
        actor,
        "online.moderate",
        "qa_question",
        question.id,
        f"question #{question.id}",  # the question is the participant's own text: not copied into the log
        before=before,
        after=audit.snapshot(question, ("status", "answer")),
    )
    return question


def _optional_answer(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = clean_block(value)
    if len(text) > 2000:
        raise FieldError(field, "error.too_long", max=2000)
    return text


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


# --- viewing time ----------------------------------------------------------------------------------------


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def heartbeat(
    session: AsyncSession, who: Viewer, item: Any, channel: str | None, now: datetime
) -> tuple[bool, int]:
    """The watch page is open now. Counts the minute (once, however many tabs), fills a short gap since the
    last heartbeat (browsers slow timers in background tabs; networks drop), and only while the session is
    on (from half an hour before to half an hour after). Returns (counted, minutes watched so far)."""
    require_attendee(who)
    counted = item.starts_at - LIVE_MARGIN <= now <= item.ends_at + LIVE_MARGIN
    if counted:
        minute = _minute(now)
        last = await session.scalar(
            select(func.max(ViewingMinute.minute)).where(
                ViewingMinute.session_id == item.id, ViewingMinute.user_id == who.user_id
            )
        )
        first = minute
        if last is not None and timedelta(0) < minute - last <= timedelta(minutes=HEARTBEAT_GAP):
            first = last + timedelta(minutes=1)
        span = int((minute - first).total_seconds() // 60) + 1
        stamp = datetime.now(UTC)
        rows = [
            {
                "session_id": item.id,
                "user_id": who.user_id,
                "minute": first + timedelta(minutes=i),
                "channel": channel if channel in providers.CHANNELS else "floor",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for i in range(span)
        ]
        await session.execute(
            insert_ignoring_duplicates(session, ViewingMinute)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["session_id", "user_id", "minute"])
        )
    watched = await session.scalar(
        select(func.count())
        .select_from(ViewingMinute)
        .where(ViewingMinute.session_id == item.id, ViewingMinute.user_id == who.user_id)
    )
    return counted, watched or 0


async def viewers_per_minute(session: AsyncSession, session_id: int) -> dict[datetime, int]:
    rows = await session.execute(
        select(ViewingMinute.minute, func.count())
        .where(ViewingMinute.session_id == session_id)
        .group_by(ViewingMinute.minute)
    )
    return {minute: count for minute, count in rows.tuples().all()}


@dataclass(frozen=True)
class Watcher:
    user_id: int
    name: str
    organization: str
    mode: str
    minutes: int
    first: datetime
    last: datetime


async def watchers(session: AsyncSession, edition_id: int, session_id: int) -> list[Watcher]:
    """Everyone who watched, with their minutes, most first."""
    rows = (
        await session.execute(
            select(
                ViewingMinute.user_id,
                func.count(),
                func.min(ViewingMinute.minute),
                func.max(ViewingMinute.minute),
            )
            .where(ViewingMinute.session_id == session_id)
            .group_by(ViewingMinute.user_id)
        )
    ).all()
    regs = await registration.registrations_of(session, edition_id, [r[0] for r in rows])
    found = []
    for user_id, count, first, last in rows:
        reg = regs.get(user_id)
        found.append(
            Watcher(
                user_id=user_id,
                name=reg.user.name_latin if reg else f"#{user_id}",
                organization=(reg.organization.name_en if reg and reg.organization else ""),
                mode=reg.mode if reg else "",
                minutes=count,
                first=first,
                last=last + timedelta(minutes=1),
            )
        )
    return sorted(found, key=lambda w: (-w.minutes, w.name))


@dataclass(frozen=True)
class SessionFigures:
    session_id: int
    viewers: int  # different people who watched
    peak: int  # most people watching in one minute
    minutes: int  # summed viewing minutes
    questions: int


async def figures(session: AsyncSession, session_ids: list[int]) -> dict[int, SessionFigures]:
    if not session_ids:
        return {}
    per_minute = (
        select(ViewingMinute.session_id, ViewingMinute.minute, func.count().label("n"))
        .where(ViewingMinute.session_id.in_(session_ids))
        .group_by(ViewingMinute.session_id, ViewingMinute.minute)
        .subquery()
    )
    peaks = dict(
        (
            await session.execute(
                select(per_minute.c.session_id, func.max(per_minute.c.n)).group_by(per_minute.c.session_id)
            )
        )
        .tuples()
        .all()
    )
    totals = {
        sid: (people, minutes)
        for sid, people, minutes in (
            await session.execute(
                select(
                    ViewingMinute.session_id, func.count(func.distinct(ViewingMinute.user_id)), func.count()
                )
                .where(ViewingMinute.session_id.in_(session_ids))
                .group_by(ViewingMinute.session_id)
            )
        ).all()
    }
    asked = dict(
        (
            await session.execute(
                select(LiveQuestion.session_id, func.count())
                .where(LiveQuestion.session_id.in_(session_ids))
                .group_by(LiveQuestion.session_id)
            )
        )
        .tuples()
        .all()
    )
    return {
        sid: SessionFigures(
            sid, totals.get(sid, (0, 0))[0], peaks.get(sid, 0), totals.get(sid, (0, 0))[1], asked.get(sid, 0)
        )
        for sid in session_ids
    }


# --- now and next ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NowAndNext:
    live: list[Any]
    next: list[Any]


def now_and_next(items: Any, now: datetime, limit: int = 6) -> NowAndNext:
    """Sessions on now, and the next ones to start (the soonest first)."""
    open_items = [i for i in items if i.status != "cancelled"]
    live = [i for i in open_items if i.starts_at <= now < i.ends_at]
    upcoming = sorted((i for i in open_items if i.starts_at > now), key=lambda i: (i.starts_at, i.id))
    return NowAndNext(live=live, next=upcoming[:limit])


async def forget_author(session: AsyncSession, user_id: int) -> None:
    """The person is being anonymized: their questions no longer carry their name (the text stays, unnamed)."""
    await session.execute(update(LiveQuestion).where(LiveQuestion.user_id == user_id).values(author=""))
