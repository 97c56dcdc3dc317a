"""A person's agenda as one list: saved sessions, booked site visits and business meetings by day, with a clash
wherever any two of them overlap. Pure.

Sessions come from the published programme, tour bookings from tours; meetings are matching's, a domain built
on the programme, so the page gets them as `AgendaMeeting`s through a named dependency (app.DEPENDENCIES).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class AgendaMeeting:
    """A business meeting with a time, as the personal agenda shows it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    with_name: str  # the other party
    with_organization: str
    place_en: str  # "Table 3, Hall B" / online room
    place_ja: str
    online: bool
    status: str  # scheduled | held


@dataclass(frozen=True)
class Entry:
    kind: str  # session | tour | meeting
    starts_at: datetime
    ends_at: datetime
    line: Any  # programme's AgendaLine, tours' MyBooking, an AgendaMeeting
    counts: bool  # a cancelled session takes no time
    site_visit: bool  # the programme's own entry for the site visits: no clash with a booked visit


@dataclass(frozen=True)
class Agenda:
    days: list[tuple[date, list[tuple[str, Any, bool]]]]  # per day: (kind, line, clash) in time order
    clash_count: int


def _clash(a: Entry, b: Entry) -> bool:
    if not (a.counts and b.counts) or not (a.starts_at < b.ends_at and b.starts_at < a.ends_at):
        return False
    kinds = {a.kind, b.kind}
    return not (kinds == {"session", "tour"} and (a.site_visit or b.site_visit))


def combine(
    sessions: Iterable[Any], bookings: Iterable[Any], meetings: Iterable[AgendaMeeting], tz: ZoneInfo
) -> Agenda:
    """Everything in time order, grouped by day in `tz`; each entry that overlaps any other is a clash."""
    entries = [
        Entry(
            "session",
            line.item.starts_at,
            line.item.ends_at,
            line,
            line.item.status != "cancelled",
            line.item.kind == "site_visit",
        )
        for line in sessions
    ]
    entries += [Entry("tour", b.course.departs_at, b.course.returns_at, b, True, False) for b in bookings]
    entries += [Entry("meeting", m.starts_at, m.ends_at, m, True, False) for m in meetings]
    order = {"session": 0, "tour": 1, "meeting": 2}
    entries.sort(key=lambda e: (e.starts_at, order[e.kind]))
    clashing: set[int] = set()
    for index, entry in enumerate(entries):  # sorted by start: stop at the first that starts after the end
        for later in range(index + 1, len(entries)):
            other = entries[later]
            if other.starts_at >= entry.ends_at:
                break
            if _clash(entry, other):
                clashing.update((index, later))
    days: dict[date, list[tuple[str, Any, bool]]] = {}
    for index, entry in enumerate(entries):
        days.setdefault(entry.starts_at.astimezone(tz).date(), []).append(
            (entry.kind, entry.line, index in clashing)
        )
    return Agenda(list(days.items()), len(clashing))
