"""The one clock of the platform. ASCC_NOW fixes "now" so that a past edition can be demonstrated."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def parse_fixed_now(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("ASCC_NOW needs an offset, e.g. 2023-11-15T10:00+09:00")
    return parsed.astimezone(UTC)


def now() -> datetime:
    """Current time in UTC, or the fixed time from ASCC_NOW (read each call so tests can set it)."""
    fixed = parse_fixed_now(os.environ.get("ASCC_NOW"))
    return fixed or datetime.now(UTC)
