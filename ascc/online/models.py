"""Streams, the online side of a session, live questions and polls, announcements and viewing minutes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base


class Stream(Base):
    """One language channel of a session's stream: floor, Japanese or English.

    The URL is the provider's (a YouTube or Vimeo page, an HLS playlist, or a meeting link). It never
    leaves the server in a page or the public API: viewers get a short-lived signed link to it.
    """

    __tablename__ = "online_stream"
    __table_args__ = (UniqueConstraint("session_id", "channel", name="uq_online_stream_channel"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(5))  # floor | ja | en
    provider: Mapped[str] = mapped_column(String(10))  # youtube | vimeo | hls | external
    url: Mapped[str] = mapped_column(String(1000))


class LiveSettings(Base):
    """The online side of one session: Q&A open or closed, questions moderated first or shown at once."""

    __tablename__ = "online_session"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), unique=True
    )
    qa_open: Mapped[bool] = mapped_column(Boolean, default=True)
    qa_moderated: Mapped[bool] = mapped_column(Boolean, default=True)  # False: questions show at once


class LiveQuestion(Base):
    __tablename__ = "live_question"
    __table_args__ = (Index("ix_live_question_session", "session_id", "status"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(300), default="")  # name · organization, kept as asked
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="en")
    status: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending | approved | answered | hidden
    answer: Mapped[str] = mapped_column(Text, default="")
    votes: Mapped[int] = mapped_column(Integer, default=0)
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class QuestionVote(Base):
    __tablename__ = "live_question_vote"
    __table_args__ = (UniqueConstraint("question_id", "user_id", name="uq_live_question_vote"),)

    question_id: Mapped[int] = mapped_column(ForeignKey("live_question.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))


class Poll(Base):
    __tablename__ = "live_poll"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    question_en: Mapped[str] = mapped_column(String(300))
    question_ja: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"en": ..., "ja": ...}]
    status: Mapped[str] = mapped_column(String(10), default="open")  # draft | open | closed
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class PollVote(Base):
    __tablename__ = "live_poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "user_id", name="uq_live_poll_vote"),)

    poll_id: Mapped[int] = mapped_column(ForeignKey("live_poll.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    option: Mapped[int] = mapped_column(Integer)


class Announcement(Base):
    """A banner organizers push to online attendees ("the VLR panel starts in 5 minutes")."""

    __tablename__ = "live_announcement"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    text_en: Mapped[str] = mapped_column(String(300))
    text_ja: Mapped[str] = mapped_column(String(300))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("programme_session.id", ondelete="SET NULL"))
    shown_from: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    shown_until: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class ViewingMinute(Base):
    """A minute in which a person had a session's watch page open (one row however many heartbeats)."""

    __tablename__ = "viewing_minute"
    __table_args__ = (UniqueConstraint("session_id", "user_id", "minute", name="uq_viewing_minute"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    minute: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    channel: Mapped[str] = mapped_column(String(5), default="floor")
