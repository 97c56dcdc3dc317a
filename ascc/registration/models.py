"""Registration for an edition: people, delegations, invitation codes, quotas, the organizer's questions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base

if TYPE_CHECKING:  # relationships resolve by name; domains do not import each other's models
    from ascc.accounts.models import User
    from ascc.organizations.models import Organization

CATEGORIES = (
    "city_official",
    "company",
    "international",
    "academia",
    "ngo",
    "press",
    "speaker",
    "organizer_staff",
)
MODES = ("in_person", "online")
STATUSES = ("pending", "confirmed", "waiting", "rejected", "cancelled")
ACTIVE_STATUSES = ("pending", "confirmed", "waiting")
QUESTION_KINDS = ("text", "single", "multiple", "yes_no")
INTERPRETATION = ("none", "ja", "en")


class RegistrationSettings(Base):
    __tablename__ = "registration_settings"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), unique=True)
    in_person_capacity: Mapped[int | None] = mapped_column(Integer)
    online_capacity: Mapped[int | None] = mapped_column(Integer)
    privacy_version: Mapped[str] = mapped_column(String(20), default="2023-1")
    # Categories whose registrations wait for an organizer's decision, and those that need a code.
    approval_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    invitation_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A category's own last day of registration where it differs from the edition's ({"press": "2023-11-12"}).
    category_closes_on: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class Question(Base):
    __tablename__ = "registration_question"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    label_en: Mapped[str] = mapped_column(String(300))
    label_ja: Mapped[str] = mapped_column(String(300))
    # For single and multiple choice: [{"value": "bus", "en": "Bus", "ja": "バス"}, ...]
    choices: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class InvitationCode(Base):
    __tablename__ = "invitation_code"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_uses: Mapped[int | None] = mapped_column(Integer)  # 1: single use; None: no limit
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    note: Mapped[str | None] = mapped_column(String(200))
    # A late-registration code: it also admits its holder after registration has closed (until the end).
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization | None] = relationship(lazy="raise")


class Quota(Base):
    """In-person seats an organization (a city, a bank) may fill in one edition."""

    __tablename__ = "registration_quota"
    __table_args__ = (
        UniqueConstraint("edition_id", "organization_id", name="uq_quota_edition_organization"),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    seats: Mapped[int] = mapped_column(Integer)

    organization: Mapped[Organization] = relationship(lazy="raise")


class Delegation(Base):
    __tablename__ = "delegation"
    __table_args__ = (
        UniqueConstraint("edition_id", "organization_id", name="uq_delegation_edition_organization"),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    head_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))

    organization: Mapped[Organization] = relationship(lazy="raise")
    invites: Mapped[list[DelegationInvite]] = relationship(
        back_populates="delegation", lazy="raise", order_by="DelegationInvite.id"
    )


class DelegationInvite(Base):
    __tablename__ = "delegation_invite"

    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="invited")  # invited | accepted | revoked
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id", ondelete="SET NULL"))

    delegation: Mapped[Delegation] = relationship(back_populates="invites", lazy="raise")
    registration: Mapped[Registration | None] = relationship(lazy="raise")


JOIN_REQUEST_STATUSES = ("open", "accepted", "declined", "withdrawn")
_OPEN_JOIN_REQUEST = "status = 'open'"


class DelegationJoinRequest(Base):
    """A registered person asks to join their organization's delegation; its head accepts or declines.

    At most one open request per registration (so per person and edition), whatever the race: a partial
    unique index."""

    __tablename__ = "delegation_join_request"
    __table_args__ = (
        Index(
            "uq_delegation_join_request_open",
            "registration_id",
            unique=True,
            sqlite_where=text(_OPEN_JOIN_REQUEST),
            postgresql_where=text(_OPEN_JOIN_REQUEST),
        ),
    )

    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="open")  # JOIN_REQUEST_STATUSES
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    delegation: Mapped[Delegation] = relationship(lazy="raise")
    registration: Mapped[Registration] = relationship(lazy="raise")


class Registration(Base):
    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("edition_id", "user_id", name="uq_registration_edition_user"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    interpretation: Mapped[str] = mapped_column(String(4), default="none")
    dietary: Mapped[str | None] = mapped_column(String(300))
    accessibility: Mapped[str | None] = mapped_column(String(300))
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegation.id", ondelete="SET NULL"))
    invitation_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_code.id", ondelete="SET NULL")
    )
    consent_directory: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_scanning: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recommendations: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_photos: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_version: Mapped[str] = mapped_column(String(20))
    privacy_accepted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)  # the organizer's, e.g. the reason for a rejection
    # Printed on the badge for exhibitors to type (until the badge's QR code carries it): random, not the id.
    badge_code: Mapped[str | None] = mapped_column(String(9), unique=True)

    user: Mapped[User] = relationship(lazy="raise")
    organization: Mapped[Organization | None] = relationship(lazy="raise")
    delegation: Mapped[Delegation | None] = relationship(lazy="raise")

    @property
    def reference(self) -> str:
        return f"ASCC-{self.edition_id:02d}-{self.id:06d}"


IMPORT_STATUSES = ("preview", "importing", "done", "failed")


class RegistrationImport(Base):
    """A list of people an organizer uploaded (a city's list): kept only as its preview, the rows and each
    row's problems, until confirmed. Confirming moves `status` preview -> importing with a conditional update,
    so two confirmations at once import once; the background job records each row's outcome in `results`."""

    __tablename__ = "registration_import"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="preview")  # IMPORT_STATUSES
    # [{"line": 2, "values": {field: text}, "problems": {field: [key, params]}}], in the file's order
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"line": 2, "email": ..., "outcome": "imported" | "skipped", "reason": [key, params] | None}]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    base_url: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(2), default="en")
    error: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


VISA_STATUSES = ("requested", "approved", "revoked")
_OPEN_VISA_LETTER = "status IN ('requested', 'approved')"


class VisaLetter(Base):
    """A registered person's request for a visa invitation letter, reviewed by an organizer (ascc.registration.visa).

    The passport number, date of birth and nationality are sealed (ascc.sealed) in `passport_data` and
    deleted after the edition by the retention rule `visa_passport_data`; the reference, status and dates stay,
    so a consulate can still verify the letter. At most one open (requested or approved) letter per person
    and edition: a partial unique index."""

    __tablename__ = "visa_letter"
    __table_args__ = (
        Index(
            "uq_visa_letter_open",
            "edition_id",
            "user_id",
            unique=True,
            sqlite_where=text(_OPEN_VISA_LETTER),
            postgresql_where=text(_OPEN_VISA_LETTER),
        ),
    )

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # random: printed, verified in public
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)  # VISA_STATUSES
    passport_data: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed; None once purged
    requested_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    purged_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")
    registration: Mapped[Registration] = relationship(lazy="raise")
