"""Check-in: a scanned or typed badge at a place gives one answer, counts a person once per place, and is
logged whatever the answer (pretix's perform_checkin is the model: lock, be idempotent, record failures).

Places: the venue entrance (once a day), a session room, a tour bus (the roll-call of the tours), the
tables of a matching session (the person's meeting there now). A replayed scan (same device and nonce,
as offline devices send when they sync) returns the stored answer instead of counting again, provided it
carries the same badge: a used nonce with another code is INVALID. Figures are in figures.py.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.badges import checkin_rows as rows
from ascc.badges import services as badges
from ascc.badges import signing, webhook_events
from ascc.badges.checkin_rows import Holder, Person
from ascc.badges.models import PLACE_TYPES, REISSUE_REASONS, Badge
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.matching import tracking as matching
from ascc.places import Place
from ascc.programme import services as programme
from ascc.registration import organizer as registrations
from ascc.registration import services as registration
from ascc.text import fold_name
from ascc.tours import roll_call
from ascc.tours import services as tours

if TYPE_CHECKING:
    from ascc.matching.models import Meeting

# Why a scan is refused (the API's `reason`); the check-in page shows each in its language (checkin.reason.*).
REASONS = (
    "unknown",
    "malformed",
    "signature",
    "other_edition",
    "not_yet_valid",
    "expired",
    "nonce_reused",
    "cancelled",
    "category_changed",
    *REISSUE_REASONS,
    "online_registration",
    "no_seat",
    "not_on_tour",
    "no_meeting_now",
)
FUTURE_TOLERANCE = timedelta(minutes=2)  # a device clock this far ahead is flagged
PAST_TOLERANCE = timedelta(hours=24)  # offline devices sync late, but not a day late
_TYPED = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")  # the short code printed under the QR, normalized
_DEVICE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class ScanInput:
    code: str
    place_type: str
    place_id: int | None = None
    scanned_at: datetime | None = None
    device_id: str = "web"
    nonce: str | None = None
    offline: bool = False  # the device answered already (offline) and syncs now


@dataclass(frozen=True)
class Answer:
    result: str  # ok | duplicate | revoked | invalid | not_booked
    reason: str | None
    person: Person | None
    place_label_en: str
    place_label_ja: str
    checked_in_at: datetime | None  # ok: now; duplicate: the first time
    first_place_en: str | None  # duplicate: where the first check-in was (the place, or another device)
    clock_flagged: bool
    scan_id: int


def _validate(data: ScanInput) -> ScanInput:
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    if data.place_type not in PLACE_TYPES:
        errors["place_type"] = ("badges.error.place_type", {})
    elif data.place_type != "entrance" and data.place_id is None:
        errors["place_id"] = ("badges.error.place_id", {})
    if data.place_id is not None and not 0 < data.place_id < 2**31:
        errors["place_id"] = ("badges.error.place_id", {})
    if not _DEVICE.match(data.device_id or ""):
        errors["device_id"] = ("badges.error.device_id", {})
    if data.nonce is not None and not _DEVICE.match(data.nonce):
        errors["nonce"] = ("badges.error.nonce", {})
    if not isinstance(data.code, str):
        errors["code"] = ("badges.error.code", {})
    if errors:
        raise ValidationFailed(errors)
    return data


def _excerpt(code: str) -> str:
    """The start of what was scanned, printable ASCII only, for the log."""
    return "".join(ch for ch in code[:32] if " " <= ch <= "~")[:32]


async def _identify(
    session: AsyncSession, edition_id: int, code: str, moment: datetime, place_key: str | None = None
) -> tuple[str | None, str | None, Holder | None, rows.Counted | None]:
    """(failure result, reason, holder, counted): a failure result of None means a valid, current badge;
    `counted` says whether the holder was counted at `place_key` already, when that was read on the way."""
    text = code.strip()
    if len(text) <= 20 and _TYPED.match(registration.normalize_badge_code(text)):
        reg = await registration.find_by_badge_code(session, edition_id, text)
        if reg is None:
            retired = await badges.retired_code(session, edition_id, text)
            if retired is None:
                return "invalid", "unknown", None, None
            found = await registration.get_registration(session, retired.registration_id)
            return "revoked", retired.reason, Holder.of(found), None
        holder, counted = Holder.of(reg), None
    else:
        key = await badges.verify_key(session, edition_id)
        try:
            payload = signing.verify(text, key, edition_id, moment)
        except signing.BadCode as bad:
            return "invalid", bad.reason, None, None
        row = await rows.badge_by_nonce(session, edition_id, payload.nonce, place_key)
        if row is None:
            return "invalid", "unknown", None, None
        holder, counted = row.holder, row.counted
        if row.revoked_at is not None:
            return "revoked", row.revoked_reason, holder, None
        if (row.badge_category, row.badge_mode) != (holder.category, holder.mode):
            return "revoked", "category_changed", holder, None
    if holder.status != "confirmed":
        return "revoked", "cancelled", holder, None
    return None, None, holder, counted


async def identify(
    session: AsyncSession, edition_id: int, code: str
) -> tuple[str | None, str | None, registration.Registration | None]:
    """Whom a scanned QR text or a typed short code names, judged now exactly as at the door: (None, None, the
    registration) for a badge in force, else ("invalid" | "revoked", the reason, the registration if known).
    For exhibitors' lead scanning, a domain below this one (app.DEPENDENCIES["badge_holder"])."""
    failure, reason, holder, _ = await _identify(session, edition_id, code, clock.now())
    if holder is None:
        return failure, reason, None
    return failure, reason, await registration.get_registration(session, holder.registration_id)


def _place_key(data: ScanInput, day: str) -> str | None:
    """Where a check-in at this place is counted; None for a meeting (the one at those tables now)."""
    if data.place_type == "entrance":
        return f"entrance:{day}"
    return None if data.place_type == "meeting" else f"{data.place_type}:{data.place_id}"


async def _place_check(
    session: AsyncSession, edition_id: int, data: ScanInput, holder: Holder, day: str
) -> tuple[str | None, str, int | Meeting | None]:
    """(refusal reason or None, place key, what to mark on success: the course id, or the meeting)."""
    key = _place_key(data, day)
    if data.place_type == "entrance":
        assert key is not None
        return (None if holder.mode == "in_person" else "online_registration"), key, None
    assert data.place_id is not None
    if data.place_type == "session":
        admitted = await programme.admits(session, edition_id, data.place_id, holder.user_id)
        if admitted is None:
            raise ValidationFailed({"place_id": ("badges.error.place_id", {})})
        return (None if admitted else "no_seat"), f"session:{data.place_id}", None
    if data.place_type == "tour":
        seat = await tours.holds_seat(session, edition_id, data.place_id, holder.user_id)
        if seat is None:
            raise ValidationFailed({"place_id": ("badges.error.place_id", {})})
        return (None if seat else "not_on_tour"), f"tour:{data.place_id}", data.place_id
    meeting = await matching.meeting_at_tables(session, edition_id, data.place_id, holder.user_id)
    if meeting is None:
        raise ValidationFailed({"place_id": ("badges.error.place_id", {})})
    if meeting is False:
        return "no_meeting_now", f"tables:{data.place_id}", None
    return None, f"meeting:{meeting.id}", meeting


async def _count(
    session: AsyncSession,
    edition_id: int,
    data: ScanInput,
    holder: Holder,
    place_key: str,
    counted: rows.Counted | None,
    moment: datetime,
    user_id: int | None,
) -> tuple[int | None, rows.FirstCheckIn | None]:
    """Count the person at the place once: (the new check-in's id, None), or (None, the first check-in).

    `counted`: whether they were, as read with their badge (else read here). That read takes no lock, and a
    badge shown twice at a door tries no insert here; its scan-log line is still a write, though (on SQLite it
    queues for the database's write lock like any other). The insert below decides between two scans at once."""
    if counted is None:
        counted = rows.Counted(await rows.first_check_in(session, holder.registration_id, place_key))
    if counted.first is not None:
        return None, counted.first
    endpoint_ids = await webhook_events.listeners(session)
    now = clock.now()
    # One statement, no exception: the unique (person, place) constraint decides who is first, on
    # PostgreSQL and on SQLite alike (and on SQLite this first write queues for the database lock).
    entry_id = await session.scalar(
        rows.INSERT_CHECK_IN,
        {
            "edition_id": edition_id,
            "registration_id": holder.registration_id,
            "place_type": data.place_type,
            "place_id": data.place_id,
            "place_key": place_key,
            "checked_in_at": moment,
            "device_id": data.device_id,
            "by_user_id": user_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    if entry_id is None:  # counted by another scan a moment ago
        return None, await rows.first_check_in(session, holder.registration_id, place_key)
    await webhook_events.checked_in(
        session,
        endpoint_ids,
        check_in_id=entry_id,
        registration_id=holder.registration_id,
        edition_id=edition_id,
        person_id=holder.user_id,
        place_type=data.place_type,
        place_id=data.place_id,
        at=moment,
    )
    return entry_id, None


async def scan(
    session: AsyncSession, edition_id: int, data: ScanInput, user_id: int | None, timezone: str | None = None
) -> Answer:
    """Check a badge in at a place. Every call is logged; a second check-in at the same place is `duplicate`.

    `timezone`: the edition's, when the caller has it (one query less on the hot path of the door)."""
    data = _validate(data)
    nonce = data.nonce or secrets.token_hex(12)
    reused = False
    if data.nonce is not None and (replay := await rows.logged(session, data.device_id, nonce)) is not None:
        if await _same_badge(session, edition_id, data.code or "", replay):
            return await _answer_of(session, edition_id, replay)
        # The nonce of an earlier scan with another code: refused and logged under a nonce of its own (the
        # original keeps its answer), else any text replayed with a known nonce would get that person's OK.
        reused, nonce = True, secrets.token_hex(12)
    now = clock.now()
    scanned_at = data.scanned_at or now
    if scanned_at.tzinfo is None:  # a device that sends no zone: read as UTC, like JavaScript's toISOString
        scanned_at = scanned_at.replace(tzinfo=UTC)
    flagged = scanned_at > now + FUTURE_TOLERANCE or scanned_at < now - PAST_TOLERANCE
    moment = now if flagged else scanned_at  # a device with a wrong clock is not trusted with the day
    zone = ZoneInfo(timezone or (await editions.get_by_id(session, edition_id)).timezone)
    day = moment.astimezone(zone).date().isoformat()

    result: str | None
    reason: str | None
    holder: Holder | None
    counted = None
    if reused:
        result, reason, holder = "invalid", "nonce_reused", None
    else:
        result, reason, holder, counted = await _identify(
            session, edition_id, data.code or "", moment, _place_key(data, day)
        )
    place_key, target = None, None
    if result is None and holder is not None:
        reason, place_key, target = await _place_check(session, edition_id, data, holder, day)
        result = "not_booked" if reason else "ok"
    entry_id, first = None, None
    if result == "ok" and holder is not None and place_key is not None:
        if counted is not None and _place_key(data, day) != place_key:
            counted = None  # read for another place than the one counted
        entry_id, first = await _count(session, edition_id, data, holder, place_key, counted, moment, user_id)
        if entry_id is None:
            result = "duplicate"
        elif data.place_type == "tour":
            assert isinstance(target, int)  # the course
            await roll_call.mark(session, target, holder.user_id, True)
        elif data.place_type == "meeting":
            assert target is not None and not isinstance(target, int)  # the meeting
            await matching.check_in(session, target, holder.user_id)
    assert result is not None
    values = {
        "edition_id": edition_id,
        "device_id": data.device_id,
        "nonce": nonce,
        "place_type": data.place_type,
        "place_id": data.place_id,
        "code_excerpt": _excerpt(data.code or ""),
        "result": result,
        "reason": reason,
        "registration_id": holder.registration_id if holder else None,
        "check_in_id": entry_id if first is None else first.id,  # a duplicate keeps the check-in it found
        "scanned_at": scanned_at,
        "received_at": now,
        "clock_flagged": flagged,
        "offline": data.offline,
        "by_user_id": user_id,
    }
    try:
        logged = await rows.log(session, values)
    except IntegrityError:  # the same device and nonce at the same moment (a double submit): one answer
        await session.rollback()
        return await scan(session, edition_id, data, user_id, timezone)  # now a replay, decided as such
    return _answer(
        logged,
        holder,
        await place_label(session, edition_id, data.place_type, data.place_id),
        moment if entry_id is not None else first,
    )


async def _same_badge(session: AsyncSession, edition_id: int, code: str, log: rows.Logged) -> bool:
    """Whether `code` names the badge holder of the logged scan `log`: only then may a replay repeat its answer.

    A failed scan repeats its failure whatever is sent (never an OK); otherwise the code must identify the
    same registration, judged at the moment of the original scan (an offline device syncs late)."""
    if log.registration_id is None:
        return log.result == "invalid"
    moment = log.received_at if log.clock_flagged else log.scanned_at
    _, _, holder, _ = await _identify(session, edition_id, code, moment)
    return holder is not None and holder.registration_id == log.registration_id


def _answer(
    log: rows.Logged, holder: Holder | None, label: Place, first: datetime | rows.FirstCheckIn | None
) -> Answer:
    """`first`: when the person was counted here (the moment of a new check-in, or the first check-in)."""
    first_at = first.checked_in_at if isinstance(first, rows.FirstCheckIn) else first
    other_device = first.device_id if isinstance(first, rows.FirstCheckIn) else None
    return Answer(
        result=log.result,
        reason=log.reason,
        person=holder.person if holder is not None and log.result != "invalid" else None,
        place_label_en=label.name_en,
        place_label_ja=label.name_ja,
        checked_in_at=first_at,
        first_place_en=other_device if other_device != log.device_id else None,
        clock_flagged=log.clock_flagged,
        scan_id=log.id,
    )


async def _answer_of(session: AsyncSession, edition_id: int, log: rows.Logged) -> Answer:
    """The answer a logged scan had, for its replay."""
    holder = None
    if log.registration_id is not None:
        holder = Holder.of(await registration.get_registration(session, log.registration_id))
    first: rows.FirstCheckIn | None = None
    if log.result in ("ok", "duplicate") and log.check_in_id is not None:  # this place's check-in
        first = await rows.check_in_by_id(session, log.check_in_id)
    elif log.result == "duplicate" and holder is not None and log.place_type != "meeting":
        # Logged before a duplicate kept its check-in: the place's key, reckoned as the scan did (a meeting's
        # cannot be: which meeting those tables held then is not in the log).
        zone = ZoneInfo((await editions.get_by_id(session, edition_id)).timezone)
        moment = log.received_at if log.clock_flagged else log.scanned_at
        day = moment.astimezone(zone).date().isoformat()
        place_key = _place_key(ScanInput("", log.place_type, log.place_id), day)
        if place_key is not None:
            first = await rows.first_check_in(session, holder.registration_id, place_key)
    label = await place_label(session, edition_id, log.place_type, log.place_id)
    return _answer(log, holder, label, first)


async def search(session: AsyncSession, edition_id: int, q: str) -> list[Person]:
    """Confirmed participants whose name matches: the fallback when a badge is missing or will not scan."""
    wanted = q.strip()[:100]
    if len(wanted) < 2 or "@" in wanted:  # names only: staff do not look people up by e-mail
        return []
    found, _ = await registrations.list_registrations(
        session, edition_id, registrations.Filters(status="confirmed", q=wanted), limit=30
    )
    folded = fold_name(wanted)  # the same folding as the query above: "nguyen" finds Nguyễn
    named = [r for r in found if folded in r.user.name_folded]
    return [rows.person_of(reg) for reg in named[:10]]


async def roster(session: AsyncSession, edition_id: int) -> dict[str, Person]:
    """Whom each badge in force names, by its nonce (base64url): what the check-in page shows beside a verdict
    it reached offline. For check-in staff only, who find anyone by name online anyway; kept in the page's
    memory, never stored on the phone. Short codes stay out: they prove nothing without the server."""
    result = await session.execute(
        select(Badge.nonce, registration.Registration)
        .join(registration.Registration, registration.Registration.id == Badge.registration_id)
        .where(
            Badge.edition_id == edition_id,
            Badge.revoked_at.is_(None),
            registration.Registration.status == "confirmed",
        )
        .options(
            joinedload(registration.Registration.user),
            joinedload(registration.Registration.organization),
        )
    )
    return {signing.nonce_text(nonce): rows.person_of(reg) for nonce, reg in result.tuples().all()}


ENTRANCE = Place(0, "Venue entrance", "会場入口", datetime.min, datetime.max)


async def places(
    session: AsyncSession, edition_id: int, place_type: str, only: int | None = None
) -> list[Place]:
    """The places of a type (`only`: just that one, for an answer's label)."""
    if place_type == "session":
        return await programme.check_in_places(session, edition_id, only)
    if place_type == "tour":
        return await tours.check_in_places(session, edition_id, only)
    if place_type == "meeting":
        return await matching.check_in_places(session, edition_id)
    return [ENTRANCE]


async def place_label(session: AsyncSession, edition_id: int, place_type: str, place_id: int | None) -> Place:
    if place_type == "entrance" or place_id is None:
        return ENTRANCE
    for place in await places(session, edition_id, place_type, place_id):
        if place.id == place_id:
            return place
    return ENTRANCE
