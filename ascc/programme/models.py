"""Programme rows. Organizers edit these live; the public reads the latest Release's snapshot."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.sql.expression import true as sa_true

from ascc.db import Base
from ascc.programme.schedule import FORMATS, KINDS, LANGUAGES

__all__ = ["FORMATS", "KINDS", "LANGUAGES"]

if TYPE_CHECKING:  # relationships resolve by name; domains do not import each other's models
    from ascc.files.models import StoredFile

SESSION_STATUSES = ("draft", "published", "cancelled")
ROLES = ("speaker", "moderator", "panelist")


class Track(Base):
    __tablename__ = "programme_track"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ja: Mapped[str] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(7), default="#1f6f8b")  # #rrggbb
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Speaker(Base):
    __tablename__ = "programme_speaker"
    __table_args__ = (UniqueConstraint("edition_id", "slug", name="uq_programme_speaker_slug"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))  # Latin script
    name_local: Mapped[str | None] = mapped_column(String(200))
    affiliation_en: Mapped[str] = mapped_column(String(300), default="")
    affiliation_ja: Mapped[str] = mapped_column(String(300), default="")
    position_en: Mapped[str] = mapped_column(String(200), default="")
    position_ja: Mapped[str] = mapped_column(String(200), default="")
    bio_en: Mapped[str] = mapped_column(Text, default="")
    bio_ja: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    photo: Mapped[StoredFile | None] = relationship(lazy="raise")


class ProgrammeSession(Base):
    __tablename__ = "programme_session"
    __table_args__ = (Index("ix_programme_session_edition_start", "edition_id", "starts_at"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    title_en: Mapped[str] = mapped_column(String(300))
    title_ja: Mapped[str] = mapped_column(String(300))
    abstract_en: Mapped[str] = mapped_column(Text, default="")
    abstract_ja: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    track_id: Mapped[int | None] = mapped_column(ForeignKey("programme_track.id", ondelete="SET NULL"))
    sdgs: Mapped[list[str]] = mapped_column(JSON, default=list)  # "11", "6.3" ...
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    floor_language: Mapped[str] = mapped_column(String(2), default="en")
    interpretation: Mapped[list[str]] = mapped_column(JSON, default=list)  # channels besides the floor
    format: Mapped[str] = mapped_column(String(10), default="in_person")
    capacity: Mapped[int | None] = mapped_column(Integer)  # with sign-up; None: open to all
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # The speakers' word on recording the session: "do_not_record" refuses a recording among its materials.
    recording: Mapped[str] = mapped_column(String(16), default="allowed", server_default="allowed")

    people: Mapped[list[SessionPerson]] = relationship(
        lazy="raise", order_by="SessionPerson.sort_order", cascade="all, delete-orphan"
    )
    materials: Mapped[list[Material]] = relationship(
        lazy="raise", order_by="Material.id", cascade="all, delete-orphan"
    )


class SessionPerson(Base):
    __tablename__ = "programme_session_person"
    __table_args__ = (UniqueConstraint("session_id", "speaker_id", name="uq_programme_session_person"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("programme_speaker.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="speaker")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    speaker: Mapped[Speaker] = relationship(lazy="raise")


class Material(Base):
    __tablename__ = "programme_material"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    # The publish window: from the first day to the last day it can be seen (both in the edition's zone).
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)  # last day it can be downloaded
    kind: Mapped[str] = mapped_column(
        String(10), default="slides", server_default="slides"
    )  # slides | recording
    # The speakers' word on this asset: False ("do not publish") keeps it for the organizers only.
    publish_consent: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    file: Mapped[StoredFile | None] = relationship(lazy="raise")


class Release(Base):
    """A published version of the schedule: what the public sees, frozen until the next release."""

    __tablename__ = "programme_release"
    __table_args__ = (UniqueConstraint("edition_id", "version", name="uq_programme_release_version"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(
        DateTimeUTC(timezone=True)
    )  # by the app's clock (ASCC_NOW)
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    snapshot: Mapped[dict[str, Any]] = deferred(mapped_column(JSON))


class ReleaseChange(Base):
    """One line of the public "what changed" list."""

    __tablename__ = "programme_release_change"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("programme_release.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(Integer)  # no foreign key: a removed session stays listed
    change: Mapped[str] = mapped_column(String(10))  # added | changed | cancelled | removed
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # for "changed": time, room, title ...
    # Old and new values (programme.change_details): {"time": {"before": [...], "after": [...]}, ...}, or
    # {"was": ...} for a cancelled or removed session; None for releases published before they were kept.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    title_en: Mapped[str] = mapped_column(String(300))
    title_ja: Mapped[str] = mapped_column(String(300))


class AgendaEntry(Base):
    """A session a person saved to their agenda (signing up for one saves it too)."""

    __tablename__ = "programme_agenda_entry"
    __table_args__ = (UniqueConstraint("user_id", "session_id", name="uq_programme_agenda_entry"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    signed_up: Mapped[bool] = mapped_column(Boolean, default=False)


FEEDBACK_COMMENT_STATUSES = ("none", "pending", "approved", "hidden")


class SessionFeedback(Base):
    """A participant's rating (1–5) of a session that ended, with an optional comment organizers moderate.

    One per person and session (the unique index decides a race; programme.feedback upserts). Forgetting a
    person keeps the rating for the averages, without the person (user_id NULL) and without the comment."""

    __tablename__ = "programme_feedback"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_programme_feedback"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_status: Mapped[str] = mapped_column(String(10), default="none")  # FEEDBACK_COMMENT_STATUSES
