"""Organizations: cities, companies, international bodies, academia, NGOs and press."""

from __future__ import annotations

from sqlalchemy import String
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
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(300))
