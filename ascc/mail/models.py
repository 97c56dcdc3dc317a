"""The outbox: every message is stored here first, then delivered by SMTP when it is configured."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(2), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # While a sender holds a message it is "sending" until this time; after it, another sender may retry.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # A calendar invitation sent with the text (see ical.invitation_payload), or None.
    invitation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # An HTML alternative of body_text (escaped by whoever wrote it), or None: plain text only.
    body_html: Mapped[str | None] = mapped_column(Text)
    # Extra headers from smtp.EXTRA_HEADERS (List-Unsubscribe ...), or None.
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
