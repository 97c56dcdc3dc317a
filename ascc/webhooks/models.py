"""Webhooks: the endpoints organizers and exhibitors register, and the outbox of deliveries to them."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")


class WebhookEndpoint(Base):
    """Where events go. An organizers' endpoint (exhibitor_id None) takes the events it chose; an exhibitor's
    endpoint (at most one each) takes that exhibitor's own leads and nothing else."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (UniqueConstraint("exhibitor_id", name="uq_webhook_endpoint_exhibitor"),)

    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing secret (whsec_...), sealed under ASCC_SECRET_KEY: a copy of the database signs nothing.
    secret_sealed: Mapped[str] = mapped_column(String(400))
    exhibitor_id: Mapped[int | None] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Failed attempts since the last success; at services.DISABLE_AFTER the endpoint is disabled.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # After a failure nothing goes to the endpoint until then (its deliveries wait; none is lost).
    paused_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(20))  # "failures" | "manual"
    last_error: Mapped[str | None] = mapped_column(String(500))


class WebhookDelivery(Base):
    """One event for one endpoint, recorded in the transaction of the change that caused it and sent by the
    delivery loop (delivery.py) with retries. The body is kept as sent, so every attempt signs the same bytes."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    # The Standard Webhooks `webhook-id`: one per event (the same for every endpoint and every attempt).
    message_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    # The person whose name the body carries, if any: forgetting them deletes the delivery.
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # While a sender holds it, "sending" until then; after that another sender may take it again.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
