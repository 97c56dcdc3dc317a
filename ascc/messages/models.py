"""Messages between two participants of an edition who agreed to meet: one conversation per pair and
edition, its messages, blocks between people, and reports that let organizers read a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

if TYPE_CHECKING:  # relationships resolve by name; domains do not import each other's models
    from ascc.accounts.models import User


class Conversation(Base):
    """The two people in id order, and for each of them the last message read and the last one a digest
    mail announced (message ids): unread = the other's messages after the first."""

    __tablename__ = "message_conversation"
    # One conversation per pair and edition: two first messages sent at once from both sides end in one.
    __table_args__ = (UniqueConstraint("edition_id", "person_low", "person_high", name="uq_message_pair"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    person_low: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    person_high: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    low_read_id: Mapped[int] = mapped_column(Integer, default=0)
    high_read_id: Mapped[int] = mapped_column(Integer, default=0)
    low_mailed_id: Mapped[int] = mapped_column(Integer, default=0)
    high_mailed_id: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    low: Mapped[User] = relationship(foreign_keys=[person_low], lazy="raise")
    high: Mapped[User] = relationship(foreign_keys=[person_high], lazy="raise")

    def other(self, user_id: int) -> int:
        return self.person_high if user_id == self.person_low else self.person_low

    def other_person(self, user_id: int) -> User:
        return self.high if user_id == self.person_low else self.low

    def read_id(self, user_id: int) -> int:
        return self.low_read_id if user_id == self.person_low else self.high_read_id


class Message(Base):
    __tablename__ = "message"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("message_conversation.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)


class MessageBlock(Base):
    """A person stopped another from writing to them (and does not write to them either, until unblocking).

    `last_message_id`: the last message between the two when the block took effect (nothing after it)."""

    __tablename__ = "message_block"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id", name="uq_message_block"),)

    blocker_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    blocked_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)


class MessageReport(Base):
    """A party reported the conversation: from then on organizers may read it (each reading is audited)."""

    __tablename__ = "message_report"
    __table_args__ = (UniqueConstraint("conversation_id", "reporter_id", name="uq_message_report"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("message_conversation.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed


class MessageDigest(Base):
    """When a person was last sent the digest of unread messages (at most one a day)."""

    __tablename__ = "message_digest"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
