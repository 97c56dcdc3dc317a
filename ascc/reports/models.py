"""Figures of editions run before the platform, as the organizers published them."""

from __future__ import annotations

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base


class RecordedEdition(Base):
    """An earlier edition's published figures (the 8th: 20 countries, 57 cities, about 850 participants),
    so the report compares the platform's editions with the ones before it. Unknown figures are absent."""

    __tablename__ = "report_recorded_edition"

    number: Mapped[int] = mapped_column(Integer, unique=True)  # 8 for the 8th ASCC
    label: Mapped[str] = mapped_column(String(20))  # "2019", "FY2020"
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_ja: Mapped[str] = mapped_column(String(200), default="")
    figures: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")  # where the figures come from
