"""Tables of the privacy domain: retention rules and their runs, privacy-notice versions and acceptances."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base


class RetentionRule(Base):
    """How long one class of data is kept (its unit is fixed per class in privacy.rules). A class without a
    row keeps its default period."""

    __tablename__ = "privacy_retention_rule"

    data_class: Mapped[str] = mapped_column(String(40), unique=True)
    period: Mapped[int] = mapped_column()


class RetentionRun(Base):
    """One application of the rules (or a dry run): what each class removed, or why it was refused."""

    __tablename__ = "privacy_retention_run"

    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(300), default="system")
    # [{"data_class", "period", "unit", "count", "status": done|dry_run|refused|failed, "message", "params"}]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)


class NoticeVersion(Base):
    """A published version of the privacy notice, in both languages. The newest effective one is current."""

    __tablename__ = "privacy_notice_version"

    version: Mapped[str] = mapped_column(String(20), unique=True)  # as registrations record it, e.g. "2024-1"
    body_en: Mapped[str] = mapped_column(Text)
    body_ja: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column(Date)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class NoticeAcceptance(Base):
    """A signed-in person read and accepted one version (registering also counts, see services)."""

    __tablename__ = "privacy_notice_acceptance"
    __table_args__ = (UniqueConstraint("user_id", "notice_id", name="uq_privacy_notice_acceptance"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("privacy_notice_version.id", ondelete="CASCADE"), index=True
    )
    accepted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    source: Mapped[str] = mapped_column(String(20), default="notice")  # notice | registration
