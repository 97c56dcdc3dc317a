"""Certificates of attendance: one per person and edition, the organizer's threshold, and the "your certificate
is ready" mailings (a background job with its progress)."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

DEFAULT_ONLINE_MINUTES = 60
REVOKE_REASONS = ("error", "misconduct", "duplicate", "request", "other")


class Certificate(Base):
    """Issued on first download (or by the mailing). One per registration: two downloads at once make one row."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("registration_id", name="uq_certificate_registration"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    # Unguessable: the verify address carries it (with its signature), never the primary key.
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
    revoked_note: Mapped[str | None] = mapped_column(String(300))


class CertificateSettings(Base):
    """The edition's rule for online attendees: this many minutes watched make one eligible."""

    __tablename__ = "certificate_settings"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), unique=True)
    online_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_ONLINE_MINUTES)


class CertificateMailing(Base):
    """ "Your certificate is ready" to everyone eligible, sent in the background; each person is mailed once
    (Certificate.notified_at, set by a conditional update), however many mailings run."""

    __tablename__ = "certificate_mailing"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
