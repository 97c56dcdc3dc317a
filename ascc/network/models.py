"""The year-round network: who chose to stay in the directory between editions, the record of those
choices, meetings requested outside the conference days, and what was carried over into a new edition."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

if TYPE_CHECKING:  # relationships resolve by name; domains do not import each other's models
    from ascc.accounts.models import User

CHOICES = ("join", "leave")
CHOSEN_VIA = ("registration", "account")
# requested -> accepted (one of the proposed times) | declined; either side may cancel before it ends.
MEETING_STATUSES = ("requested", "accepted", "declined", "cancelled")
CARRIED_KINDS = ("need", "solution")


class NetworkMember(Base):
    """A participant's own choice to stay in the network (and so to keep their data past retention).

    Leaving sets `left_at`; the row stays as the record of the choice and its dates.
    """

    __tablename__ = "network_member"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    headline: Mapped[str] = mapped_column(String(300), default="")  # a line under the name in the directory
    interests: Mapped[str] = mapped_column(Text, default="")
    # The member's own time zone: proposed meeting times are typed and shown in it.
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")


class NetworkChoice(Base):
    """Every join and leave with its date and where it was made: the record of consent over time."""

    __tablename__ = "network_choice"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(5))  # join | leave
    via: Mapped[str] = mapped_column(String(12))  # registration | account
    chosen_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class NetworkMeeting(Base):
    """An online meeting between two members outside the conference days: up to three proposed times,
    the one the other member accepted, and the room both open through a signed link."""

    __tablename__ = "network_meeting"
    __table_args__ = (Index("ix_network_meeting_status", "status"),)

    # Bumped on every write: two answers at once cannot both win; it is also the invitation's SEQUENCE.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}

    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    slot_1_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    slot_2_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    slot_3_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="requested")
    chosen_slot: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    room_token: Mapped[str] = mapped_column(String(32), unique=True)  # the online room's unguessable name
    requester_joined_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    recipient_joined_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="raise")
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="raise")

    @property
    def slots(self) -> list[datetime]:
        return [s for s in (self.slot_1_at, self.slot_2_at, self.slot_3_at) if s is not None]

    @property
    def held(self) -> bool:
        """Both people opened the room."""
        return self.requester_joined_at is not None and self.recipient_joined_at is not None

    def other(self, user_id: int) -> int:
        return self.recipient_id if user_id == self.requester_id else self.requester_id

    def expired(self, now: datetime) -> bool:
        """A request whose proposed times have all passed: nobody can accept it any more."""
        return self.status == "requested" and all(s <= now for s in self.slots)

    def shown_status(self, now: datetime) -> str:
        """The status as people read it: an expired request is not "requested" any more."""
        return "expired" if self.expired(now) else self.status


class CarriedOver(Base):
    """A need or solution of an earlier edition copied into a later one (the original stays where it was)."""

    __tablename__ = "network_carried_over"
    __table_args__ = (UniqueConstraint("kind", "source_id", "edition_id", name="uq_network_carried_over"),)

    kind: Mapped[str] = mapped_column(String(10))  # need | solution
    source_id: Mapped[int] = mapped_column(Integer)
    copy_id: Mapped[int] = mapped_column(Integer)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
