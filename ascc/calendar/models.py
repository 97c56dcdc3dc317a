"""Personal calendar feeds and what each feed last said about each item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base


class CalendarFeed(Base):
    """A person's secret feed address. Rotating replaces the token; revoking clears it (the URL then 404s)."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)


class CalendarEntry(Base):
    """One item of a person's feed as calendars last saw it.

    Calendars need a stable UID, a SEQUENCE that grows with every change and a LAST-MODIFIED, and an item
    that left the plan must stay a while as STATUS:CANCELLED so calendars that imported it drop it. The
    entry keeps the item's last content for that. It belongs to the person, not to the token, so rotating
    the address changes nothing a calendar has.
    """

    __tablename__ = "calendar_entry"
    __table_args__ = (UniqueConstraint("user_id", "uid", name="uq_calendar_entry"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    item: Mapped[dict[str, Any]] = mapped_column(JSON)
