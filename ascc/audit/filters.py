"""The audit log's filters read from a query string, and its entries told in words. Pure.

The page, its CSV and the API read the same parameters, so a filtered view is a URL one can share:
`actor`, `domain`, `action`, `target_type`, `target_id`, `from`, `to` (dates in the conference's zone,
both days included), `q` (words in the target's label) and `page`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from ascc import dates
from ascc.errors import ValidationFailed
from ascc.i18n import translate
from ascc.text import clean_line

PARAMS = ("actor", "domain", "action", "target_type", "target_id", "from", "to", "q")
Q_MAX = 200
ID_MAX = 2**31 - 1
PAGE_MAX = 100_000
YEAR_MIN, YEAR_MAX = 2000, 2100
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,29}\.[a-z][a-z0-9_]{0,29}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


@dataclass
class Filters:
    actor: int | None = None
    domain: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in fields(self))

    def params(self) -> dict[str, str]:
        """The filters as query parameters (only the ones set), for links, the pager and the CSV."""
        values = {
            "actor": self.actor,
            "domain": self.domain,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "q": self.q,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def query(self, **extra: Any) -> str:
        return urlencode({**self.params(), **{k: str(v) for k, v in extra.items() if v is not None}})

    def window(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC-aware moments: whole days where the conference is."""
        start = datetime.combine(self.date_from, time(0), tz) if self.date_from else None
        end = datetime.combine(self.date_to + timedelta(days=1), time(0), tz) if self.date_to else None
        return start, end


def _int(errors: dict, name: str, raw: str, maximum: int = ID_MAX) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not 1 <= int(raw) <= maximum:
        errors[name] = ("audit.error.number", {})
        return None
    return int(raw)


def _day(errors: dict, name: str, raw: str) -> date | None:
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = ("error.date_invalid", {})
        return None
    if not YEAR_MIN <= day.year <= YEAR_MAX:  # and the window's day after stays a date
        errors[name] = ("audit.error.year_range", {"first": YEAR_MIN, "last": YEAR_MAX})
        return None
    return day


def parse(
    params: Mapping[str, str],
    domains: set[str],
    actions: set[str],
    target_types: set[str],
) -> Filters:
    """Filters from query parameters; a value that is malformed or that the log does not know is refused
    (ValidationFailed naming the parameter) rather than silently ignored."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    # Control characters (a NUL, which PostgreSQL refuses) never reach the query.
    raw = {name: clean_line(params.get(name)) for name in PARAMS}
    found = Filters()
    if raw["actor"]:
        found.actor = _int(errors, "actor", raw["actor"])
    if raw["domain"]:
        if raw["domain"] in domains:
            found.domain = raw["domain"]
        else:
            errors["domain"] = ("audit.error.unknown", {})
    if raw["action"]:
        if _ACTION.match(raw["action"]) and raw["action"] in actions:
            found.action = raw["action"]
        else:
            errors["action"] = ("audit.error.unknown", {})
    if raw["target_type"]:
        if _NAME.match(raw["target_type"]) and raw["target_type"] in target_types:
            found.target_type = raw["target_type"]
        else:
            errors["target_type"] = ("audit.error.unknown", {})
    if raw["target_id"]:
        found.target_id = _int(errors, "target_id", raw["target_id"])
    if raw["from"]:
        found.date_from = _day(errors, "from", raw["from"])
    if raw["to"]:
        found.date_to = _day(errors, "to", raw["to"])
    if found.date_from and found.date_to and found.date_to < found.date_from:
        errors["to"] = ("audit.error.to_before_from", {})
    if raw["q"]:
        if len(raw["q"]) > Q_MAX:
            errors["q"] = ("error.too_long", {"max": Q_MAX})
        else:
            found.q = raw["q"]
    if errors:
        raise ValidationFailed(errors)
    return found


def page_number(raw: str | None, name: str = "page", maximum: int = PAGE_MAX) -> int:
    """A 1-based page (or page size) from the query string: anything else is refused, naming the field."""
    raw = (raw or "").strip()
    if not raw:
        return 1
    errors: dict = {}
    value = _int(errors, name, raw, maximum)
    if value is None:
        raise ValidationFailed(errors)
    return value


# --- entries told in words ------------------------------------------------------------------------------------


def action_label(lang: str, action: str) -> str:
    key = f"audit.action.{action}"
    text = translate(lang, key)
    return action if text == key else text


def domain_label(lang: str, domain: str) -> str:
    key = f"audit.domain.{domain}"
    text = translate(lang, key)
    return domain if text == key else text


def role_label(lang: str, role: str) -> str:
    """The actor's role as copied into the entry ("system" for the platform itself)."""
    key = "audit.system" if role == "system" else f"role.{role}"
    text = translate(lang, key)
    return role if text == key else text


def target_label(lang: str, target_type: str) -> str:
    key = f"audit.target.{target_type}"
    text = translate(lang, key)
    return target_type.replace("_", " ") if text == key else text


def field_label(lang: str, name: str) -> str:
    key = f"audit.field.{name}"
    text = translate(lang, key)
    return name.replace("_", " ") if text == key else text


# Values that are names of states or kinds, shown in the reader's language: (target type, field) -> key prefix.
VALUE_KEYS = {
    ("registration", "status"): "registration.status.",
    ("session", "status"): "programme.status.",
    ("session", "kind"): "programme.kind.",
    ("session", "format"): "programme.format.",
    ("session", "sectors"): "sector.",
    ("session", "floor_language"): "lang.",
    ("session", "interpretation"): "lang.",
    ("solution", "sectors"): "sector.",
    ("exhibitor", "status"): "market.status.",
    ("exhibitor", "kind"): "market.kind.",
    ("meeting", "status"): "matching.status.",
    ("user", "role"): "role.",
    ("edition", "status"): "edition.status.",
    ("campaign", "segment"): "campaigns.segment.",
    ("recorded_edition", "figures"): "report.fig.",  # a dict: its keys are the figures' names
}


def _named(lang: str, prefix: str, text: str) -> str:
    named = translate(lang, prefix + text) if prefix else text
    return text if named == prefix + text else named


def value_text(lang: str, value: Any, tz: ZoneInfo, prefix: str = "") -> str:
    """A stored value as a person reads it: yes/no, lists joined, moments in the conference's zone, states
    and kinds by their name in the reader's language."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return translate(lang, "common.yes" if value else "common.no")
    if isinstance(value, list):
        return ", ".join(value_text(lang, item, tz, prefix) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{_named(lang, prefix, str(k))}: {value_text(lang, v, tz)}" for k, v in value.items()
        )
    text = str(value)
    if prefix and _named(lang, prefix, text) != text:
        return _named(lang, prefix, text)
    if prefix == "campaigns.segment." and ":" in text:  # "tour:2": the group's name and which one
        kind, _, which = text.partition(":")
        group = _named(lang, "campaigns.segment_group.", kind)
        if group != kind:
            return f"{group}: {which}"
    if _MOMENT.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        # A moment without a zone was typed in the edition's.
        return dates.format_moment(
            moment if moment.tzinfo else moment.replace(tzinfo=tz), lang, tz, "day_time"
        )
    return text


@dataclass(frozen=True)
class Change:
    """One field's change; `before` is None for a field of something created, `after` for one removed."""

    field: str
    before: str | None
    after: str | None

    def text(self) -> str:
        if self.before is None:
            return f"{self.field}: {self.after}"
        return f"{self.field}: {self.before} → {self.after or '—'}"


def changes(
    lang: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    tz: ZoneInfo,
    target_type: str = "",
) -> list[Change]:
    """One line per field: what it was and what it became ("—" for nothing: created or removed)."""
    names = list(dict.fromkeys([*(before or {}), *(after or {})]))

    def side(values: Mapping[str, Any] | None, name: str) -> str | None:
        if values is None:
            return None
        return value_text(lang, values.get(name), tz, VALUE_KEYS.get((target_type, name), ""))

    return [Change(field_label(lang, name), side(before, name), side(after, name)) for name in names]


CSV_HEADER = (
    "time",
    "actor_id",
    "actor",
    "actor_role",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "target_label",
    "changes",
)


def csv_row(lang: str, entry: Any, tz: ZoneInfo) -> tuple[object, ...]:
    return (
        entry.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        entry.actor_id or "",
        entry.actor_name,
        entry.actor_role,
        entry.action,
        action_label(lang, entry.action),
        entry.target_type,
        entry.target_id or "",
        entry.target_label,
        "; ".join(c.text() for c in changes(lang, entry.before, entry.after, tz, entry.target_type)),
    )
