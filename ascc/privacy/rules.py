"""Retention rules as plain data: the classes of data, their periods, and when a rule may not run.

Pure: no web framework, no database. The services count and change rows; this module decides which
edition a rule reaches and whether reaching it is allowed.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ascc.text import as_number, clean_line


@dataclass(frozen=True)
class DataClass:
    key: str  # privacy.class_<key> names it, privacy.class_<key>_hint explains it
    unit: str  # "days" | "months"
    default: int
    maximum: int
    action: str  # "delete" | "anonymize" | "clear"
    per_edition: bool  # its rows belong to an edition; it must never reach a live one


CLASSES = (
    DataClass("tour_id_numbers", "days", 14, 365, "delete", True),
    DataClass("visa_passport_data", "days", 30, 365, "delete", True),
    DataClass("personal_data", "months", 24, 120, "anonymize", True),
    DataClass("lead_scans", "months", 24, 120, "delete", True),
    DataClass("viewing_records", "months", 24, 120, "delete", True),
    DataClass("messages", "months", 12, 120, "delete", True),
    DataClass("mail_bodies", "days", 180, 3650, "clear", False),
    DataClass("audit_entries", "months", 60, 240, "delete", False),
)
BY_KEY = {c.key: c for c in CLASSES}
DEFAULTS = {c.key: c.default for c in CLASSES}


def parse_periods(values: dict[str, str]) -> tuple[dict[str, int], dict[str, tuple[str, dict]]]:
    """Periods typed in the form (one field per class): whole numbers from 1 to the class's maximum.

    Returns (periods, errors); zero, negative or non-numbers are refused with the field named.
    """
    periods: dict[str, int] = {}
    errors: dict[str, tuple[str, dict]] = {}
    for data_class in CLASSES:
        raw = clean_line(values.get(data_class.key, ""))
        sign = -1 if raw.startswith("-") else 1
        number = as_number(raw.removeprefix("-"))
        if not raw:
            errors[data_class.key] = ("error.required", {})
        elif number is None:
            errors[data_class.key] = ("error.number_range", {"min": 1, "max": data_class.maximum})
        elif sign * number <= 0:
            errors[data_class.key] = ("privacy.error_period_positive", {})
        elif number > data_class.maximum:
            errors[data_class.key] = ("error.number_range", {"min": 1, "max": data_class.maximum})
        else:
            periods[data_class.key] = number
    return periods, errors


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def after(day: date, period: int, unit: str) -> date:
    return day + timedelta(days=period) if unit == "days" else add_months(day, period)


def before(moment: datetime, period: int, unit: str) -> datetime:
    """`moment` less the period: rows older than this are past their retention."""
    if unit == "days":
        return moment - timedelta(days=period)
    shifted = add_months(moment.date(), -period)
    return moment.replace(year=shifted.year, month=shifted.month, day=shifted.day)


def edition_expired(ends_on: date, period: int, unit: str, today: date) -> bool:
    """The edition's data falls under the rule: its period after the edition's last day has passed."""
    return after(ends_on, period, unit) < today


@dataclass(frozen=True)
class EditionState:
    id: int
    name: str
    ends_on: date
    is_current: bool
    status: str


def refusal(data_class: DataClass, edition: EditionState, today: date) -> str | None:
    """Why the rule may not touch this edition's data now (a catalogue key), or None when it may.

    The current edition, one still running (status "live") and one that has not ended are live: nothing of
    them is anonymized or deleted. Tour ID numbers and visa letters' passport data are the exception to
    "current" only: they exist for one facility visit or one journey and go N days after it (after the
    edition, for passports), but never before the edition has ended.
    """
    if edition.ends_on >= today:
        return "privacy.refused_not_ended"
    if data_class.key in ("tour_id_numbers", "visa_passport_data"):
        return None
    if edition.is_current:
        return "privacy.refused_current"
    if edition.status == "live":
        return "privacy.refused_live"
    return None
