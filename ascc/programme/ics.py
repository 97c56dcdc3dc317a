"""A session as an iCalendar file with the edition's VTIMEZONE. Pure (the calendar issue builds feeds on it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from ascc.programme.schedule import Item


def session_event(item: Item, edition: Any, base_url: str, sequence: int, stamp: datetime) -> Event:
    """One VEVENT. `sequence` is the release version, so calendars replace an older copy of the event."""
    tz = ZoneInfo(edition.timezone)
    event = Event()
    event.add("uid", f"session-{item.id}@{base_url.split('://')[-1].split('/')[0]}")
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", item.starts_at.astimezone(tz))
    event.add("dtend", item.ends_at.astimezone(tz))
    event.add(
        "summary", item.title_en if item.title_en == item.title_ja else f"{item.title_en} / {item.title_ja}"
    )
    where = [edition.venue_name_en, edition.venue_address_en]
    if item.room:
        where.insert(0, item.room.name_en)
    event.add("location", ", ".join(w for w in where if w))
    link = f"{base_url}/sessions/{item.id}"
    event.add("url", link)
    event.add("description", "\n\n".join(p for p in (item.abstract_en, item.abstract_ja, link) if p))
    if item.status == "cancelled":
        event.add("status", "CANCELLED")
    return event


def session_calendar(item: Item, edition: Any, base_url: str, sequence: int, stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//ASCC platform//programme//EN")
    calendar.add("version", "2.0")
    calendar.add_component(session_event(item, edition, base_url, sequence, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()
