"""Programme sessions as organizers edit them: the form, its validation (every error at once), the
conflict warnings an organizer confirms before saving (ascc.programme.schedule finds them), saving with the
session's capacity pool, deleting one the public never saw. All audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.programme.editing import list_speakers, list_tracks
from ascc.programme.models import (
    FORMATS,
    KINDS,
    LANGUAGES,
    ROLES,
    SESSION_STATUSES,
    Material,
    ProgrammeSession,
    Release,
    SessionPerson,
)
from ascc.programme.schedule import Slot, Warning, all_conflicts, conflicts
from ascc.taxonomy import SECTORS
from ascc.text import as_number, clean_block, clean_line, collect, required_line

if TYPE_CHECKING:
    from ascc.editions.models import Edition

_SDG = re.compile(r"^(1[0-7]|[1-9])(\.([1-9][0-9]?|[a-c]))?$")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
ABSTRACT_MAX = 20_000
CAPACITY_MAX = 100_000


def pool_key(session_id: int) -> str:
    return f"session:{session_id}"


@dataclass
class SessionInput:
    """A session as an organizer's form sends it: times as a day and HH:MM in the edition's zone."""

    title_en: str = ""
    title_ja: str = ""
    abstract_en: str = ""
    abstract_ja: str = ""
    kind: str = "thematic"
    day: str = ""
    start: str = ""
    end: str = ""
    room_id: str = ""
    track_id: str = ""
    sdgs: str = ""
    sectors: list[str] = field(default_factory=list)
    floor_language: str = "en"
    interpretation: list[str] = field(default_factory=list)
    format: str = "in_person"
    capacity: str = ""
    status: str = "draft"
    speakers: list[str] = field(default_factory=list)
    moderators: list[str] = field(default_factory=list)
    panelists: list[str] = field(default_factory=list)


@dataclass
class CleanSession:
    values: dict[str, Any]
    people: list[tuple[int, str]]  # (speaker id, role) in order


class NeedsConfirmation(DomainError):
    """The session can be saved, but the organizer must confirm the warnings first."""

    status_code = 409

    def __init__(self, warnings: list[Warning]) -> None:
        super().__init__("programme.warnings_confirm", "warnings")
        self.warnings = warnings


def _time(errors: dict, name: str, value: str) -> time | None:
    match = _TIME.match(clean_line(value))
    if not match:
        errors[name] = ("error.time_invalid", {})
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _ids(values: list[str], known: set[int]) -> list[int] | None:
    ids: list[int] = []
    for value in values:
        number = as_number(value)
        if number is None or number not in known:
            return None
        if number not in ids:
            ids.append(number)
    return ids


async def validate_session(session: AsyncSession, edition: Edition, data: SessionInput) -> CleanSession:
    """Errors (which cannot be overridden) for every field at once."""
    errors: dict = {}
    values: dict[str, Any] = {}
    values["title_en"] = collect(errors, required_line, "title_en", data.title_en, 300)
    values["title_ja"] = collect(errors, required_line, "title_ja", data.title_ja, 300)
    for key in ("abstract_en", "abstract_ja"):
        values[key] = clean_block(getattr(data, key))
        if len(values[key]) > ABSTRACT_MAX:
            errors[key] = ("error.too_long", {"max": ABSTRACT_MAX})
    for key, allowed in (
        ("kind", KINDS),
        ("format", FORMATS),
        ("floor_language", LANGUAGES),
        ("status", SESSION_STATUSES),
    ):
        value = getattr(data, key)
        if value not in allowed:
            errors[key] = ("error.choice_invalid", {})
        values[key] = value
    values["interpretation"] = [c for c in LANGUAGES if c in data.interpretation and c != data.floor_language]
    if any(c not in LANGUAGES for c in data.interpretation):
        errors["interpretation"] = ("error.choice_invalid", {})
    values["sectors"] = [s for s in SECTORS if s in data.sectors]
    if any(s not in SECTORS for s in data.sectors):
        errors["sectors"] = ("error.choice_invalid", {})
    tags = [t for t in re.split(r"[\s,、，]+", clean_line(data.sdgs)) if t]
    if any(not _SDG.match(t) for t in tags) or len(tags) > 30:
        errors["sdgs"] = ("error.sdg_invalid", {})
    values["sdgs"] = list(dict.fromkeys(tags))
    # Times in the edition's zone.
    tz = ZoneInfo(edition.timezone)
    try:
        day = date.fromisoformat(clean_line(data.day))
    except ValueError:
        day = None
        errors["day"] = ("error.date_invalid", {})
    start, end = _time(errors, "start", data.start), _time(errors, "end", data.end)
    if day and start and end:
        values["starts_at"] = datetime.combine(day, start, tz)
        values["ends_at"] = datetime.combine(day, end, tz)
        if values["ends_at"] <= values["starts_at"]:
            errors["end"] = ("error.session_end_before_start", {})
    # Room and track must be this edition's.
    rooms = {r.id for r in await editions.list_rooms(session, edition.id)}
    tracks = {t.id for t in await list_tracks(session, edition.id)}
    for key, known in (("room_id", rooms), ("track_id", tracks)):
        raw = clean_line(getattr(data, key))
        if not raw:
            values[key] = None
        elif as_number(raw) in known:
            values[key] = as_number(raw)
        else:
            errors[key] = ("error.unknown_room" if key == "room_id" else "error.unknown_track", {})
    raw_capacity = clean_line(data.capacity)
    values["capacity"] = None
    if raw_capacity:
        capacity = as_number(raw_capacity)
        if capacity is None or not 1 <= capacity <= CAPACITY_MAX:
            errors["capacity"] = ("error.number_range", {"min": 1, "max": CAPACITY_MAX})
        else:
            values["capacity"] = capacity
    speakers = {s.id for s in await list_speakers(session, edition.id)}
    people: list[tuple[int, str]] = []
    for role, chosen in zip(ROLES, (data.speakers, data.moderators, data.panelists), strict=True):
        ids = _ids(chosen, speakers)
        if ids is None:
            errors[f"{role}s"] = ("error.unknown_speaker", {})
            continue
        people += [(i, role) for i in ids if i not in {p for p, _ in people}]
    if errors:
        raise ValidationFailed(errors)
    return CleanSession(values, people)


async def list_sessions(session: AsyncSession, edition_id: int) -> list[ProgrammeSession]:
    rows = await session.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.edition_id == edition_id)
        .options(selectinload(ProgrammeSession.people).selectinload(SessionPerson.speaker))
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    )
    return list(rows.all())


async def get_session(session: AsyncSession, edition_id: int, session_id: int) -> ProgrammeSession:
    row = await session.scalar(
        select(ProgrammeSession)
        .where(ProgrammeSession.id == session_id, ProgrammeSession.edition_id == edition_id)
        .options(
            selectinload(ProgrammeSession.people).selectinload(SessionPerson.speaker),
            selectinload(ProgrammeSession.materials).selectinload(Material.file),
        )
    )
    if row is None:
        raise NotFound("session")
    return row


def _slot(row: ProgrammeSession) -> Slot:
    return Slot(
        row.id,
        row.title_en,
        row.starts_at,
        row.ends_at,
        row.room_id,
        frozenset(p.speaker_id for p in row.people),
    )


async def warnings_for(
    session: AsyncSession, edition: Edition, session_id: int | None, clean: CleanSession
) -> list[Warning]:
    candidate = Slot(
        session_id,
        clean.values["title_en"],
        clean.values["starts_at"],
        clean.values["ends_at"],
        clean.values["room_id"],
        frozenset(p for p, _ in clean.people),
    )
    if clean.values["status"] == "cancelled":
        return []
    others = [_slot(row) for row in await list_sessions(session, edition.id) if row.status != "cancelled"]
    return conflicts(candidate, others, edition.starts_on, edition.ends_on, ZoneInfo(edition.timezone))


async def programme_warnings(
    session: AsyncSession, edition: Edition, rows: list[ProgrammeSession] | None = None
) -> list[Warning]:
    rows = rows if rows is not None else await list_sessions(session, edition.id)
    slots = [_slot(row) for row in rows if row.status != "cancelled"]
    return all_conflicts(slots, edition.starts_on, edition.ends_on, ZoneInfo(edition.timezone))


SESSION_FIELDS = (
    "title_en",
    "title_ja",
    "abstract_en",
    "abstract_ja",
    "kind",
    "starts_at",
    "ends_at",
    "sdgs",
    "sectors",
    "floor_language",
    "interpretation",
    "format",
    "capacity",
    "status",
)


async def _session_view(session: AsyncSession, edition: Edition, row: ProgrammeSession) -> dict[str, Any]:
    """A session as the audit log keeps it: times in the conference's zone, room, track and people by name."""
    tz = ZoneInfo(edition.timezone)
    view = audit.snapshot(row, SESSION_FIELDS)
    view["starts_at"] = row.starts_at.astimezone(tz).isoformat(timespec="minutes")
    view["ends_at"] = row.ends_at.astimezone(tz).isoformat(timespec="minutes")
    rooms = {r.id: r.name_en for r in await editions.list_rooms(session, edition.id)}
    tracks = {t.id: t.name_en for t in await list_tracks(session, edition.id)}
    names = {s.id: s.name for s in await list_speakers(session, edition.id)}
    view["room"] = rooms.get(row.room_id) if row.room_id else None
    view["track"] = tracks.get(row.track_id) if row.track_id else None
    view["people"] = [f"{names.get(p.speaker_id, p.speaker_id)} ({p.role})" for p in row.people]
    return view


async def save_session(
    session: AsyncSession,
    edition: Edition,
    session_id: int | None,
    data: SessionInput,
    confirmed: bool = False,
    actor: audit.Actor | None = None,
) -> tuple[ProgrammeSession, list[str]]:
    """Create or update a session. Returns it and the holders promoted by a larger capacity.

    Raises ValidationFailed for errors, NeedsConfirmation for warnings not yet confirmed.
    """
    clean = await validate_session(session, edition, data)
    warnings = await warnings_for(session, edition, session_id, clean)
    if session_id is not None:
        warnings += await _capacity_warnings(session, session_id, clean.values["capacity"])
    if warnings and not confirmed:
        raise NeedsConfirmation(warnings)
    before = None
    if session_id is None:
        row = ProgrammeSession(edition_id=edition.id, people=[], materials=[])
        session.add(row)
    else:
        row = await get_session(session, edition.id, session_id)
        before = await _session_view(session, edition, row)
    for key, value in clean.values.items():
        setattr(row, key, value)
    current = {p.speaker_id: p for p in row.people}
    row.people = [
        _person(current.get(speaker_id), speaker_id, role, index)
        for index, (speaker_id, role) in enumerate(clean.people)
    ]
    await session.flush()
    after = await _session_view(session, edition, row)
    verb = "session_create" if before is None else "session_update"
    if before is not None and before["status"] != "cancelled" and row.status == "cancelled":
        verb = "session_cancel"
    await audit.record(
        session,
        actor,
        f"programme.{verb}",
        "session",
        row.id,
        row.title_en,
        before=before,
        after=after,
        edition_id=edition.id,
    )
    promoted: list[str] = []
    if row.capacity is not None or await capacity.holder_count(session, pool_key(row.id)):
        await capacity.ensure_pool(session, pool_key(row.id), row.capacity)
        promoted = await capacity.set_limit(session, pool_key(row.id), row.capacity)
    return row, promoted


async def _capacity_warnings(session: AsyncSession, session_id: int, limit: int | None) -> list[Warning]:
    """Fewer places than people holding one: capacity.set_limit removes nobody (they keep their seats), lets
    nobody new in until fewer than `limit` hold one, and keeps the waiting list in its order. The organizer
    confirms that knowingly; the new number applies at once, not at the next publication."""
    if limit is None:
        return []
    counts = await capacity.counts(session, pool_key(session_id))
    if counts.limit == limit or counts.confirmed <= limit:
        return []
    return [
        Warning(
            "capacity_below_holders",
            session_id,
            holders=counts.confirmed,
            limit=limit,
            waiting=counts.waiting,
        )
    ]


def _person(existing: SessionPerson | None, speaker_id: int, role: str, index: int) -> SessionPerson:
    person = existing or SessionPerson(speaker_id=speaker_id)
    person.role, person.sort_order = role, index
    return person


def form_of(row: ProgrammeSession, tz: ZoneInfo) -> SessionInput:
    """The organizer's form filled from a stored session."""
    start, end = row.starts_at.astimezone(tz), row.ends_at.astimezone(tz)
    by_role = {role: [str(p.speaker_id) for p in row.people if p.role == role] for role in ROLES}
    return SessionInput(
        title_en=row.title_en,
        title_ja=row.title_ja,
        abstract_en=row.abstract_en,
        abstract_ja=row.abstract_ja,
        kind=row.kind,
        day=start.date().isoformat(),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        room_id=str(row.room_id or ""),
        track_id=str(row.track_id or ""),
        sdgs=", ".join(row.sdgs),
        sectors=list(row.sectors),
        floor_language=row.floor_language,
        interpretation=list(row.interpretation),
        format=row.format,
        capacity=str(row.capacity or ""),
        status=row.status,
        speakers=by_role["speaker"],
        moderators=by_role["moderator"],
        panelists=by_role["panelist"],
    )


async def delete_session(
    session: AsyncSession, edition_id: int, session_id: int, actor: audit.Actor | None = None
) -> None:
    """Only a session the public has never seen may be deleted; a published one is cancelled instead."""
    row = await get_session(session, edition_id, session_id)
    if await was_released(session, edition_id, session_id):
        raise DomainError("error.session_was_published", "was_published", status=409)
    await audit.record(
        session,
        actor,
        "programme.session_delete",
        "session",
        row.id,
        row.title_en,
        before=audit.snapshot(row, ("title_en", "title_ja", "starts_at", "ends_at", "status")),
        edition_id=edition_id,
    )
    await session.delete(row)
    await session.flush()


async def was_released(session: AsyncSession, edition_id: int, session_id: int) -> bool:
    snapshots = await session.scalars(
        select(Release.snapshot).where(Release.edition_id == edition_id).order_by(Release.version.desc())
    )
    return any(s["id"] == session_id for snapshot in snapshots for s in snapshot["sessions"])
