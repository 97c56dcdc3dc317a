"""The published schedule as plain data: filtering, days and time zones, release diffs, clashes. Pure.

A release stores its snapshot as JSON (see services.snapshot_of); `Schedule.from_snapshot` turns it
into frozen objects once per release, so the agenda never touches the database on the hot path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ascc.taxonomy import SECTORS
from ascc.text import as_number

KINDS = (
    "plenary",
    "keynote",
    "thematic",
    "seminar",
    "panel",
    "networking",
    "business_exchange",
    "side_event",
    "ceremony",
    "orientation",
    "site_visit",
)
FORMATS = ("in_person", "online", "hybrid")
# A hybrid session is also one to attend in person and one to follow online.
FOLLOWABLE_AS = {
    "in_person": {"in_person"},
    "online": {"online"},
    "hybrid": {"in_person", "online", "hybrid"},
}
LANGUAGES = ("en", "ja")
SDG_GOALS = tuple(str(n) for n in range(1, 18))
# Zones offered in the agenda's time-zone switch besides the edition's and the browser's own.
COMMON_ZONES = (
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Manila",
    "Asia/Kuala_Lumpur",
    "Asia/Singapore",
    "Asia/Jakarta",
    "Asia/Makassar",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Yangon",
    "Asia/Dhaka",
    "Asia/Kolkata",
    "Asia/Colombo",
    "Asia/Kathmandu",
    "Asia/Ulaanbaatar",
    "Europe/London",
    "America/New_York",
    "UTC",
)


def fold(text: str) -> str:
    """The form text is searched in: case- and width-insensitive (ＳＤＧｓ finds SDGs), and accents on Latin
    letters ignored (Nguyen finds Nguyễn) while Japanese voicing marks stay (が is not か)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and kept[-1] < "\u0250":
            continue  # an accent on a Latin letter
        kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept)).casefold()


def zone(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder of zones, not a zone
        return None


@dataclass(frozen=True)
class Person:
    id: int
    slug: str
    name: str
    name_local: str | None
    affiliation_en: str
    affiliation_ja: str
    position_en: str
    position_ja: str


@dataclass(frozen=True)
class Role:
    person: Person
    role: str  # speaker | moderator | panelist


@dataclass(frozen=True)
class Track:
    id: int
    name_en: str
    name_ja: str
    colour: str


@dataclass(frozen=True)
class Room:
    id: int
    name_en: str
    name_ja: str
    floor: str | None
    capacity: int | None
    hybrid: bool


@dataclass(frozen=True)
class Item:
    """One session as the public sees it in a release."""

    id: int
    status: str  # published | cancelled
    kind: str
    title_en: str
    title_ja: str
    abstract_en: str
    abstract_ja: str
    starts_at: datetime
    ends_at: datetime
    room: Room | None
    track: Track | None
    sdgs: tuple[str, ...]
    sectors: tuple[str, ...]
    floor_language: str
    interpretation: tuple[str, ...]
    format: str
    capacity: int | None
    people: tuple[Role, ...]
    search_text: str = field(repr=False, compare=False)
    recording: str = "allowed"  # allowed | do_not_record (releases before it was kept: allowed)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages one can follow it in: the floor and the interpretation channels."""
        return (self.floor_language, *(c for c in self.interpretation if c != self.floor_language))

    @property
    def sdg_goals(self) -> frozenset[str]:
        return frozenset(tag.split(".")[0] for tag in self.sdgs)

    @property
    def signup(self) -> bool:
        return self.capacity is not None

    def overlaps(self, other: Item) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Filters:
    """Agenda filters from a query string; values nobody knows are dropped, never an error."""

    day: date | None = None
    tracks: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    lang: str | None = None
    interpretation: bool = False
    formats: tuple[str, ...] = ()
    sdgs: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    q: str = ""

    @classmethod
    def parse(cls, query: Mapping[str, list[str]], track_ids: Iterable[int] = ()) -> Filters:
        def many(name: str, allowed: Iterable[str]) -> tuple[str, ...]:
            allowed = set(allowed)
            return tuple(sorted({v for v in query.get(name, []) if v in allowed}))

        known_tracks = set(track_ids)
        tracks = sorted({n for n in map(as_number, query.get("track", [])) if n in known_tracks})
        day = None
        for value in query.get("day", [])[:1]:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                day = None
        lang = next((v for v in query.get("lang", []) if v in LANGUAGES), None)
        q = " ".join("".join(query.get("q", [])[:1]).split())[:100]
        return cls(
            day=day,
            tracks=tuple(tracks),
            kinds=many("kind", KINDS),
            lang=lang,
            interpretation=query.get("interpretation", [""])[0] in ("1", "yes", "on"),
            formats=many("format", FORMATS),
            sdgs=many("sdg", SDG_GOALS),
            sectors=many("sector", SECTORS),
            q=q,
        )

    @property
    def active(self) -> bool:
        """Whether anything besides the day narrows the list."""
        return bool(
            self.tracks
            or self.kinds
            or self.lang
            or self.interpretation
            or self.formats
            or self.sdgs
            or self.sectors
            or self.q
        )

    def query_pairs(self, day: date | None = None, include_day: bool = True) -> list[tuple[str, str]]:
        """The filters as query-string pairs, for links that keep them (day tabs, shareable URLs)."""
        pairs: list[tuple[str, str]] = []
        chosen_day = day or self.day
        if include_day and chosen_day:
            pairs.append(("day", chosen_day.isoformat()))
        pairs += [("track", str(t)) for t in self.tracks]
        pairs += [("kind", k) for k in self.kinds]
        if self.lang:
            pairs.append(("lang", self.lang))
        if self.interpretation:
            pairs.append(("interpretation", "1"))
        pairs += [("format", f) for f in self.formats]
        pairs += [("sdg", s) for s in self.sdgs]
        pairs += [("sector", s) for s in self.sectors]
        if self.q:
            pairs.append(("q", self.q))
        return pairs

    def matches(self, item: Item) -> bool:
        if self.tracks and (item.track is None or item.track.id not in self.tracks):
            return False
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.lang and self.lang not in item.languages:
            return False
        if self.interpretation and not item.interpretation:
            return False
        if self.formats and not FOLLOWABLE_AS[item.format].intersection(self.formats):
            return False
        if self.sdgs and not item.sdg_goals.intersection(self.sdgs):
            return False
        if self.sectors and not set(item.sectors).intersection(self.sectors):
            return False
        return not self.q or all(word in item.search_text for word in fold(self.q).split())


@dataclass(frozen=True)
class Schedule:
    """One release of one edition's programme."""

    version: int
    published_at: datetime | None
    timezone: str
    first_day: date
    last_day: date
    items: tuple[Item, ...]  # by start time, then room
    tracks: tuple[Track, ...]
    rooms: tuple[Room, ...]
    people: tuple[Person, ...]

    @cached_property
    def by_id(self) -> dict[int, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def people_by_slug(self) -> dict[str, Person]:
        return {person.slug: person for person in self.people}

    @cached_property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone) or ZoneInfo("UTC")

    @cached_property
    def days(self) -> tuple[date, ...]:
        """The edition's days, plus any day a session falls on outside them, in edition time."""
        days = {self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)}
        days.update(item.starts_at.astimezone(self.zone).date() for item in self.items)
        return tuple(sorted(days))

    @cached_property
    def _days_by_id(self) -> dict[int, date]:
        return {item.id: item.starts_at.astimezone(self.zone).date() for item in self.items}

    def day_of(self, item: Item) -> date:
        return self._days_by_id[item.id]

    def select(self, filters: Filters) -> list[Item]:
        days = self._days_by_id
        return [
            item
            for item in self.items
            if (filters.day is None or days[item.id] == filters.day) and filters.matches(item)
        ]

    def sessions_of(self, person_id: int) -> list[tuple[Item, str]]:
        return [
            (item, role.role) for item in self.items for role in item.people if role.person.id == person_id
        ]

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Schedule:
        tracks = {
            t["id"]: Track(t["id"], t["name_en"], t["name_ja"], t["colour"]) for t in snapshot["tracks"]
        }
        rooms = {
            r["id"]: Room(
                r["id"], r["name_en"], r["name_ja"], r.get("floor"), r.get("capacity"), bool(r.get("hybrid"))
            )
            for r in snapshot["rooms"]
        }
        people = {
            p["id"]: Person(
                p["id"],
                p["slug"],
                p["name"],
                p.get("name_local"),
                p.get("affiliation_en", ""),
                p.get("affiliation_ja", ""),
                p.get("position_en", ""),
                p.get("position_ja", ""),
            )
            for p in snapshot["people"]
        }
        items = []
        for s in snapshot["sessions"]:
            roles = tuple(Role(people[pid], role) for pid, role in s["people"] if pid in people)
            track = tracks.get(s.get("track_id"))
            words = [s["title_en"], s["title_ja"], s["abstract_en"], s["abstract_ja"]]
            words += [
                w
                for role in roles
                for w in (
                    role.person.name,
                    role.person.name_local or "",
                    role.person.affiliation_en,
                    role.person.affiliation_ja,
                )
            ]
            words += [w for w in ((track.name_en, track.name_ja) if track else ())]
            room = rooms.get(s.get("room_id"))
            words += [w for w in ((room.name_en, room.name_ja) if room else ())]
            words += [f"SDG {tag}" for tag in s.get("sdgs", ())]
            items.append(
                Item(
                    id=s["id"],
                    status=s["status"],
                    kind=s["kind"],
                    title_en=s["title_en"],
                    title_ja=s["title_ja"],
                    abstract_en=s["abstract_en"],
                    abstract_ja=s["abstract_ja"],
                    starts_at=datetime.fromisoformat(s["starts_at"]),
                    ends_at=datetime.fromisoformat(s["ends_at"]),
                    room=rooms.get(s.get("room_id")),
                    track=track,
                    sdgs=tuple(s.get("sdgs", ())),
                    sectors=tuple(s.get("sectors", ())),
                    floor_language=s["floor_language"],
                    interpretation=tuple(s.get("interpretation", ())),
                    format=s["format"],
                    capacity=s.get("capacity"),
                    people=roles,
                    search_text=fold(" ".join(words)),
                    recording=s.get("recording", "allowed"),
                )
            )
        room_order = {room_id: n for n, room_id in enumerate(rooms)}
        items.sort(key=lambda i: (i.starts_at, room_order.get(i.room.id if i.room else None, 999), i.id))
        published_at = snapshot.get("published_at")
        return cls(
            version=snapshot["version"],
            published_at=datetime.fromisoformat(published_at) if published_at else None,
            timezone=snapshot["timezone"],
            first_day=date.fromisoformat(snapshot["first_day"]),
            last_day=date.fromisoformat(snapshot["last_day"]),
            items=tuple(items),
            tracks=tuple(tracks.values()),
            rooms=tuple(rooms.values()),
            people=tuple(sorted(people.values(), key=lambda p: fold(p.name))),
        )


# --- Release diffs -------------------------------------------------------------------------------

# What a participant notices, in the order the "what changed" list names them.
COMPARED_FIELDS = {
    "time": ("starts_at", "ends_at"),
    "room": ("room_id",),
    "title": ("title_en", "title_ja"),
    "speakers": ("people",),  # who and in which role; their order on the page is not a change
    "format": ("format",),
    "language": ("floor_language", "interpretation"),
    "capacity": ("capacity",),
    "abstract": ("abstract_en", "abstract_ja"),
}


@dataclass(frozen=True)
class Change:
    session_id: int
    change: str  # added | changed | cancelled | removed
    fields: tuple[str, ...]
    title_en: str
    title_ja: str


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """What a release changes compared with the previous one (None: the first release, nothing to list)."""
    if old is None:
        return []
    before = {s["id"]: s for s in old["sessions"]}
    after = {s["id"]: s for s in new["sessions"]}
    changes: list[Change] = []
    for session_id, s in after.items():
        previous = before.get(session_id)
        if previous is None:
            changes.append(Change(session_id, "added", (), s["title_en"], s["title_ja"]))
        elif s["status"] == "cancelled" and previous["status"] != "cancelled":
            changes.append(Change(session_id, "cancelled", (), s["title_en"], s["title_ja"]))
        else:
            fields = tuple(
                name
                for name, keys in COMPARED_FIELDS.items()
                if any(_normal(k, previous.get(k)) != _normal(k, s.get(k)) for k in keys)
            )
            if fields:
                changes.append(Change(session_id, "changed", fields, s["title_en"], s["title_ja"]))
    for session_id, s in before.items():
        if session_id not in after:
            changes.append(Change(session_id, "removed", (), s["title_en"], s["title_ja"]))
    return changes


def _normal(key: str, value: Any) -> Any:
    """Compare instants, not their spelling (+09:00 or UTC), and lists whatever JSON made of tuples."""
    if key in ("starts_at", "ends_at") and isinstance(value, str):
        return datetime.fromisoformat(value)
    if key == "people" and isinstance(value, list | tuple):
        return sorted(tuple(v) for v in value)
    if isinstance(value, list | tuple):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    return value


# --- Conflicts while editing, clashes in a personal agenda ---------------------------------------


@dataclass(frozen=True)
class Slot:
    """What the conflict check needs of a session being edited or already planned."""

    id: int | None
    title: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    person_ids: frozenset[int]

    def overlaps(self, other: Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Warning:
    kind: str  # room_double_booked | person_double_booked | outside_edition_days | capacity_below_holders
    session_id: int | None
    other_id: int | None = None
    other_title: str = ""
    person_ids: frozenset[int] = frozenset()
    # capacity_below_holders: people holding a seat, the new number of places, people waiting
    holders: int = 0
    limit: int = 0
    waiting: int = 0


def conflicts(
    candidate: Slot, others: Iterable[Slot], first_day: date, last_day: date, tz: ZoneInfo
) -> list[Warning]:
    """Warnings for one session against the rest of the programme; the organizer may override them."""
    warnings: list[Warning] = []
    start_day = candidate.starts_at.astimezone(tz).date()
    end_day = (candidate.ends_at - timedelta(microseconds=1)).astimezone(tz).date()
    if start_day < first_day or end_day > last_day:
        warnings.append(Warning("outside_edition_days", candidate.id))
    for other in others:
        if other.id == candidate.id or not candidate.overlaps(other):
            continue
        if candidate.room_id is not None and candidate.room_id == other.room_id:
            warnings.append(Warning("room_double_booked", candidate.id, other.id, other.title))
        shared = candidate.person_ids & other.person_ids
        if shared:
            warnings.append(Warning("person_double_booked", candidate.id, other.id, other.title, shared))
    return warnings


def all_conflicts(slots: list[Slot], first_day: date, last_day: date, tz: ZoneInfo) -> list[Warning]:
    """Every conflict in a programme, each pair once (sweep over start times: n log n plus overlaps)."""
    ordered = sorted(slots, key=lambda s: s.starts_at)
    warnings: list[Warning] = []
    for index, slot in enumerate(ordered):
        later = []
        for other in ordered[index + 1 :]:
            if other.starts_at >= slot.ends_at:
                break
            later.append(other)
        found = conflicts(slot, later, first_day, last_day, tz)
        warnings.extend(found)
    return warnings


def clashes(items: list[Item]) -> set[int]:
    """Ids of agenda items that overlap another item in the same agenda (cancelled ones do not count)."""
    live = sorted((i for i in items if i.status != "cancelled"), key=lambda i: i.starts_at)
    clashing: set[int] = set()
    for index, item in enumerate(live):
        for other in live[index + 1 :]:
            if other.starts_at >= item.ends_at:
                break
            clashing.update((item.id, other.id))
    return clashing
