"""Session feedback: participants rate a session that ended (1–5) and may comment; organizers moderate.

Who may rate (kept simple, on what the programme itself knows):
- a person with a confirmed registration for the session's edition,
- registered in person: the session is in their agenda (saved or signed up; saving it afterwards counts);
  registered online: any session that was streamed (format online or hybrid),
- from the session's end (conference time, `ascc.clock`) until the end of the edition's last day plus
  FEEDBACK_DAYS, in the edition's zone.

One rating per person and session: the unique index uq_programme_feedback decides, and `rate` writes with
`INSERT … ON CONFLICT DO UPDATE`, so two submissions at the same moment leave one row (the later values).
A changed comment goes back to "pending"; speakers see only approved comments, and only once a session has
MIN_RATINGS ratings, so that no single rater can be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, db
from ascc.audit import services as audit
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.programme.models import AgendaEntry, ProgrammeSession, SessionFeedback, Track
from ascc.programme.schedule import Item
from ascc.programme.services import Programme, published_item, speaking_ids
from ascc.registration import services as registration

FEEDBACK_DAYS = 14  # after the edition's last day
MIN_RATINGS = 3  # speakers see results only from this many ratings on
COMMENT_MAX = 2000
MODERATION = ("approved", "hidden")


@dataclass(frozen=True)
class Summary:
    count: int
    average: float | None  # None without ratings

    @property
    def shown_to_speakers(self) -> bool:
        return self.count >= MIN_RATINGS


def last_day(programme: Programme) -> date:
    """The last day (in the edition's zone) on which feedback is taken."""
    return programme.edition.ends_on + timedelta(days=FEEDBACK_DAYS)


def closes_at(programme: Programme) -> datetime:
    next_day = last_day(programme) + timedelta(days=1)
    return datetime.combine(next_day, time(0), ZoneInfo(programme.edition.timezone))


async def refusal(
    session: AsyncSession, user_id: int, programme: Programme, item: Item
) -> DomainError | None:
    """Why this person may not rate this session now, or None."""
    if item.status == "cancelled":
        return DomainError("error.session_cancelled", "cancelled", status=409)
    now = clock.now()
    if now < item.ends_at:
        return DomainError("error.feedback_not_yet", "not_over", status=409)
    if now >= closes_at(programme):
        return DomainError("error.feedback_closed", "closed", status=409)
    mine = await registration.my_registration(session, programme.edition.id, user_id)
    if mine is None or mine.status != "confirmed":
        return DomainError("error.feedback_needs_registration", "not_registered", status=403)
    if mine.mode == "online":
        if item.format == "in_person":
            return DomainError("error.feedback_not_attended", "not_attended", status=403)
        return None
    saved = await session.scalar(
        select(AgendaEntry.id).where(AgendaEntry.user_id == user_id, AgendaEntry.session_id == item.id)
    )
    return None if saved else DomainError("error.feedback_not_attended", "not_attended", status=403)


def _checked(rating: Any, comment: str) -> tuple[int, str]:
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    try:
        value = int(str(rating).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        errors["rating"] = ("error.feedback_rating", {})
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = ("error.too_long", {"max": COMMENT_MAX})
    if errors:
        raise ValidationFailed(errors)
    return value, comment


async def rate(
    session: AsyncSession, user_id: int, programme: Programme, session_id: int, rating: Any, comment: str = ""
) -> SessionFeedback:
    """Store (or change) this person's rating of the session; the row as stored."""
    item = published_item(programme, session_id)
    value, text = _checked(rating, comment)
    refused = await refusal(session, user_id, programme, item)
    if refused is not None:
        raise refused
    now = clock.now()
    table = SessionFeedback.__table__
    statement = db.insert_ignoring_duplicates(session, SessionFeedback).values(
        session_id=session_id,
        edition_id=programme.edition.id,
        user_id=user_id,
        rating=value,
        comment=text,
        comment_status="pending" if text else "none",
        created_at=now,
        updated_at=now,
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["session_id", "user_id"],
        set_={
            "rating": excluded.rating,
            "comment": excluded.comment,
            # An unchanged comment keeps its moderation; a new one waits for it again.
            "comment_status": case(
                (table.c.comment == excluded.comment, table.c.comment_status), else_=excluded.comment_status
            ),
            "updated_at": excluded.updated_at,
        },
    )
    await session.execute(statement)
    row = await session.scalar(
        select(SessionFeedback)
        .where(SessionFeedback.session_id == session_id, SessionFeedback.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None  # written just now
    return row


async def mine_for(session: AsyncSession, user_id: int, session_id: int) -> SessionFeedback | None:
    return await session.scalar(
        select(SessionFeedback).where(
            SessionFeedback.session_id == session_id, SessionFeedback.user_id == user_id
        )
    )


async def my_feedback(session: AsyncSession, user_id: int, edition_id: int) -> list[SessionFeedback]:
    rows = await session.scalars(
        select(SessionFeedback)
        .where(SessionFeedback.user_id == user_id, SessionFeedback.edition_id == edition_id)
        .order_by(SessionFeedback.session_id)
    )
    return list(rows.all())


async def summaries(session: AsyncSession, edition_id: int) -> dict[int, Summary]:
    """Session id -> count and average of its ratings (one grouped query)."""
    rows = await session.execute(
        select(SessionFeedback.session_id, func.count(), func.avg(SessionFeedback.rating))
        .where(SessionFeedback.edition_id == edition_id)
        .group_by(SessionFeedback.session_id)
    )
    return {sid: Summary(count, round(float(avg), 2)) for sid, count, avg in rows.tuples()}


async def track_summaries(session: AsyncSession, edition_id: int) -> list[tuple[Track | None, Summary]]:
    """Per track (None: sessions without one): count and average of all its sessions' ratings."""
    rows = await session.execute(
        select(ProgrammeSession.track_id, func.count(), func.avg(SessionFeedback.rating))
        .join(ProgrammeSession, ProgrammeSession.id == SessionFeedback.session_id)
        .where(SessionFeedback.edition_id == edition_id)
        .group_by(ProgrammeSession.track_id)
    )
    found = [(tid, Summary(count, round(float(avg), 2))) for tid, count, avg in rows.tuples()]
    tracks = {
        t.id: t
        for t in await session.scalars(
            select(Track).where(Track.id.in_([tid for tid, _ in found if tid is not None]))
        )
    }
    return sorted(
        ((tracks.get(tid) if tid is not None else None, s) for tid, s in found),
        key=lambda pair: (
            pair[0] is None,
            pair[0].sort_order if pair[0] else 0,
            pair[0].id if pair[0] else 0,
        ),
    )


async def comments(
    session: AsyncSession, edition_id: int, session_ids: list[int] | None = None, status: str | None = None
) -> list[SessionFeedback]:
    """Comments (not empty ones) of the edition, or of these sessions, with this moderation status."""
    query = select(SessionFeedback).where(
        SessionFeedback.edition_id == edition_id, SessionFeedback.comment != ""
    )
    if session_ids is not None:
        query = query.where(SessionFeedback.session_id.in_(session_ids))
    if status is not None:
        query = query.where(SessionFeedback.comment_status == status)
    rows = await session.scalars(query.order_by(SessionFeedback.session_id, SessionFeedback.id))
    return list(rows.all())


async def moderate(
    session: AsyncSession, edition_id: int, feedback_id: int, status: str, actor: audit.Actor | None = None
) -> SessionFeedback:
    """Approve or hide a comment; the audit log keeps who decided (the comment itself is not copied there)."""
    if status not in MODERATION:
        raise ValidationFailed({"status": ("error.feedback_moderation_choice", {})})
    row = await session.get(SessionFeedback, feedback_id)
    if row is None or row.edition_id != edition_id or not row.comment:
        raise NotFound("feedback")
    before = {"comment_status": row.comment_status}
    row.comment_status = status
    await audit.record(
        session,
        actor,
        "programme.feedback_moderate",
        "session_feedback",
        row.id,
        f"session {row.session_id}",
        before=before,
        after={"comment_status": status},
        edition_id=edition_id,
    )
    await session.flush()
    return row


@dataclass(frozen=True)
class SpeakerResult:
    session_id: int
    summary: Summary
    comments: list[str]  # approved only, and only once the summary is shown


async def speaker_results(session: AsyncSession, user_id: int, edition_id: int) -> list[SpeakerResult]:
    """What a speaker sees of their own sessions: nothing below MIN_RATINGS ratings, approved comments only."""
    mine = sorted(await speaking_ids(session, user_id, edition_id))
    if not mine:
        return []
    counted = await summaries(session, edition_id)
    approved = await comments(session, edition_id, mine, status="approved")
    results = []
    for sid in mine:
        summary = counted.get(sid, Summary(0, None))
        shown = [c.comment for c in approved if c.session_id == sid] if summary.shown_to_speakers else []
        results.append(SpeakerResult(sid, summary, shown))
    return results


# --- a person's data ---------------------------------------------------------------------------------------


async def export_of(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(SessionFeedback).where(SessionFeedback.user_id == user_id).order_by(SessionFeedback.id)
    )
    return [
        {
            "session_id": r.session_id,
            "rating": r.rating,
            "comment": r.comment,
            "comment_status": r.comment_status,
            "rated_at": r.updated_at.isoformat(),
        }
        for r in rows
    ]


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """Keep the ratings for the averages, without the person; the comments go."""
    rows = await session.scalars(select(SessionFeedback).where(SessionFeedback.user_id == user_id))
    for row in rows:
        row.user_id, row.comment, row.comment_status = None, "", "none"
    await session.flush()
