"""Business matching: sessions of slots and tables, profiles, availability, meeting requests and meetings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

if TYPE_CHECKING:  # relationships resolve by name; domains do not import each other's models
    from ascc.accounts.models import User

PRIORITIES = ("must", "would_like")
PRIORITY_WEIGHT = {"must": 3.0, "would_like": 1.0}  # a must-meet is worth three would-like-to-meets
FORMATS = ("in_person", "online", "hybrid")
# requested -> accepted (waits for a slot) -> scheduled -> held | no_show; or declined / cancelled.
STATUSES = ("requested", "accepted", "scheduled", "held", "no_show", "declined", "cancelled")
OPEN_STATUSES = ("requested", "accepted", "scheduled")  # still open: not a second one between the same two
_OPEN_SQL = "status IN ('requested', 'accepted', 'scheduled')"
OUTCOMES = ("not_held", "informative", "cooperation_possible", "follow_up")
FOLLOW_UPS = ("none", "in_contact", "feasibility_study", "pilot", "contract", "dropped")
FOLLOW_UP_MONTHS = (3, 6, 12)
# Which categories may ask whom, by default: cities meet companies and development banks, and the two meet.
DEFAULT_PAIRS = (
    ("city_official", "company"),
    ("city_official", "international"),
    ("company", "international"),
    ("city_official", "academia"),
)


class MatchingSettings(Base):
    __tablename__ = "matching_settings"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), unique=True)
    # [["city_official", "company"], ...]: either side may ask the other.
    allowed_pairs: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    meeting_limit: Mapped[int] = mapped_column(Integer, default=12)  # open meetings per person
    instant: Mapped[bool] = mapped_column(Boolean, default=True)  # accepting may pick a slot at once
    video_base_url: Mapped[str] = mapped_column(String(300), default="https://meet.jit.si/")
    requests_open: Mapped[bool] = mapped_column(Boolean, default=True)


class MatchingSession(Base):
    """A block of meeting slots on one day (e.g. 13:30-17:00, 25-minute slots, 5-minute breaks)."""

    __tablename__ = "matching_session"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    slot_minutes: Mapped[int] = mapped_column(Integer, default=25)
    break_minutes: Mapped[int] = mapped_column(Integer, default=5)
    tables: Mapped[int] = mapped_column(Integer, default=0)  # numbered 1..tables
    location_en: Mapped[str] = mapped_column(String(300), default="")
    location_ja: Mapped[str] = mapped_column(String(300), default="")
    online_rooms: Mapped[int] = mapped_column(Integer, default=0)

    slots: Mapped[list[MatchingSlot]] = relationship(
        back_populates="session",
        lazy="raise",
        order_by="MatchingSlot.starts_at",
        cascade="all, delete-orphan",
    )


class MatchingSlot(Base):
    __tablename__ = "matching_slot"

    session_id: Mapped[int] = mapped_column(ForeignKey("matching_session.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    session: Mapped[MatchingSession] = relationship(back_populates="slots", lazy="raise")


class MatchingProfile(Base):
    """What a person offers and looks for, and how many meetings they want."""

    __tablename__ = "matching_profile"
    __table_args__ = (UniqueConstraint("edition_id", "user_id", name="uq_matching_profile"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    offers: Mapped[str] = mapped_column(Text, default="")
    seeks: Mapped[str] = mapped_column(Text, default="")
    meeting_limit: Mapped[int | None] = mapped_column(Integer)  # None: the edition's limit
    formats: Mapped[list[str]] = mapped_column(JSON, default=list)  # formats they accept; empty: any


class AvailabilityBlock(Base):
    """A time a person set aside themselves (besides what their agenda, talks and tours block)."""

    __tablename__ = "matching_block"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    note: Mapped[str] = mapped_column(String(200), default="")


class Meeting(Base):
    """A request and, once accepted, the meeting: one row from the first message to the outcome."""

    __tablename__ = "meeting"
    __table_args__ = (
        # One place holds one meeting per slot; the database refuses a second, whatever the race.
        UniqueConstraint("slot_id", "place", "place_number", name="uq_meeting_place"),
        Index("ix_meeting_edition_status", "edition_id", "status"),
        # One open request or meeting between two people, whoever asked whom: A->B and B->A sent at once
        # lock different people, so the database decides.
        Index(
            "uq_meeting_open_pair",
            "edition_id",
            "person_low",
            "person_high",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    # Bumped on every write: of two people changing one meeting at once, the second is told, not ignored.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # The two people in id order (set on insert), for the one-open-per-pair index.
    person_low: Mapped[int] = mapped_column(Integer)
    person_high: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(12), default="would_like")
    format: Mapped[str] = mapped_column(String(10), default="in_person")
    status: Mapped[str] = mapped_column(String(10), default="requested")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(Text, default="")  # the reason of a decline, a note with an answer
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    proposed_slot_id: Mapped[int | None] = mapped_column(ForeignKey("matching_slot.id", ondelete="SET NULL"))
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("matching_slot.id", ondelete="SET NULL"), index=True
    )
    place: Mapped[str | None] = mapped_column(String(5))  # "table" | "room" once scheduled
    place_number: Mapped[int | None] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # "schedule all" leaves it where it is
    room_token: Mapped[str] = mapped_column(String(32), unique=True)  # the online room's unguessable name
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    interpreter: Mapped[str] = mapped_column(String(200), default="")
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))  # the first party's
    # When each party was there (checked in at the table, or said in their feedback that it took place): the
    # meeting is held once both were (matching.tracking), or when an organizer marks it.
    requester_checked_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    recipient_checked_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="raise")
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="raise")
    slot: Mapped[MatchingSlot | None] = relationship(foreign_keys=[slot_id], lazy="raise")
    proposed_slot: Mapped[MatchingSlot | None] = relationship(foreign_keys=[proposed_slot_id], lazy="raise")

    @property
    def weight(self) -> float:
        return PRIORITY_WEIGHT.get(self.priority, 1.0)

    def other(self, user_id: int) -> int:
        return self.recipient_id if user_id == self.requester_id else self.requester_id


@event.listens_for(Meeting, "before_insert")
def _order_pair(_mapper: Any, _connection: Any, meeting: Meeting) -> None:
    meeting.person_low, meeting.person_high = sorted((meeting.requester_id, meeting.recipient_id))


class MeetingSeat(Base):
    """A person's seat in a slot: the unique (slot, person) makes double booking impossible, even in a race."""

    __tablename__ = "meeting_seat"
    __table_args__ = (UniqueConstraint("slot_id", "user_id", name="uq_meeting_seat"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("matching_slot.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))


class MeetingFeedback(Base):
    __tablename__ = "meeting_feedback"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_meeting_feedback"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(24))
    follow_up: Mapped[list[str]] = mapped_column(JSON, default=list)  # feasibility_study, pilot, contract
    note: Mapped[str] = mapped_column(Text, default="")


class FollowUp(Base):
    """The organizers' check 3, 6 and 12 months on: did the match become a study, a pilot, a contract?"""

    __tablename__ = "meeting_follow_up"
    __table_args__ = (UniqueConstraint("meeting_id", "month", name="uq_meeting_follow_up"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    month: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class ScheduleRun(Base):
    """One "schedule all": its progress while it runs, its figures and the meetings it left out afterwards."""

    __tablename__ = "matching_run"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(40), default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # capacity picture, scheduled, weight, bound, proven_optimal, method, seconds, left_out: [{id, reason}]
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
