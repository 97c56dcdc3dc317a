"""Editions of the conference (one a year) and the rooms of their venue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

EDITION_STATUSES = ("draft", "registration_open", "live", "closed")


class Edition(Base):
    __tablename__ = "edition"
    __table_args__ = (
        # At most one edition is current; the database enforces it, not only the service.
        Index(
            "uq_edition_one_current",
            "is_current",
            unique=True,
            sqlite_where=text("is_current = 1"),
            postgresql_where=text("is_current"),
        ),
    )

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    venue_name_en: Mapped[str] = mapped_column(String(200), default="")
    venue_name_ja: Mapped[str] = mapped_column(String(200), default="")
    venue_address_en: Mapped[str] = mapped_column(String(300), default="")
    venue_address_ja: Mapped[str] = mapped_column(String(300), default="")
    theme_en: Mapped[str | None] = mapped_column(String(300))
    theme_ja: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # The edition's dates beside the conference days (ascc.editions.phases): whole days where the conference
    # is. Registration opens at 00:00 of its first day and closes at 24:00 of its last; meeting requests close
    # at 24:00 of their last day (unset: the conference's last day). Unset registration dates: no date limit.
    registration_opens_on: Mapped[date | None] = mapped_column(Date)
    registration_closes_on: Mapped[date | None] = mapped_column(Date)
    meeting_requests_close_on: Mapped[date | None] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="edition", lazy="raise", order_by="Room.sort_order", cascade="all, delete-orphan"
    )


class Room(Base):
    __tablename__ = "room"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ja: Mapped[str] = mapped_column(String(120))
    floor: Mapped[str | None] = mapped_column(String(40))
    capacity: Mapped[int | None] = mapped_column(Integer)
    hybrid: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    edition: Mapped[Edition] = relationship(back_populates="rooms", lazy="raise")
