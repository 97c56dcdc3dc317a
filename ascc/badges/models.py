"""Badges and check-in: the edition's signing key, issued badges, check-ins, and the log of every scan."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

PLACE_TYPES = ("entrance", "session", "tour", "meeting")
RESULTS = ("ok", "duplicate", "revoked", "invalid", "not_booked")
REVOKE_REASONS = ("reissued", "category_changed", "cancelled", "lost", "stolen", "damaged")
# What an organizer chooses when reissuing a badge ("reissued": any other reason, said in the note).
REISSUE_REASONS = ("lost", "stolen", "damaged", "reissued")


class BadgeKey(Base):
    """An edition's Ed25519 key pair, made on first use (unless ASCC_BADGE_KEY names one for all editions)."""

    __tablename__ = "badge_key"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), unique=True)
    # The private key's PEM sealed under ASCC_SECRET_KEY (badges/keystore.py): a database copy mints nothing.
    private_key_sealed: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)


class Badge(Base):
    """One issued code. A registration has at most one badge that is not revoked; reissuing revokes the old."""

    __tablename__ = "badge"
    __table_args__ = (
        # One badge in force per registration: two requests issuing at once cannot both succeed.
        Index(
            "uq_badge_one_active",
            "registration_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(8), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(200))  # the signed text in the QR code
    valid_from: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), index=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))


class RetiredBadgeCode(Base):
    """A short code printed on a badge that was reissued: typed at a door it answers REVOKED, not "unknown",
    so staff know to look at the person (and the new badge), not at a typing mistake."""

    __tablename__ = "retired_badge_code"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(9))
    reason: Mapped[str] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_retired_badge_code"),)


class CheckIn(Base):
    """A person counted at a place once: the entrance once a day, a session, a tour bus, a meeting."""

    __tablename__ = "check_in"
    __table_args__ = (
        UniqueConstraint("registration_id", "place_key", name="uq_check_in_place"),
        Index("ix_check_in_edition_place", "edition_id", "place_type", "place_id"),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    place_type: Mapped[str] = mapped_column(String(10))
    place_id: Mapped[int | None] = mapped_column(Integer)
    place_key: Mapped[str] = mapped_column(String(40))  # "entrance:2023-11-14", "session:12", "tour:3" ...
    checked_in_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))  # when it was scanned
    device_id: Mapped[str] = mapped_column(String(64))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Scan(Base):
    """Every scan, failed ones too. (device_id, nonce) makes a replayed scan (offline sync) answer the same."""

    __tablename__ = "check_in_scan"
    __table_args__ = (
        UniqueConstraint("device_id", "nonce", name="uq_check_in_scan_nonce"),
        Index("ix_check_in_scan_edition_time", "edition_id", "received_at"),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    place_type: Mapped[str] = mapped_column(String(10))
    place_id: Mapped[int | None] = mapped_column(Integer)
    code_excerpt: Mapped[str] = mapped_column(String(40))  # the start of what was scanned, for the log
    result: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(30))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id", ondelete="SET NULL"))
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id", ondelete="SET NULL"))
    scanned_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))  # the device's clock
    received_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    clock_flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # device time far from ours
    offline: Mapped[bool] = mapped_column(Boolean, default=False)  # verified on the device, synced later
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class BadgePrint(Base):
    """A badge sheet being made in the background: its progress, and the PDF once done."""

    __tablename__ = "badge_print"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    layout: Mapped[str] = mapped_column(String(4))  # a6 | a4
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    seconds: Mapped[float | None] = mapped_column(Float)
