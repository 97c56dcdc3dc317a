"""The published programme as "schedule.json" (c3voc v1) and frab "schedule.xml". Pure.

Conference apps (Giggity, EventFahrplan, info-beamer) and video teams read these. The schemas in
../shared/interop/ set the traps this module steps around: the acronym's pattern, explicit UTC offsets,
a positive integer `id` and a UUID `guid` per event, `H:MM` durations, no extra keys in JSON events, and
persons that match exactly one of the schema's two person shapes (so: `name` and `guid`, no `id`).
GUIDs are UUIDv5 of the edition and the session, so they stay the same from one release to the next.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ascc.programme.schedule import Item, Schedule

GENERATOR = {"name": "ascc-platform", "version": "1.0"}
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
NO_ROOM = "To be announced / 未定"
ONLINE_ROOM = "Online / オンライン"


@dataclass(frozen=True)
class Conference:
    slug: str
    title_en: str
    title_ja: str
    timezone: str
    base_url: str


def ascii_slug(text: str) -> str:
    """Latin letters and digits joined by hyphens ("Nguyễn's Talk!" -> "nguyens-talk"); other scripts drop out."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain.replace("'", "")).strip("-")


def acronym(slug: str) -> str:
    """The c3voc acronym: lower-case letters, digits and underscores, at least 4 ("ascc2023")."""
    value = re.sub(r"[^a-z0-9_]", "_", slug.lower())
    return value if len(value) >= 4 else value.ljust(4, "_")


def guid(conference: Conference, kind: str, key: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ascc:{acronym(conference.slug)}:{kind}:{key}"))


def _duration(item: Item) -> str:
    minutes = max(int((item.ends_at - item.starts_at).total_seconds() // 60), 0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _room_name(item: Item) -> str:
    if item.room:
        return item.room.name_en or item.room.name_ja
    return ONLINE_ROOM if item.format == "online" else NO_ROOM


def _room_guid(conference: Conference, item: Item) -> str:
    """Rooms of the edition by id; the two places without one ("Online", "To be announced") by name."""
    return guid(conference, "room", item.room.id if item.room else _room_name(item))


def _event_slug(conference: Conference, item: Item) -> str:
    words = ascii_slug(item.title_en or item.title_ja)[:60].strip("-")
    return f"{acronym(conference.slug)}-{item.id:04d}" + (f"-{words}" if words else "")


def _published(schedule: Schedule) -> list[Item]:
    return [item for item in schedule.items if item.status != "cancelled"]


def _days(schedule: Schedule) -> list[tuple[int, date, datetime, datetime, list[Item]]]:
    """(index from 1, date, start, end, items) per day; a day's span runs from its first start to its last end."""
    zone = schedule.zone
    result = []
    items = _published(schedule)
    for index, day in enumerate(schedule.days, start=1):
        mine = [i for i in items if schedule.day_of(i) == day]
        if mine:
            start = min(i.starts_at for i in mine).astimezone(zone)
            end = max(i.ends_at for i in mine).astimezone(zone)
        else:
            start = datetime.combine(day, time(0, 0), zone)
            end = start + timedelta(days=1) - timedelta(seconds=1)
        result.append((index, day, start, end, mine))
    return result


def _by_room(items: list[Item]) -> dict[str, list[Item]]:
    rooms: dict[str, list[Item]] = {}
    for item in items:
        rooms.setdefault(_room_name(item), []).append(item)
    return rooms


def _subtitle(item: Item) -> str | None:
    return item.title_ja if item.title_ja and item.title_ja != item.title_en else None


def _description(item: Item) -> str:
    return "\n\n".join(p for p in (item.abstract_en, item.abstract_ja) if p)


def _track_slug(name: str) -> str | None:
    slug = ascii_slug(name)
    return slug if re.fullmatch(r"[a-z][a-z0-9-]+", slug) else None


# --- schedule.json ------------------------------------------------------------------------------------


def _json_event(conference: Conference, schedule: Schedule, item: Item) -> dict[str, Any]:
    start = item.starts_at.astimezone(schedule.zone)
    return {
        "guid": guid(conference, "session", item.id),
        "id": item.id,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": item.ends_at.astimezone(schedule.zone).isoformat(),
        "duration": _duration(item),
        "room": _room_name(item),
        "slug": _event_slug(conference, item),
        "url": f"{conference.base_url}/sessions/{item.id}",
        "title": item.title_en or item.title_ja,
        "subtitle": _subtitle(item),
        "track": item.track.name_en if item.track else None,
        "type": item.kind,
        "language": item.floor_language,
        "abstract": item.abstract_en or item.abstract_ja,
        "description": _description(item),
        "persons": [
            {
                "name": role.person.name,
                # Older readers (frab's) show `public_name` only; without an `id` the person keeps matching
                # exactly one of the schema's two person shapes.
                "public_name": role.person.name,
                "guid": guid(conference, "person", role.person.slug),
            }
            for role in item.people
        ],
        "do_not_record": item.recording == "do_not_record",  # the speakers' word, for video teams
        "links": [],
    }


def schedule_json(conference: Conference, schedule: Schedule) -> dict[str, Any]:
    tracks = []
    for track in schedule.tracks:
        entry: dict[str, Any] = {"name": track.name_en or track.name_ja}
        if slug := _track_slug(track.name_en):
            entry["slug"] = slug
        if _HEX_COLOUR.fullmatch(track.colour or ""):
            entry["color"] = track.colour
        tracks.append(entry)
    rooms = [
        {
            "name": room.name_en or room.name_ja,
            "guid": guid(conference, "room", room.id),
            "capacity": room.capacity,
            "description": {"en": room.name_en, "ja": room.name_ja},
        }
        for room in schedule.rooms
    ]
    # The places of sessions without a room of the edition, so that every room an event names is listed.
    placeless = {_room_name(item): item for item in _published(schedule) if item.room is None}
    rooms += [
        {
            "name": name,
            "guid": _room_guid(conference, item),
            "description": {"en": name.split(" / ")[0], "ja": name.split(" / ")[-1]},
        }
        for name, item in sorted(placeless.items())
    ]
    days = [
        {
            "index": index,
            "date": day.isoformat(),
            "day_start": start.isoformat(),
            "day_end": end.isoformat(),
            "rooms": {
                room: [_json_event(conference, schedule, item) for item in items]
                for room, items in _by_room(mine).items()
            },
        }
        for index, day, start, end, mine in _days(schedule)
    ]
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": GENERATOR,
        "schedule": {
            "version": str(schedule.version),
            "base_url": f"{conference.base_url}/",
            "conference": {
                "acronym": acronym(conference.slug),
                "title": conference.title_en or conference.title_ja,
                "start": schedule.first_day.isoformat(),
                "end": schedule.last_day.isoformat(),
                "daysCount": len(days),
                "timeslot_duration": "00:05",
                "time_zone_name": schedule.timezone,
                "url": f"{conference.base_url}/agenda",
                "tracks": tracks,
                "rooms": rooms,
                "days": days,
            },
        },
    }


# --- schedule.xml (frab) ------------------------------------------------------------------------------


# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(parent: ET.Element, tag: str, value: object, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attributes.items()})
    element.text = "" if value is None else _NOT_XML.sub("", str(value))
    return element


def schedule_xml(conference: Conference, schedule: Schedule) -> bytes:
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", {"name": GENERATOR["name"], "version": GENERATOR["version"]})
    _text(root, "url", f"{conference.base_url}/schedule.xml")
    _text(root, "version", schedule.version)
    conf = ET.SubElement(root, "conference")
    _text(conf, "title", conference.title_en or conference.title_ja)
    _text(conf, "acronym", acronym(conference.slug))
    _text(conf, "start", schedule.first_day.isoformat())
    _text(conf, "end", schedule.last_day.isoformat())
    days = _days(schedule)
    _text(conf, "days", len(days))
    _text(conf, "timeslot_duration", "00:05")
    _text(conf, "base_url", f"{conference.base_url}/")
    _text(conf, "url", f"{conference.base_url}/agenda")
    _text(conf, "time_zone_name", schedule.timezone)
    for track in schedule.tracks:
        attributes = {"name": track.name_en or track.name_ja}
        if _HEX_COLOUR.fullmatch(track.colour or ""):
            attributes["color"] = track.colour
        if slug := _track_slug(track.name_en):
            attributes["slug"] = slug
        _text(conf, "track", attributes["name"], **attributes)
    for index, day, start, end, mine in days:
        day_element = ET.SubElement(
            root,
            "day",
            {
                "index": str(index),
                "date": day.isoformat(),
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
        for room_name, items in _by_room(mine).items():
            room_attributes = {"name": room_name, "guid": _room_guid(conference, items[0])}
            room_element = ET.SubElement(day_element, "room", room_attributes)
            for item in items:
                _xml_event(room_element, conference, schedule, item)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _xml_event(parent: ET.Element, conference: Conference, schedule: Schedule, item: Item) -> None:
    data = _json_event(conference, schedule, item)
    event = ET.SubElement(parent, "event", {"id": str(item.id), "guid": data["guid"]})
    for tag in ("room", "title", "subtitle", "type", "date", "start", "duration", "abstract", "slug"):
        if data[tag] is not None:
            _text(event, tag, data[tag])
    _text(event, "track", data["track"] or "")
    persons = ET.SubElement(event, "persons")
    for role in item.people:
        _text(
            persons,
            "person",
            role.person.name,
            id=str(role.person.id),
            guid=guid(conference, "person", role.person.slug),
        )
    _text(event, "language", data["language"])
    _text(event, "description", data["description"])
    recording = ET.SubElement(event, "recording")
    _text(recording, "license", "")
    _text(recording, "optout", "true" if data["do_not_record"] else "false")
    ET.SubElement(event, "links")
    _text(event, "url", data["url"])
