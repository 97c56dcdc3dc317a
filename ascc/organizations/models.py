"""Organizations: cities, companies, international bodies, academia, NGOs and press."""

from __future__ import annotations

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

ORGANIZATION_KINDS = ("city", "government", "company", "international", "academia", "ngo", "press", "other")


class Organization(Base):
    __tablename__ = "organization"

    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str | None] = mapped_column(String(200))
    # Case-, width- and space-folded name: the same organization typed twice is found, not duplicated.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    # False while the kind is what a person said at sign-up (or nothing): organizers check it, since the
    # edition's report counts cities and institutions by kind, and only checked ones are listed publicly.
    kind_checked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(300))
