"""Marketplace rows. Text that people search is also kept folded in `search_text` (see search.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

if TYPE_CHECKING:  # relationships resolve by name; domains do not import each other's models
    from ascc.accounts.models import User
    from ascc.organizations.models import Organization

EXHIBITOR_KINDS = ("company", "public_body")
# draft: the exhibitor edits; submitted: waits for an organizer; approved: public; rejected: back to them.
EXHIBITOR_STATUSES = ("draft", "submitted", "approved", "rejected")
BUDGET_BANDS = ("under_1m", "1m_10m", "10m_50m", "over_50m")
TIMELINES = ("within_1_year", "1_3_years", "over_3_years")
FINANCING = ("city_budget", "jica", "adb", "world_bank", "jcm", "ppp", "other")
NEED_STATUSES = ("open", "closed")


class Hall(Base):
    """An exhibition hall: the floor plan's frame, in metres."""

    __tablename__ = "exhibition_hall"
    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_exhibition_hall_code"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


class Exhibitor(Base):
    __tablename__ = "exhibitor"
    # updated_at indexed: the newest change keys the cached directory results (directory.version).
    __table_args__ = (
        UniqueConstraint("edition_id", "organization_id", name="uq_exhibitor_organization"),
        Index("ix_exhibitor_updated_at", "updated_at"),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="company")
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200), default="")
    home_city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str | None] = mapped_column(String(300))
    video_url: Mapped[str | None] = mapped_column(String(300))
    logo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    review_note: Mapped[str | None] = mapped_column(Text)  # the organizer's reason when sending it back
    submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # The booth, assigned by organizers: a rectangle on a hall's floor plan, in metres.
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_hall.id", ondelete="SET NULL"))
    booth_number: Mapped[str | None] = mapped_column(String(10))
    booth_x: Mapped[int | None] = mapped_column(Integer)
    booth_y: Mapped[int | None] = mapped_column(Integer)
    booth_w: Mapped[int | None] = mapped_column(Integer)
    booth_h: Mapped[int | None] = mapped_column(Integer)
    search_title: Mapped[str] = mapped_column(Text, default="")  # folded names: hits here rank first
    search_text: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship(lazy="raise")
    hall: Mapped[Hall | None] = relationship(lazy="raise")
    solutions: Mapped[list[Solution]] = relationship(
        back_populates="exhibitor", lazy="raise", order_by="Solution.id", cascade="all, delete-orphan"
    )


class ExhibitorStaff(Base):
    """Who works for an exhibitor. One exhibitor per person and edition; admins invite the others."""

    __tablename__ = "exhibitor_staff"
    __table_args__ = (UniqueConstraint("edition_id", "user_id", name="uq_exhibitor_staff_person"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="raise")


class StaffInvite(Base):
    __tablename__ = "exhibitor_invite"

    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="invited")  # invited | accepted | revoked


class Solution(Base):
    __tablename__ = "solution"
    __table_args__ = (Index("ix_solution_updated_at", "updated_at"),)

    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_ja: Mapped[str] = mapped_column(String(200), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_ja: Mapped[str] = mapped_column(Text, default="")
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    sdgs: Mapped[list[str]] = mapped_column(JSON, default=list)  # goals ("6") and targets ("6.3")
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    reference_projects_en: Mapped[str] = mapped_column(Text, default="")
    reference_projects_ja: Mapped[str] = mapped_column(Text, default="")
    brochure_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    brochure_url: Mapped[str | None] = mapped_column(String(300))
    search_title: Mapped[str] = mapped_column(Text, default="")  # folded names: hits here rank first
    search_text: Mapped[str] = mapped_column(Text, default="")

    exhibitor: Mapped[Exhibitor] = relationship(back_populates="solutions", lazy="raise")
    partners: Mapped[list[PackagePartner]] = relationship(
        lazy="raise", order_by="PackagePartner.id", cascade="all, delete-orphan"
    )

    @property
    def is_package(self) -> bool:
        return bool(self.partners)


class PackagePartner(Base):
    """Another company's part in a package solution (as Yokohama and Kitakyushu present them)."""

    __tablename__ = "solution_partner"

    solution_id: Mapped[int] = mapped_column(ForeignKey("solution.id", ondelete="CASCADE"), index=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    role_en: Mapped[str] = mapped_column(String(300), default="")
    role_ja: Mapped[str] = mapped_column(String(300), default="")

    exhibitor: Mapped[Exhibitor] = relationship(lazy="raise")


class Need(Base):
    """A city's need, posted by one of its officials: what business matching tries to answer."""

    __tablename__ = "city_need"
    __table_args__ = (Index("ix_city_need_updated_at", "updated_at"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_ja: Mapped[str] = mapped_column(String(200), default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    sdgs: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget_band: Mapped[str | None] = mapped_column(String(20))
    timeline: Mapped[str | None] = mapped_column(String(20))
    financing: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="open")
    search_title: Mapped[str] = mapped_column(Text, default="")  # folded names: hits here rank first
    search_text: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")


class Lead(Base):
    """An attendee whose badge an exhibitor scanned, stored only because the attendee opted in to scanning.

    Withdrawn leads keep their row (so a new scan by the same exhibitor is refused) but lose the notes.
    """

    __tablename__ = "exhibitor_lead"
    __table_args__ = (UniqueConstraint("exhibitor_id", "user_id", name="uq_exhibitor_lead_person"),)

    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    scanned_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)  # 1-5
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    exhibitor: Mapped[Exhibitor] = relationship(lazy="raise")
