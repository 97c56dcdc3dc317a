"""iCalendar files: a personal feed, one item, the whole programme, and meeting invitations. Pure.

Shared like csv_export and pdf_tables: mail attaches invitations, matching and the network describe their
meetings, the calendar domain its feeds. Each domain words its own items with the helpers below; UIDs
depend only on the kind, the row and the site's host (`host_of`), so the personal feed, the per-item
download and a meeting invitation all describe the same event and calendars merge them.

The `icalendar` library writes every line (escaping, folding at 75 octets, the VTIMEZONE of the
edition's IANA zone); nothing here is hand-written RFC 5545. Times are stored in UTC and written in the
edition's zone with its VTIMEZONE, so a calendar anywhere shows the right instant.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

if TYPE_CHECKING:
    from ascc.editions.models import Edition

PRODID = "-//ASCC platform//calendar//EN"
# C0 controls and DEL have no place in an iCalendar text value (RFC 5545 3.3.11); line breaks and tabs do.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SUMMARY_MAX = 500
DESCRIPTION_MAX = 8000
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")


def clean(text: str, limit: int) -> str:
    """Text as a calendar may show it: no control characters, at most `limit` characters."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bilingual(en: str, ja: str, sep: str = " / ") -> str:
    """ "English / 日本語", or one of them when they are the same or one is missing."""
    en, ja = en.strip(), ja.strip()
    if not en or not ja or en == ja:
        return en or ja
    return f"{en}{sep}{ja}"


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str


@dataclass(frozen=True)
class CalendarItem:
    """One thing in a calendar: a session, a tour course, a business meeting."""

    uid: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    status: str = "CONFIRMED"  # CONFIRMED | TENTATIVE (on a waiting list) | CANCELLED
    categories: tuple[str, ...] = ()
    attendees: tuple[Attendee, ...] = ()

    def to_json(self) -> dict:
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["ends_at"] = self.ends_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> CalendarItem:
        return cls(
            **{
                **data,
                "starts_at": datetime.fromisoformat(data["starts_at"]),
                "ends_at": datetime.fromisoformat(data["ends_at"]),
                "categories": tuple(data.get("categories", ())),
                "attendees": tuple(Attendee(**a) for a in data.get("attendees", ())),
            }
        )

    def fingerprint(self) -> str:
        """Changes whenever anything a calendar shows changes (times compared as instants)."""
        data = self.to_json()
        data["starts_at"] = self.starts_at.timestamp()
        data["ends_at"] = self.ends_at.timestamp()
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Revision:
    """An item as one calendar has seen it: SEQUENCE grows with each change, LAST-MODIFIED says when."""

    item: CalendarItem
    sequence: int = 0
    last_modified: datetime | None = None
    created: datetime | None = field(default=None)


def _address(person: Attendee) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(clean(person.name, 200) or person.email)
    return address


def event(revision: Revision, zone: ZoneInfo, stamp: datetime, organizer: Attendee | None = None) -> Event:
    item = revision.item
    ends_at = item.ends_at if item.ends_at > item.starts_at else item.starts_at + timedelta(minutes=1)
    vevent = Event()
    vevent.add("uid", item.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", revision.sequence)
    if revision.created:
        vevent.add("created", revision.created)
    if revision.last_modified:
        vevent.add("last-modified", revision.last_modified)
    vevent.add("dtstart", item.starts_at.astimezone(zone))
    vevent.add("dtend", ends_at.astimezone(zone))
    vevent.add("summary", clean(item.summary, SUMMARY_MAX) or item.uid)
    if item.location:
        vevent.add("location", clean(item.location, SUMMARY_MAX))
    if item.description:
        vevent.add("description", clean(item.description, DESCRIPTION_MAX))
    if item.url:
        vevent.add("url", item.url)
    vevent.add("status", item.status if item.status in STATUSES else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if item.status == "CANCELLED" else "OPAQUE")
    if item.categories:
        vevent.add("categories", list(item.categories))
    if organizer:
        vevent.add("organizer", _address(organizer))
        for person in item.attendees:
            address = _address(person)
            address.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
            vevent.add("attendee", address, encode=False)
    return vevent


def calendar(
    revisions: Iterable[Revision],
    zone_name: str,
    stamp: datetime,
    *,
    name: str = "",
    method: str | None = None,
    organizer: Attendee | None = None,
    refresh_hours: int | None = None,
) -> bytes:
    """A VCALENDAR of the items with the VTIMEZONE of `zone_name` (the edition's zone)."""
    zone = ZoneInfo(zone_name)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("name", clean(name, 200))
        cal.add("x-wr-calname", clean(name, 200))
    cal.add("x-wr-timezone", zone_name)
    if refresh_hours:
        # How often subscribed calendars should look again (RFC 7986, and Outlook's older property).
        cal.add("refresh-interval", timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(timedelta(hours=refresh_hours)))
    for revision in revisions:
        cal.add_component(event(revision, zone, stamp, organizer))
    cal.add_missing_timezones()
    for timezone in cal.walk("VTIMEZONE"):
        # icalendar notes its range in a COMMENT on the VTIMEZONE itself, where RFC 5545 allows none (only in
        # STANDARD and DAYLIGHT): strict parsers refuse the whole file.
        timezone.pop("COMMENT", None)
    return cal.to_ical()


def invitation(
    item: CalendarItem, zone_name: str, sequence: int, stamp: datetime, organizer: Attendee
) -> bytes:
    """An iTIP message (RFC 5546) for a meeting: REQUEST to add or move it, CANCEL to remove it."""
    return calendar([Revision(item, sequence)], zone_name, stamp, method=method_of(item), organizer=organizer)


def method_of(item: CalendarItem) -> str:
    return "CANCEL" if item.status == "CANCELLED" else "REQUEST"


def invitation_payload(item: CalendarItem, zone_name: str, sequence: int) -> dict:
    """What the outbox keeps of an invitation; the mail sender, who knows its own address (the
    ORGANIZER), turns it into the iTIP message when it delivers (`invitation_from_payload`)."""
    return {"item": item.to_json(), "zone": zone_name, "sequence": sequence}


def invitation_from_payload(payload: dict, organizer: Attendee, stamp: datetime) -> tuple[bytes, str]:
    item = CalendarItem.from_json(payload["item"])
    return invitation(item, payload["zone"], payload["sequence"], stamp, organizer), method_of(item)


# --- Wording shared by every kind of item ---------------------------------------------------------------


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "ascc.local"


def venue(edition: Edition) -> str:
    """ "Pacifico Yokohama North, 1-1-2 Minatomirai ..." in English, then Japanese when it differs."""
    en = ", ".join(p for p in (edition.venue_name_en, edition.venue_address_en) if p)
    ja = "、".join(p for p in (edition.venue_name_ja, edition.venue_address_ja) if p)
    return bilingual(en, ja)


def paragraphs(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def describe_parties(parties: tuple[tuple[Attendee, str], ...]) -> tuple[str, str]:
    """ "A × B" for the summary, and one line per person with their organization for the description."""
    names = " × ".join(person.name for person, _ in parties)
    who = "\n".join(f"{person.name} ({org})" if org else person.name for person, org in parties)
    return names, who
