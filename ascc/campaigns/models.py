"""Tables of the campaigns domain: campaigns and their recipients, mail preferences, reminders."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

CAMPAIGN_STATUSES = ("draft", "sending", "sent", "cancelled", "failed")
# queued: in the outbox (its delivery status is the outbox message's); skipped: unsubscribed;
# pending: chosen, not yet in the outbox; cancelled: taken back before it went out.
RECIPIENT_STATUSES = ("pending", "queued", "skipped", "cancelled")
REMINDER_KINDS = ("session", "tour", "meeting")


class Campaign(Base):
    """A bilingual message to a segment of people (see services.SEGMENTS), sent through the outbox."""

    __tablename__ = "mail_campaign"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # the organizers' own label
    subject_en: Mapped[str] = mapped_column(String(200))
    subject_ja: Mapped[str] = mapped_column(String(200), default="")
    body_en: Mapped[str] = mapped_column(Text)
    body_ja: Mapped[str] = mapped_column(Text, default="")
    segment: Mapped[str] = mapped_column(String(60))  # "all", "mode:online", "course:5" ...
    # Essential mail (logistics, safety) goes to everyone; other mail skips people who unsubscribed.
    essential: Mapped[bool] = mapped_column(Boolean, default=False)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    send_started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # Progress of the background job ("queued N of M"), kept here so that any worker can show it.
    total: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class CampaignRecipient(Base):
    """One person of a campaign. The unique (campaign, person) is what makes a second "send" harmless."""

    __tablename__ = "mail_campaign_recipient"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", name="uq_campaign_recipient"),
        Index("ix_campaign_recipient_status", "campaign_id", "status"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("mail_campaign.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order of sending: the throttle's clock
    lang: Mapped[str] = mapped_column(String(2), default="en")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    not_before: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class MailPreference(Base):
    """A person's choices about mail that is not essential. News is opt-in: no row means no news, but
    reminders of one's own bookings."""

    __tablename__ = "mail_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    campaigns: Mapped[bool] = mapped_column(Boolean, default=False)  # news and announcements: opt-in
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)  # before my sessions, tours, meetings
    changed_via: Mapped[str] = mapped_column(String(10), default="account")  # account | link | one_click


class ReminderSettings(Base):
    """How long before each kind of item its reminder goes out, per edition (0 minutes: none)."""

    __tablename__ = "reminder_settings"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), unique=True)
    session_minutes: Mapped[int] = mapped_column(Integer, default=15)
    tour_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=15)


class ReminderSent(Base):
    """One reminder per person and item, ever: the unique key decides, however many loops race."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("kind", "item_id", "user_id", name="uq_reminder_sent"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # session | tour | meeting
    item_id: Mapped[int] = mapped_column(Integer)  # no foreign key: items of three kinds
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | skipped (opted out)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL")
    )
