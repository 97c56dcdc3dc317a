"""The audit log: one row per change an organizer or an exhibitor made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base


class AuditEntry(Base):
    """Who changed what, when (created_at), and from what to what.

    The actor's name and role are copied, so the log still reads after the account is anonymized.
    `before` and `after` hold only the fields that changed (or the whole object when it was created or
    deleted); values are stored as shown to people, never secrets.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_target", "target_type", "target_id"),
        Index("ix_audit_entry_created", "created_at"),
    )

    edition_id: Mapped[int | None] = mapped_column(ForeignKey("edition.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(String(300), default="")
    actor_role: Mapped[str] = mapped_column(String(20), default="")  # organizer | exhibitor | system
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. registration.approve
    target_type: Mapped[str] = mapped_column(String(40))  # e.g. registration, session, tour_course
    target_id: Mapped[int | None] = mapped_column()
    target_label: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
