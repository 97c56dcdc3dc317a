"""What a change notice says beyond "changed (time)": the old and the new value of what moved. Pure.

`details_of` reads two release snapshots once, at publication, and keeps language-neutral values (instants
in UTC, rooms and titles in both languages, speakers by name, format codes) with the release's change, so
the public "what changed" list and the mails word them later in the reader's language and the conference's
zone (`describe`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ascc import dates
from ascc.i18n import translate

# The fields whose old and new value a notice names (the others are named only: a new description is long).
DETAILED = ("time", "room", "title", "speakers", "format", "capacity")


def _room(snapshot: Mapping[str, Any], room_id: int | None) -> dict[str, str] | None:
    for room in snapshot.get("rooms", ()):
        if room["id"] == room_id:
            return {"en": room["name_en"], "ja": room["name_ja"]}
    return None


def _speakers(snapshot: Mapping[str, Any], people: list[Any]) -> list[str]:
    names = {p["id"]: p["name"] for p in snapshot.get("people", ())}
    return [names[speaker_id] for speaker_id, _role in people if speaker_id in names]


def _value(field: str, snapshot: Mapping[str, Any], s: Mapping[str, Any]) -> Any:
    if field == "time":
        return [s["starts_at"], s["ends_at"]]
    if field == "room":
        return _room(snapshot, s.get("room_id"))
    if field == "title":
        return {"en": s["title_en"], "ja": s["title_ja"]}
    if field == "speakers":
        return _speakers(snapshot, s.get("people", []))
    return s.get(field)  # format, capacity


def _where(snapshot: Mapping[str, Any], s: Mapping[str, Any]) -> dict[str, Any]:
    return {"time": _value("time", snapshot, s), "room": _value("room", snapshot, s)}


def details_of(
    change: str,
    fields: tuple[str, ...] | list[str],
    session_id: int,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
) -> dict[str, Any]:
    """Old and new values of one change (schedule.diff's), as JSON."""
    before = next((s for s in (old or {}).get("sessions", ()) if s["id"] == session_id), None)
    after = next((s for s in new.get("sessions", ()) if s["id"] == session_id), None)
    if change == "added" and after is not None:
        return {"at": _where(new, after)}
    if change in ("cancelled", "removed"):
        # Where and when it was to take place (a cancelled session is also still in the new release).
        if before is not None and old is not None:
            return {"was": _where(old, before)}
        return {"was": _where(new, after)} if after is not None else {}
    if change != "changed" or before is None or after is None or old is None:
        return {}
    return {
        field: {"before": _value(field, old, before), "after": _value(field, new, after)}
        for field in fields
        if field in DETAILED
    }


# --- Wording, in the reader's language ------------------------------------------------------------


def _when(value: Any, lang: str, tz: ZoneInfo) -> str:
    starts, ends = (datetime.fromisoformat(v) for v in value)
    return dates.format_range(starts, ends, lang, tz)


def _text(field: str, value: Any, lang: str, tz: ZoneInfo) -> str:
    if field == "time":
        return _when(value, lang, tz)
    if field in ("room", "title"):
        if not value:
            return translate(lang, "programme.no_room") if field == "room" else ""
        return value.get(lang) or value.get("ja" if lang == "en" else "en") or ""
    if field == "speakers":
        return ", ".join(value) if value else translate(lang, "programme.change_nobody")
    if field == "format":
        return translate(lang, f"programme.format.{value}") if value else ""
    if field == "capacity":
        return str(value) if value else translate(lang, "programme.change_unlimited")
    return str(value)


def _label(field: str, lang: str) -> str:
    label = translate(lang, f"programme.field.{field}")
    return label[:1].upper() + label[1:]


def _place(where: Mapping[str, Any], lang: str, tz: ZoneInfo) -> str:
    when = _when(where["time"], lang, tz)
    room = _text("room", where["room"], lang, tz) if where.get("room") else ""
    return f"{when}{'、' if lang == 'ja' else ', '}{room}" if room else when


def describe(change: str, details: Mapping[str, Any] | None, lang: str, tz: ZoneInfo) -> list[str]:
    """One line per detail: "Time: Tue 14 Nov 14:00–15:00 → Tue 14 Nov 14:30–15:30"; [] when none was kept
    (releases published before details were kept)."""
    if not details:
        return []
    if change in ("cancelled", "removed") and "was" in details:
        return [translate(lang, "programme.change_was", what=_place(details["was"], lang, tz))]
    if change == "added" and "at" in details:
        return [translate(lang, "programme.change_at", what=_place(details["at"], lang, tz))]
    lines = []
    for field in DETAILED:
        if field in details:
            value = details[field]
            lines.append(
                translate(
                    lang,
                    "programme.change_line",
                    field=_label(field, lang),
                    before=_text(field, value["before"], lang, tz),
                    after=_text(field, value["after"], lang, tz),
                )
            )
    return lines
