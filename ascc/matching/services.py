"""Matching set-up and people: settings, sessions of slots and tables, profiles and availability.

Availability is derived: a person is busy in the sessions they signed up for or speak in, on the tours
they are booked on, and in the blocks they set themselves; a slot is free for them when it overlaps none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ascc.audit import services as audit
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.matching.models import (
    DEFAULT_PAIRS,
    FORMATS,
    AvailabilityBlock,
    MatchingProfile,
    MatchingSession,
    MatchingSettings,
    MatchingSlot,
    Meeting,
    MeetingFeedback,
)
from ascc.programme import services as programme
from ascc.registration import services as registration
from ascc.taxonomy import SECTORS
from ascc.text import (
    clean_line,
    collect,
    local_time,
    optional_block,
    optional_url,
    required_line,
    whole_number,
)
from ascc.tours import services as tours

if TYPE_CHECKING:
    from ascc.editions.models import Edition

CATEGORIES = registration.CATEGORIES
PROFILE_TEXT_MAX = 2000
MAX_SLOTS_PER_SESSION = 60


# --- Settings -------------------------------------------------------------------------------------


async def get_settings(session: AsyncSession, edition_id: int) -> MatchingSettings:
    query = select(MatchingSettings).where(MatchingSettings.edition_id == edition_id)
    found = await session.scalar(query)
    if found is None:
        try:
            async with session.begin_nested():  # two first visits at once: one creates, the other reads it
                found = MatchingSettings(
                    edition_id=edition_id, allowed_pairs=[list(p) for p in DEFAULT_PAIRS]
                )
                session.add(found)
                await session.flush()
        except IntegrityError:
            found = await session.scalar(query)
    return found


def may_meet(settings: MatchingSettings, a: str, b: str) -> bool:
    return any({a, b} == set(pair) or (a == b and pair == [a, a]) for pair in settings.allowed_pairs)


SETTINGS_FIELDS = ("allowed_pairs", "meeting_limit", "instant", "requests_open", "video_base_url")
SESSION_FIELDS = (
    "name_en",
    "name_ja",
    "starts_at",
    "ends_at",
    "slot_minutes",
    "break_minutes",
    "tables",
    "online_rooms",
    "location_en",
    "location_ja",
)


async def save_settings(
    session: AsyncSession, edition_id: int, values: Mapping[str, Any], actor: audit.Actor | None = None
) -> MatchingSettings:
    """From the organizer's form: allowed pairs ("a:b" values), limit, instant mode, video base URL."""
    errors: dict = {}
    pairs = []
    for raw in values.get("pairs", []):
        a, _, b = str(raw).partition(":")
        if a not in CATEGORIES or b not in CATEGORIES:
            errors["pairs"] = ("error.choice_invalid", {})
            break
        pairs.append(sorted([a, b]))
    limit = whole_number(errors, "meeting_limit", str(values.get("meeting_limit", "")), 1, 100, required=True)
    url = collect(errors, optional_url, "video_base_url", values.get("video_base_url"))
    if url and not url.endswith(("/", "=")):
        url += "/"
    if errors:
        raise ValidationFailed(errors)
    settings = await get_settings(session, edition_id)
    before = audit.snapshot(settings, SETTINGS_FIELDS)
    settings.allowed_pairs = [list(p) for p in dict.fromkeys(tuple(p) for p in pairs)]
    settings.meeting_limit = limit or settings.meeting_limit
    settings.instant = bool(values.get("instant"))
    settings.requests_open = bool(values.get("requests_open"))
    settings.video_base_url = url or "https://meet.jit.si/"
    await session.flush()
    await audit.record(
        session,
        actor,
        "matching.settings",
        "matching_settings",
        settings.id,
        "",
        before=before,
        after=audit.snapshot(settings, SETTINGS_FIELDS),
        edition_id=edition_id,
    )
    return settings


# --- Sessions and slots ---------------------------------------------------------------------------


def slot_times(
    starts_at: datetime, ends_at: datetime, slot_minutes: int, break_minutes: int
) -> list[tuple[datetime, datetime]]:
    """Consecutive slots of `slot_minutes` with `break_minutes` between them, all inside the session."""
    times = []
    start = starts_at
    while start + timedelta(minutes=slot_minutes) <= ends_at:
        times.append((start, start + timedelta(minutes=slot_minutes)))
        start += timedelta(minutes=slot_minutes + break_minutes)
    return times


async def list_sessions(session: AsyncSession, edition_id: int) -> list[MatchingSession]:
    rows = await session.scalars(
        select(MatchingSession)
        .where(MatchingSession.edition_id == edition_id)
        .options(selectinload(MatchingSession.slots))
        .order_by(MatchingSession.starts_at, MatchingSession.id)
    )
    return list(rows.all())


async def get_session(session: AsyncSession, edition_id: int, session_id: int) -> MatchingSession:
    found = await session.scalar(
        select(MatchingSession)
        .where(MatchingSession.id == session_id, MatchingSession.edition_id == edition_id)
        .options(selectinload(MatchingSession.slots))
    )
    if found is None:
        raise NotFound("matching session")
    return found


async def all_slots(session: AsyncSession, edition_id: int) -> list[MatchingSlot]:
    rows = await session.scalars(
        select(MatchingSlot)
        .where(MatchingSlot.edition_id == edition_id)
        .options(selectinload(MatchingSlot.session))
        .order_by(MatchingSlot.starts_at, MatchingSlot.id)
    )
    return list(rows.all())


async def _scheduled_in(session: AsyncSession, slot_ids: list[int]) -> list[Meeting]:
    if not slot_ids:
        return []
    rows = await session.scalars(select(Meeting).where(Meeting.slot_id.in_(slot_ids)))
    return list(rows.all())


def _session_view(target: MatchingSession, tz: ZoneInfo) -> dict[str, Any]:
    view = audit.snapshot(target, SESSION_FIELDS)
    view["starts_at"] = target.starts_at.astimezone(tz).isoformat(timespec="minutes")
    view["ends_at"] = target.ends_at.astimezone(tz).isoformat(timespec="minutes")
    return view


async def save_session(
    session: AsyncSession,
    edition: Edition,
    session_id: int | None,
    values: Mapping[str, str],
    actor: audit.Actor | None = None,
) -> MatchingSession:
    """A matching session from the organizer's form; its slots are made from the times.

    Times cannot change under scheduled meetings, and tables or rooms cannot drop below a number in use:
    organizers move or cancel those meetings first.
    """
    errors: dict = {}
    tz = ZoneInfo(edition.timezone)
    name_en = collect(errors, required_line, "name_en", values.get("name_en"), 200)
    name_ja = clean_line(values.get("name_ja"))[:200] or name_en
    starts = local_time(errors, "starts", values.get("day", ""), values.get("starts", ""), tz)
    ends = local_time(errors, "ends", values.get("day", ""), values.get("ends", ""), tz)
    slot_minutes = whole_number(errors, "slot_minutes", values.get("slot_minutes", ""), 5, 240, required=True)
    break_minutes = whole_number(errors, "break_minutes", values.get("break_minutes", ""), 0, 120, False) or 0
    tables = whole_number(errors, "tables", values.get("tables", ""), 0, 2000, required=False) or 0
    rooms = whole_number(errors, "online_rooms", values.get("online_rooms", ""), 0, 2000, required=False) or 0
    location_en = clean_line(values.get("location_en"))[:300]
    location_ja = clean_line(values.get("location_ja"))[:300] or location_en
    if starts and ends and ends <= starts:
        errors["ends"] = ("error.to_before_from", {})
    if starts and (
        starts.date() < edition.starts_on - timedelta(days=30)
        or starts.date() > edition.ends_on + timedelta(days=30)
    ):
        errors["day"] = ("matching.error.day_far", {})
    times = []
    if starts and ends and slot_minutes and not errors:
        times = slot_times(starts, ends, slot_minutes, break_minutes)
        if not times:
            errors["slot_minutes"] = ("matching.error.no_slot_fits", {})
        elif len(times) > MAX_SLOTS_PER_SESSION:
            errors["slot_minutes"] = ("matching.error.too_many_slots", {"max": MAX_SLOTS_PER_SESSION})
    if not tables and not rooms and "tables" not in errors:
        errors["tables"] = ("matching.error.no_places", {})
    existing = await get_session(session, edition.id, session_id) if session_id else None
    if existing and not errors:
        used = await _scheduled_in(session, [s.id for s in existing.slots])
        same_times = [(s.starts_at, s.ends_at) for s in existing.slots] == times
        if used and not same_times:
            errors["starts"] = ("matching.error.session_in_use", {"count": len(used)})
        top_table = max((m.place_number or 0 for m in used if m.place == "table"), default=0)
        top_room = max((m.place_number or 0 for m in used if m.place == "room"), default=0)
        if tables < top_table:
            errors["tables"] = ("matching.error.places_in_use", {"number": top_table})
        if rooms < top_room:
            errors["online_rooms"] = ("matching.error.places_in_use", {"number": top_room})
    if errors or starts is None or ends is None or slot_minutes is None:  # each None has its error
        raise ValidationFailed(errors)
    before = _session_view(existing, tz) if existing else None
    target = existing or MatchingSession(edition_id=edition.id)
    target.name_en, target.name_ja = name_en, name_ja
    target.starts_at, target.ends_at = starts, ends
    target.slot_minutes, target.break_minutes = slot_minutes, break_minutes
    target.tables, target.online_rooms = tables, rooms
    target.location_en, target.location_ja = location_en, location_ja
    if existing is None:
        target.slots = []
        session.add(target)
    if [(s.starts_at, s.ends_at) for s in target.slots] != times:
        target.slots.clear()
        await session.flush()
        target.slots.extend(MatchingSlot(edition_id=edition.id, starts_at=a, ends_at=b) for a, b in times)
    await session.flush()
    await audit.record(
        session,
        actor,
        "matching.session_save",
        "matching_session",
        target.id,
        target.name_en,
        before=before,
        after=_session_view(target, tz),
        edition_id=edition.id,
    )
    return target


async def delete_session(
    session: AsyncSession, edition_id: int, session_id: int, actor: audit.Actor | None = None
) -> None:
    target = await get_session(session, edition_id, session_id)
    used = await _scheduled_in(session, [s.id for s in target.slots])
    if used:
        raise DomainError("matching.error.session_in_use", "session_in_use", count=len(used), status=409)
    await audit.record(
        session,
        actor,
        "matching.session_delete",
        "matching_session",
        target.id,
        target.name_en,
        before=audit.snapshot(target, SESSION_FIELDS),
        edition_id=edition_id,
    )
    await session.delete(target)
    await session.flush()


# --- Profiles -------------------------------------------------------------------------------------


async def get_profile(session: AsyncSession, edition_id: int, user_id: int) -> MatchingProfile | None:
    return await session.scalar(
        select(MatchingProfile).where(
            MatchingProfile.edition_id == edition_id, MatchingProfile.user_id == user_id
        )
    )


async def profiles_of(session: AsyncSession, edition_id: int) -> dict[int, MatchingProfile]:
    rows = await session.scalars(select(MatchingProfile).where(MatchingProfile.edition_id == edition_id))
    return {p.user_id: p for p in rows.all()}


async def save_profile(
    session: AsyncSession, edition_id: int, user_id: int, values: Mapping[str, Any]
) -> MatchingProfile:
    errors: dict = {}
    sectors = [s for s in values.get("sectors", []) if s in SECTORS]
    if len(sectors) != len(values.get("sectors", [])):
        errors["sectors"] = ("error.choice_invalid", {})
    offers = collect(errors, optional_block, "offers", values.get("offers"), PROFILE_TEXT_MAX)
    seeks = collect(errors, optional_block, "seeks", values.get("seeks"), PROFILE_TEXT_MAX)
    limit = whole_number(
        errors, "meeting_limit", str(values.get("meeting_limit") or ""), 1, 100, required=False
    )
    formats = [f for f in values.get("formats", []) if f in FORMATS]
    if len(formats) != len(values.get("formats", [])):
        errors["formats"] = ("error.choice_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    mine = await registration.my_registration(session, edition_id, user_id)
    if mine is None or mine.status not in ("confirmed", "pending"):
        raise DomainError("matching.error.not_registered", "not_registered", status=403)
    profile = await get_profile(session, edition_id, user_id)
    if profile is None:
        profile = MatchingProfile(edition_id=edition_id, user_id=user_id)
        session.add(profile)
    profile.sectors = sectors
    profile.offers = offers or ""
    profile.seeks = seeks or ""
    profile.meeting_limit = limit
    profile.formats = formats
    await session.flush()
    return profile


def limit_of(settings: MatchingSettings, profile: MatchingProfile | None) -> int:
    """A person's own limit, never above the edition's."""
    if profile and profile.meeting_limit:
        return min(profile.meeting_limit, settings.meeting_limit)
    return settings.meeting_limit


# --- Availability ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Busy:
    starts_at: datetime
    ends_at: datetime
    why: str  # signed_up | speaking | tour | block
    title_en: str
    title_ja: str
    block_id: int | None = None


async def busy_of(
    session: AsyncSession, edition_id: int, user_ids: list[int] | None
) -> dict[int, list[Busy]]:
    """What takes each person's time besides meetings (everyone when `user_ids` is None)."""
    result: dict[int, list[Busy]] = {}
    for user_id, taken in (await programme.busy_times(session, edition_id, user_ids)).items():
        result.setdefault(user_id, []).extend(
            Busy(i.starts_at, i.ends_at, i.why, i.title_en, i.title_ja) for i in taken
        )
    for user_id, courses in (await tours.busy_times(session, edition_id, user_ids)).items():
        result.setdefault(user_id, []).extend(
            Busy(a, b, "tour", f"{c.code}: {c.theme_en}", f"{c.code}: {c.theme_ja}") for a, b, c in courses
        )
    query = select(AvailabilityBlock).where(AvailabilityBlock.edition_id == edition_id)
    if user_ids is not None:
        query = query.where(AvailabilityBlock.user_id.in_(user_ids))
    for block in await session.scalars(query):
        result.setdefault(block.user_id, []).append(
            Busy(block.starts_at, block.ends_at, "block", block.note, block.note, block.id)
        )
    for items in result.values():
        items.sort(key=lambda b: b.starts_at)
    return result


def free_slot_ids(slots: list[MatchingSlot], busy: list[Busy]) -> set[int]:
    return {s.id for s in slots if not any(b.starts_at < s.ends_at and s.starts_at < b.ends_at for b in busy)}


def clash(slot: MatchingSlot, busy: list[Busy]) -> Busy | None:
    return next((b for b in busy if b.starts_at < slot.ends_at and slot.starts_at < b.ends_at), None)


async def add_block(
    session: AsyncSession, edition: Edition, user_id: int, values: Mapping[str, str]
) -> AvailabilityBlock:
    errors: dict = {}
    tz = ZoneInfo(edition.timezone)
    starts = local_time(errors, "block_starts", values.get("day", ""), values.get("starts", ""), tz)
    ends = local_time(errors, "block_ends", values.get("day", ""), values.get("ends", ""), tz)
    if starts and ends and ends <= starts:
        errors["block_ends"] = ("error.to_before_from", {})
    note = clean_line(values.get("note"))[:200]
    if errors:
        raise ValidationFailed(errors)
    count = await session.scalar(
        select(func.count()).where(
            AvailabilityBlock.edition_id == edition.id, AvailabilityBlock.user_id == user_id
        )
    )
    if (count or 0) >= 50:
        raise DomainError("matching.error.too_many_blocks", "too_many_blocks", max=50)
    block = AvailabilityBlock(
        edition_id=edition.id, user_id=user_id, starts_at=starts, ends_at=ends, note=note
    )
    session.add(block)
    await session.flush()
    return block


async def delete_block(session: AsyncSession, edition_id: int, user_id: int, block_id: int) -> None:
    block = await session.scalar(
        select(AvailabilityBlock).where(
            AvailabilityBlock.id == block_id,
            AvailabilityBlock.edition_id == edition_id,
            AvailabilityBlock.user_id == user_id,
        )
    )
    if block is None:
        raise NotFound("block")
    await session.delete(block)
    await session.flush()


def place_label(meeting: Any, lang: str) -> str:
    if meeting.place == "table" and meeting.slot_id is not None:
        location = meeting.slot.session.location_ja if lang == "ja" else meeting.slot.session.location_en
        if meeting.place_number is None:  # a no-show gave its table away
            return location
        label = f"テーブル {meeting.place_number}" if lang == "ja" else f"Table {meeting.place_number}"
        return f"{label}{'、' if lang == 'ja' else ', '}{location}" if location else label
    if meeting.place == "room":
        return "オンライン" if lang == "ja" else "Online"
    return ""


# --- Audiences (campaigns and reminders) ------------------------------------------------------------


async def participant_ids(session: AsyncSession, edition_id: int) -> set[int]:
    """People taking part in business matching: a matching profile, or a meeting asked or held."""
    profiles = await session.scalars(
        select(MatchingProfile.user_id).where(MatchingProfile.edition_id == edition_id)
    )
    parties = await session.execute(
        select(Meeting.requester_id, Meeting.recipient_id).where(
            Meeting.edition_id == edition_id, Meeting.status.not_in(("declined", "cancelled"))
        )
    )
    found = set(profiles.all())
    for requester, recipient in parties.tuples():
        found.update((requester, recipient))
    return found


async def scheduled_between(
    session: AsyncSession, edition_id: int, start: datetime, end: datetime
) -> list[Meeting]:
    """Scheduled meetings whose slot starts in [start, end), with both people and the slot's session."""
    rows = await session.scalars(
        select(Meeting)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(
            Meeting.edition_id == edition_id,
            Meeting.status == "scheduled",
            MatchingSlot.starts_at >= start,
            MatchingSlot.starts_at < end,
        )
        .options(selectinload(Meeting.slot).selectinload(MatchingSlot.session))
        .order_by(MatchingSlot.starts_at, Meeting.id)
    )
    return list(rows.all())


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """The person is being anonymized: what they wrote goes (profiles, messages, answers, feedback and availability
    notes); the meetings themselves stay, so the editions' figures do not change."""
    await session.execute(
        update(MatchingProfile).where(MatchingProfile.user_id == user_id).values(offers="", seeks="")
    )
    await session.execute(update(Meeting).where(Meeting.requester_id == user_id).values(message=""))
    await session.execute(update(Meeting).where(Meeting.answered_by_id == user_id).values(answer=""))
    await session.execute(update(MeetingFeedback).where(MeetingFeedback.user_id == user_id).values(note=""))
    await session.execute(
        update(AvailabilityBlock).where(AvailabilityBlock.user_id == user_id).values(note="")
    )
