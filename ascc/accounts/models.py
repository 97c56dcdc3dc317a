"""Accounts: people who sign in, their one-time links and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ascc.db import Base
from ascc.text import fold_name

if TYPE_CHECKING:  # the relationship resolves by name; domains do not import each other's models
    from ascc.organizations.models import Organization

ROLES = ("organizer", "checkin", "exhibitor", "delegate", "online")
LANGUAGES = ("en", "ja")


class User(Base):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(254))
    # Case-folded address: one account per address whatever the letter case.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name_latin: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str | None] = mapped_column(String(200))
    # Both names folded (ascc.text.fold_name), one a line: what every name search compares. Kept by the
    # flush hooks below on every write of the names; migration 0025 filled it for existing accounts.
    name_folded: Mapped[str] = mapped_column(String(410), default="")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    country: Mapped[str | None] = mapped_column(String(2))
    preferred_lang: Mapped[str] = mapped_column(String(2), default="en")
    role: Mapped[str] = mapped_column(String(20), default="delegate")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # "Sign out everywhere": every session begun before this ends (accounts/sessions.py).
    sessions_ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    organization: Mapped[Organization | None] = relationship(lazy="raise")

    @property
    def display_name(self) -> str:
        return name_as_shown(self.name_latin, self.name_local)


def name_as_shown(name_latin: str, name_local: str | None) -> str:
    """A person's name as pages show it, from the two columns (for queries that read columns, not users)."""
    if name_local and name_local != name_latin:
        return f"{name_latin} ({name_local})"
    return name_latin


class AccountToken(Base):
    """A one-time link: e-mail verification or password reset. Only the hash is stored."""

    __tablename__ = "account_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # verify | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")


class ApiToken(Base):
    """A bearer token for the JSON API. Only the hash is stored; the prefix helps people tell tokens apart."""

    __tablename__ = "api_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")


class EndedSession(Base):
    """A browser session signed out on its device: a copy of its cookie is refused from then on. Kept for the
    longest a session may live (accounts/sessions.py), after which the cookie is refused anyway."""

    __tablename__ = "ended_session"

    session_id: Mapped[str] = mapped_column(String(32), unique=True)  # the random id inside the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    ended_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


def folded_names(name_latin: str | None, name_local: str | None) -> str:
    """The `name_folded` of an account: a search never matches across the two names."""
    return f"{fold_name(name_latin)}\n{fold_name(name_local)}"


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _fold_names(_mapper: object, _connection: object, user: User) -> None:
    user.name_folded = folded_names(user.name_latin, user.name_local)
