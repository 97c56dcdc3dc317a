"""Tours, their courses, bookings (seats live in the capacity service) and ranked preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

MODES = ("fcfs", "ballot")  # first come, first served | preference ballot


class Tour(Base):
    __tablename__ = "tour"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(10))  # "A", "B"
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(10), default="fcfs")
    ballot_deadline: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    city_cap: Mapped[int | None] = mapped_column(Integer)  # at most this many of one city in a course
    keep_delegations: Mapped[bool] = mapped_column(Boolean, default=True)
    id_retention_days: Mapped[int] = mapped_column(Integer, default=14)  # ID numbers deleted after the tour
    # The last allocation: its seed (published, so anyone can re-run it) and when its results went out.
    allocation_seed: Mapped[str | None] = mapped_column(String(64))
    allocation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    allocated_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    courses: Mapped[list[Course]] = relationship(
        back_populates="tour", lazy="raise", order_by="Course.sort_order", cascade="all, delete-orphan"
    )


class Course(Base):
    __tablename__ = "tour_course"

    tour_id: Mapped[int] = mapped_column(ForeignKey("tour.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(10))  # "A1"
    theme_en: Mapped[str] = mapped_column(String(200))
    theme_ja: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    departs_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    returns_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    meeting_point_en: Mapped[str] = mapped_column(String(300), default="")
    meeting_point_ja: Mapped[str] = mapped_column(String(300), default="")
    seats: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every category
    invitation_only: Mapped[bool] = mapped_column(Boolean, default=False)  # organizers book people in
    requires_id: Mapped[bool] = mapped_column(Boolean, default=False)  # the facility needs ID numbers
    accessibility_en: Mapped[str] = mapped_column(Text, default="")
    accessibility_ja: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    tour: Mapped[Tour] = relationship(back_populates="courses", lazy="raise")


class Booking(Base):
    """A person on a course: seat or waiting place (capacity service), ID data, and the roll-call mark."""

    __tablename__ = "tour_booking"
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_tour_booking"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("tour_course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once cancelled
    id_document: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted (Fernet), never shown in pages
    present: Mapped[bool | None] = mapped_column(Boolean)  # roll-call: True present, False no-show
    marked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class Preference(Base):
    __tablename__ = "tour_preference"
    __table_args__ = (UniqueConstraint("tour_id", "user_id", "rank", name="uq_tour_preference_rank"),)

    tour_id: Mapped[int] = mapped_column(ForeignKey("tour.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("tour_course.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)  # 1 = most wanted
