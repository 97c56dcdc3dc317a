"""Editions: one a year, exactly one current; their rooms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import available_timezones

from sqlalchemy import extract, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.util import identity_key

from ascc.audit import services as audit
from ascc.editions.models import EDITION_STATUSES, Edition, Room
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.text import FieldError, as_number, clean_line, collect, optional_line, required_line
from ascc.write_watch import Kept, WriteWatch

__all__ = ["EDITION_STATUSES", "Edition", "EditionInput", "Room", "RoomInput"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{2,39}$")


@dataclass
class RoomInput:
    name_en: str
    name_ja: str
    floor: str | None = None
    capacity: int | None = None
    hybrid: bool = False


@dataclass
class EditionInput:
    slug: str
    name_en: str
    name_ja: str
    starts_on: date | str | None
    ends_on: date | str | None
    timezone: str = "Asia/Tokyo"
    venue_name_en: str = ""
    venue_name_ja: str = ""
    venue_address_en: str = ""
    venue_address_ja: str = ""
    theme_en: str | None = None
    theme_ja: str | None = None
    status: str = "draft"
    rooms: list[RoomInput] = field(default_factory=list)
    # The timeline (ascc.editions.phases); the edition form leaves it alone, set_timeline changes it.
    registration_opens_on: date | str | None = None
    registration_closes_on: date | str | None = None
    meeting_requests_close_on: date | str | None = None


def _date(value: date | str | None, name: str, errors: dict) -> date | None:
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat((value or "").strip())
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        errors[name] = ("error.date_invalid", {})
        return None
    return parsed


def validate(data: EditionInput) -> EditionInput:
    errors: dict = {}
    data.slug = (data.slug or "").strip().lower()
    if not _SLUG.match(data.slug):
        errors["slug"] = ("error.slug_invalid", {})
    for name in ("name_en", "name_ja"):
        try:
            setattr(data, name, required_line(name, getattr(data, name)))
        except FieldError as exc:
            errors[name] = (exc.key, exc.params)
    for name in (
        "venue_name_en",
        "venue_name_ja",
        "venue_address_en",
        "venue_address_ja",
        "theme_en",
        "theme_ja",
    ):
        try:
            setattr(data, name, optional_line(name, getattr(data, name), 300) or "")
        except FieldError as exc:
            errors[name] = (exc.key, exc.params)
    data.starts_on = _date(data.starts_on, "starts_on", errors)
    data.ends_on = _date(data.ends_on, "ends_on", errors)
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors["ends_on"] = ("error.end_before_start", {})
    data.timezone = (data.timezone or "").strip()
    if "/" not in data.timezone or data.timezone not in available_timezones():
        errors["timezone"] = ("error.timezone_invalid", {})
    if data.status not in EDITION_STATUSES:
        errors["status"] = ("error.choice_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    return data


EDITABLE_FIELDS = (
    "name_en",
    "name_ja",
    "starts_on",
    "ends_on",
    "timezone",
    "venue_name_en",
    "venue_name_ja",
    "venue_address_en",
    "venue_address_ja",
    "theme_en",
    "theme_ja",
    "status",
)


TIMELINE_FIELDS = ("registration_opens_on", "registration_closes_on", "meeting_requests_close_on")


@dataclass
class TimelineInput:
    registration_opens_on: date | str | None = None
    registration_closes_on: date | str | None = None
    meeting_requests_close_on: date | str | None = None


def optional_day(value: date | str | None, name: str, errors: dict) -> date | None:
    """A day from a form or the seed, or None when left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _date(value, name, errors)


def validate_timeline(starts_on: date, ends_on: date, data: TimelineInput) -> TimelineInput:
    """Registration opens before it closes; nothing closes after the conference's last day."""
    errors: dict = {}
    for name in TIMELINE_FIELDS:
        setattr(data, name, optional_day(getattr(data, name), name, errors))
    opens, closes = data.registration_opens_on, data.registration_closes_on
    if isinstance(opens, date) and isinstance(closes, date) and closes < opens:
        errors["registration_closes_on"] = ("error.end_before_start", {})
    for name in TIMELINE_FIELDS:
        day = getattr(data, name)
        if isinstance(day, date) and day > ends_on and name not in errors:
            errors[name] = ("error.after_conference", {"day": ends_on.isoformat()})
    if errors:
        raise ValidationFailed(errors)
    return data


async def set_timeline(
    session: AsyncSession, edition: Edition, data: TimelineInput, actor: audit.Actor | None = None
) -> Edition:
    """The edition's registration and meeting-request dates (audited)."""
    data = validate_timeline(edition.starts_on, edition.ends_on, data)
    before = audit.snapshot(edition, TIMELINE_FIELDS)
    for name in TIMELINE_FIELDS:
        setattr(edition, name, getattr(data, name))
    await session.flush()
    after = audit.snapshot(edition, TIMELINE_FIELDS)
    if after != before:
        await audit.record(
            session,
            actor,
            "edition.timeline",
            "edition",
            edition.id,
            edition.name_en,
            before=before,
            after=after,
            edition_id=edition.id,
        )
    return edition


def _timeline_of(data: EditionInput) -> TimelineInput:
    assert isinstance(data.starts_on, date) and isinstance(data.ends_on, date)  # validate made them days
    return validate_timeline(
        data.starts_on, data.ends_on, TimelineInput(*(getattr(data, name) for name in TIMELINE_FIELDS))
    )


async def create(session: AsyncSession, data: EditionInput) -> Edition:
    data = validate(data)
    timeline = _timeline_of(data)
    if await session.scalar(select(Edition.id).where(Edition.slug == data.slug)):
        raise ValidationFailed({"slug": ("error.slug_taken", {})})
    edition = Edition(slug=data.slug, is_current=False, **{f: getattr(data, f) for f in EDITABLE_FIELDS})
    for name in TIMELINE_FIELDS:
        setattr(edition, name, getattr(timeline, name))
    edition.rooms = [Room(sort_order=i, **vars(room)) for i, room in enumerate(data.rooms)]
    session.add(edition)
    await session.flush()
    return edition


async def update_edition(session: AsyncSession, slug: str, data: EditionInput) -> Edition:
    edition = await get_by_slug(session, slug)
    data.slug = edition.slug  # the slug is an address people have bookmarked; it does not change
    data = validate(data)
    for name in EDITABLE_FIELDS:
        setattr(edition, name, getattr(data, name))
    await session.flush()
    return edition


async def upsert(session: AsyncSession, data: EditionInput) -> Edition:
    """Seed helper: create the edition, or bring it and its rooms in line with the data."""
    existing = await session.scalar(
        select(Edition).where(Edition.slug == data.slug).options(selectinload(Edition.rooms))
    )
    if existing is None:
        return await create(session, data)
    data = validate(data)
    timeline = _timeline_of(data)
    for name in EDITABLE_FIELDS:
        setattr(existing, name, getattr(data, name))
    for name in TIMELINE_FIELDS:
        setattr(existing, name, getattr(timeline, name))
    by_name = {room.name_en: room for room in existing.rooms}
    for index, room_data in enumerate(data.rooms):
        room = by_name.get(room_data.name_en)
        if room is None:
            existing.rooms.append(Room(sort_order=index, **vars(room_data)))
        else:
            for key, value in vars(room_data).items():
                setattr(room, key, value)
            room.sort_order = index
    await session.flush()
    return existing


async def set_current(session: AsyncSession, slug: str) -> Edition:
    edition = await get_by_slug(session, slug)
    if edition.status == "draft":  # the current edition is what everyone sees on the home page
        raise DomainError("error.draft_not_current", "draft_not_current", field="status", status=409)
    # Clear first, then set: the unique index allows only one current edition at any moment.
    await session.execute(update(Edition).where(Edition.id != edition.id).values(is_current=False))
    await session.flush()
    edition.is_current = True
    await session.flush()
    return edition


# Built once: nearly every page asks, and building and keying the statement cost more than running it.
_CURRENT = select(Edition).where(Edition.is_current.is_(True))
# The current edition's columns, kept for a second per worker: nearly every page and API call asks for it, and
# it changes a few times a year. Any write of this process to an edition forgets it at once; another worker's
# within the second (ascc.write_watch).
_edition_writes = WriteWatch({"edition"})
_kept_current = Kept(_edition_writes, ttl=1.0, size=8)


async def current(session: AsyncSession) -> Edition | None:
    # Keyed by the database: a worker has one, but the tests run many apps, each on a database of its own.
    database = session.get_bind().engine.url
    kept = _kept_current.get(database)
    if kept is not None:
        if session.sync_session.identity_map.get(identity_key(Edition, kept.id)) is not None:
            # This session has it already, perhaps with changes of its own or expired by a rollback: ask as
            # before (flushing those changes, reloading what expired) instead of copying the kept columns over.
            return await session.scalar(_CURRENT)
        # A copy of the kept columns joins this session as if just loaded, without a query (its rooms are not
        # loaded, as after a plain select: they raise if touched).
        return await session.merge(kept, load=False)
    seen = _edition_writes.generation
    edition = await session.scalar(_CURRENT)
    if edition is not None:
        _kept_current.put(database, _detached_copy(edition), seen)
    return edition


def _detached_copy(edition: Edition) -> Edition:
    columns = {attr.key: getattr(edition, attr.key) for attr in Edition.__mapper__.column_attrs}
    copy = Edition(**columns)
    make_transient_to_detached(copy)
    return copy


async def require_current(session: AsyncSession) -> Edition:
    """The current edition, or NotFound (a page about "this year's" anything needs one)."""
    edition = await current(session)
    if edition is None:
        raise NotFound("edition")
    return edition


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return bool(await session.scalar(select(Edition.id).where(Edition.slug == slug)))


async def slug_in_year(session: AsyncSession, year: int) -> str | None:
    """An edition starting in `year`, if there is one (one edition a year)."""
    return await session.scalar(
        select(Edition.slug).where(extract("year", Edition.starts_on) == year).limit(1)
    )


async def get_by_slug(session: AsyncSession, slug: str, with_rooms: bool = False) -> Edition:
    statement = select(Edition).where(Edition.slug == slug)
    if with_rooms:
        statement = statement.options(selectinload(Edition.rooms))
    edition = await session.scalar(statement)
    if edition is None:
        raise NotFound("edition")
    return edition


async def get_by_id(session: AsyncSession, edition_id: int) -> Edition:
    edition = await session.get(Edition, edition_id)
    if edition is None:
        raise NotFound("edition")
    return edition


async def list_editions(session: AsyncSession, include_drafts: bool = False) -> list[Edition]:
    statement = select(Edition).order_by(Edition.starts_on.desc())
    if not include_drafts:
        statement = statement.where(Edition.status != "draft")
    return list((await session.scalars(statement)).all())


# --- Rooms of an edition's venue (managed from the programme pages) -------------------------------


async def list_rooms(session: AsyncSession, edition_id: int) -> list[Room]:
    rows = await session.scalars(
        select(Room).where(Room.edition_id == edition_id).order_by(Room.sort_order, Room.id)
    )
    return list(rows.all())


def validate_room(values: dict[str, str]) -> RoomInput:
    """A room from a form: both names, an optional floor, an optional capacity of 1 to 100,000."""
    errors: dict = {}
    names = {
        name: collect(errors, required_line, name, values.get(name), 120) for name in ("name_en", "name_ja")
    }
    floor = clean_line(values.get("floor"))[:40] or None
    capacity = None
    raw = clean_line(values.get("capacity"))
    if raw:
        number = as_number(raw)
        if number is None or not 1 <= number <= 100_000:
            errors["capacity"] = ("error.number_range", {"min": 1, "max": 100_000})
        else:
            capacity = number
    if errors:
        raise ValidationFailed(errors)
    return RoomInput(
        names["name_en"], names["name_ja"], floor, capacity, values.get("hybrid") in ("1", "on", "true")
    )


ROOM_FIELDS = ("name_en", "name_ja", "floor", "capacity", "hybrid")


async def save_room(
    session: AsyncSession,
    edition_id: int,
    room_id: int | None,
    data: RoomInput,
    actor: audit.Actor | None = None,
) -> Room:
    before = None
    if room_id is None:
        count = len(await list_rooms(session, edition_id))
        room = Room(edition_id=edition_id, sort_order=count, **vars(data))
        session.add(room)
    else:
        room = await get_room(session, edition_id, room_id)
        before = audit.snapshot(room, ROOM_FIELDS)
        for key, value in vars(data).items():
            setattr(room, key, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "programme.room_save",
        "room",
        room.id,
        room.name_en,
        before=before,
        after=audit.snapshot(room, ROOM_FIELDS),
        edition_id=edition_id,
    )
    return room


async def get_room(session: AsyncSession, edition_id: int, room_id: int) -> Room:
    room = await session.get(Room, room_id)
    if room is None or room.edition_id != edition_id:
        raise NotFound("room")
    return room


async def delete_room(
    session: AsyncSession, edition_id: int, room_id: int, actor: audit.Actor | None = None
) -> None:
    """Sessions in the room keep their time and lose the room (the programme warns about them)."""
    room = await get_room(session, edition_id, room_id)
    await audit.record(
        session,
        actor,
        "programme.room_delete",
        "room",
        room.id,
        room.name_en,
        before=audit.snapshot(room, ROOM_FIELDS),
        edition_id=edition_id,
    )
    await session.delete(room)
    await session.flush()
