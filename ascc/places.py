"""Where people are counted at check-in (a session room, a tour bus, a meeting area), as each domain names it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Place:
    id: int
    name_en: str
    name_ja: str
    starts_at: datetime
    ends_at: datetime
    detail_en: str = ""  # room, meeting point or table area
    detail_ja: str = ""
