"""Live questions: asking (limited per person), votes, moderation, the order people see them in, and
forgetting an author.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import locks
from ascc.audit import services as audit
from ascc.db import insert_ignoring_duplicates
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.online.models import LiveQuestion, QuestionVote
from ascc.online.services import STREAM_MARGIN, Viewer, require_attendee, require_moderator, settings_of
from ascc.text import FieldError, clean_block, collect

QUESTION_MAX = 500  # characters: a question, not a speech
QUESTIONS_PER_PERSON = 10  # per session: enough to take part, not enough to flood the moderators
MODERATION = ("approve", "answer", "hide", "pending")

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


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
        visible: ColumnElement[bool] = LiveQuestion.status.in_(("approved", "answered"))
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


async def forget_author(session: AsyncSession, user_id: int) -> None:
    """The person is being anonymized: their questions no longer carry their name (the text stays, unnamed)."""
    await session.execute(update(LiveQuestion).where(LiveQuestion.user_id == user_id).values(author=""))
