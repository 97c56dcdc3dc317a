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

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.badges import services as badges
from ascc.badges import signing, webhook_events
from ascc.badges.models import PLACE_TYPES, REISSUE_REASONS, Badge, CheckIn, Scan
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


# INSERT … ON CONFLICT DO NOTHING written as text: SQLAlchemy compiles its dialects' ON CONFLICT inserts anew on
# every call (they have no cache key), a large part of a scan's CPU; this text reads alike on SQLite and
# PostgreSQL, and is compiled once.
_CHECK_IN_COLUMNS = (
    "edition_id",
    "registration_id",
    "place_type",
    "place_id",
    "place_key",
    "checked_in_at",
    "device_id",
    "by_user_id",
    "created_at",
    "updated_at",
)
_INSERT_CHECK_IN = text(
    f"INSERT INTO check_in ({', '.join(_CHECK_IN_COLUMNS)}) "  # noqa: S608 (column names, no input)
    f"VALUES ({', '.join(':' + name for name in _CHECK_IN_COLUMNS)}) "
    "ON CONFLICT (registration_id, place_key) DO NOTHING RETURNING id"
).bindparams(*(bindparam(name, type_=CheckIn.__table__.c[name].type) for name in _CHECK_IN_COLUMNS))


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
class Person:
    """What check-in staff see of the person: enough to recognise them, nothing more."""

    name_latin: str
    name_local: str
    organization: str
    category: str
    country: str
    mode: str
    badge_code: str


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


def _person(reg: registration.Registration) -> Person:
    return Person(
        reg.user.name_latin,
        reg.user.name_local or "",
        reg.organization.name_en if reg.organization else "",
        reg.category,
        reg.country or "",
        reg.mode,
        reg.badge_code or "",
    )


async def _identify(
    session: AsyncSession, edition_id: int, code: str, moment: datetime
) -> tuple[str | None, str | None, registration.Registration | None]:
    """(failure result, reason, registration): a failure result of None means a valid, current badge."""
    text = code.strip()
    if len(text) <= 20 and _TYPED.match(registration.normalize_badge_code(text)):
        reg = await registration.find_by_badge_code(session, edition_id, text)
        if reg is None:
            retired = await badges.retired_code(session, edition_id, text)
            if retired is None:
                return "invalid", "unknown", None
            return (
                "revoked",
                retired.reason,
                await registration.get_registration(session, retired.registration_id),
            )
    else:
        key = await badges.verify_key(session, edition_id)
        try:
            payload = signing.verify(text, key, edition_id, moment)
        except signing.BadCode as bad:
            return "invalid", bad.reason, None
        row = (
            await session.execute(
                select(Badge, registration.Registration)
                .join(registration.Registration, registration.Registration.id == Badge.registration_id)
                .where(Badge.nonce == payload.nonce, Badge.edition_id == edition_id)
                .options(
                    joinedload(registration.Registration.user),
                    joinedload(registration.Registration.organization),
                )
            )
        ).first()
        if row is None:
            return "invalid", "unknown", None
        badge, reg = row
        if badge.revoked_at is not None:
            return "revoked", badge.revoked_reason, reg
        if (badge.category, badge.mode) != (reg.category, reg.mode):
            return "revoked", "category_changed", reg
    if reg.status != "confirmed":
        return "revoked", "cancelled", reg
    return None, None, reg


async def identify(
    session: AsyncSession, edition_id: int, code: str
) -> tuple[str | None, str | None, registration.Registration | None]:
    """Whom a scanned QR text or a typed short code names, judged now exactly as at the door: (None, None, the
    registration) for a badge in force, else ("invalid" | "revoked", the reason, the registration if known).
    For exhibitors' lead scanning, a domain below this one (app.DEPENDENCIES["badge_holder"])."""
    return await _identify(session, edition_id, code, clock.now())


async def _place_check(
    session: AsyncSession, edition_id: int, data: ScanInput, reg: registration.Registration, day: str
) -> tuple[str | None, str, int | Meeting | None]:
    """(refusal reason or None, place key, what to mark on success: the course id, or the meeting)."""
    if data.place_type == "entrance":
        if reg.mode != "in_person":
            return "online_registration", f"entrance:{day}", None
        return None, f"entrance:{day}", None
    assert data.place_id is not None
    if data.place_type == "session":
        admitted = await programme.admits(session, edition_id, data.place_id, reg.user_id)
        if admitted is None:
            raise ValidationFailed({"place_id": ("badges.error.place_id", {})})
        return (None if admitted else "no_seat"), f"session:{data.place_id}", None
    if data.place_type == "tour":
        seat = await tours.holds_seat(session, edition_id, data.place_id, reg.user_id)
        if seat is None:
            raise ValidationFailed({"place_id": ("badges.error.place_id", {})})
        return (None if seat else "not_on_tour"), f"tour:{data.place_id}", data.place_id
    meeting = await matching.meeting_at_tables(session, edition_id, data.place_id, reg.user_id)
    if meeting is None:
        raise ValidationFailed({"place_id": ("badges.error.place_id", {})})
    if meeting is False:
        return "no_meeting_now", f"tables:{data.place_id}", None
    return None, f"meeting:{meeting.id}", meeting


async def scan(
    session: AsyncSession, edition_id: int, data: ScanInput, user_id: int | None, timezone: str | None = None
) -> Answer:
    """Check a badge in at a place. Every call is logged; a second check-in at the same place is `duplicate`.

    `timezone`: the edition's, when the caller has it (one query less on the hot path of the door)."""
    data = _validate(data)
    nonce = data.nonce or secrets.token_hex(12)
    reused = False
    if data.nonce is not None and (replay := await _replay(session, data.device_id, nonce)) is not None:
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
    reg: registration.Registration | None
    if reused:
        result, reason, reg = "invalid", "nonce_reused", None
    else:
        result, reason, reg = await _identify(session, edition_id, data.code or "", moment)
    place_key, target = None, None
    if result is None and reg is not None:
        reason, place_key, target = await _place_check(session, edition_id, data, reg, day)
        result = "not_booked" if reason else "ok"
    entry_id = None
    if result == "ok" and reg is not None and place_key is not None:
        # One statement, no exception: the unique (person, place) constraint decides who is first, on
        # PostgreSQL and on SQLite alike (and on SQLite this first write queues for the database lock).
        entry_id = await session.scalar(
            _INSERT_CHECK_IN,
            {
                "edition_id": edition_id,
                "registration_id": reg.id,
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
        if entry_id is None:
            result = "duplicate"
        elif data.place_type == "tour":
            assert isinstance(target, int)  # the course
            await roll_call.mark(session, target, reg.user_id, True)
        elif data.place_type == "meeting":
            assert target is not None and not isinstance(target, int)  # the meeting
            await matching.check_in(session, target, reg.user_id)
        if entry_id is not None:  # a new check-in, recorded for webhooks in this transaction
            await webhook_events.checked_in(
                session,
                check_in_id=entry_id,
                registration_id=reg.id,
                edition_id=edition_id,
                person_id=reg.user_id,
                place_type=data.place_type,
                place_id=data.place_id,
                at=moment,
            )
    log = Scan(
        edition_id=edition_id,
        device_id=data.device_id,
        nonce=nonce,
        place_type=data.place_type,
        place_id=data.place_id,
        code_excerpt=_excerpt(data.code or ""),
        result=result,
        reason=reason,
        registration_id=reg.id if reg else None,
        check_in_id=entry_id,
        scanned_at=scanned_at,
        received_at=now,
        clock_flagged=flagged,
        offline=data.offline,
        by_user_id=user_id,
    )
    session.add(log)
    try:
        await session.flush()
    except IntegrityError:  # the same device and nonce at the same moment (a double submit): one answer
        await session.rollback()
        return await scan(session, edition_id, data, user_id, timezone)  # now a replay, decided as such
    if entry_id is not None:
        return _answer(
            log, reg, await place_label(session, edition_id, data.place_type, data.place_id), moment
        )
    return await _answer_of(session, edition_id, log, reg, place_key)


async def _replay(session: AsyncSession, device_id: str, nonce: str) -> Scan | None:
    return await session.scalar(select(Scan).where(Scan.device_id == device_id, Scan.nonce == nonce))


async def _same_badge(session: AsyncSession, edition_id: int, code: str, log: Scan) -> bool:
    """Whether `code` names the badge holder of the logged scan `log`: only then may a replay repeat its answer.

    A failed scan repeats its failure whatever is sent (never an OK); otherwise the code must identify the
    same registration, judged at the moment of the original scan (an offline device syncs late)."""
    if log.registration_id is None:
        return log.result == "invalid"
    moment = log.received_at if log.clock_flagged else log.scanned_at
    _, _, reg = await _identify(session, edition_id, code, moment)
    return reg is not None and reg.id == log.registration_id


def _answer(
    log: Scan,
    reg: registration.Registration | None,
    label: Place,
    first_at: datetime | None,
    first_device: str | None = None,
) -> Answer:
    return Answer(
        result=log.result,
        reason=log.reason,
        person=_person(reg) if reg is not None and log.result != "invalid" else None,
        place_label_en=label.name_en,
        place_label_ja=label.name_ja,
        checked_in_at=first_at,
        first_place_en=first_device,
        clock_flagged=log.clock_flagged,
        scan_id=log.id,
    )


async def _answer_of(
    session: AsyncSession,
    edition_id: int,
    log: Scan,
    reg: registration.Registration | None = None,
    place_key: str | None = None,
) -> Answer:
    if reg is None and log.registration_id is not None:
        reg = await registration.get_registration(session, log.registration_id)
    first: CheckIn | None = None
    if log.result == "ok" and log.check_in_id is not None:
        first = await session.get(CheckIn, log.check_in_id)
    elif log.result == "duplicate" and reg is not None:
        if place_key is None:
            place_key = await session.scalar(
                select(CheckIn.place_key)
                .where(CheckIn.registration_id == reg.id, CheckIn.place_type == log.place_type)
                .order_by(CheckIn.id.desc())
                .limit(1)
            )
        first = await session.scalar(
            select(CheckIn).where(CheckIn.registration_id == reg.id, CheckIn.place_key == place_key)
        )
    label = await place_label(session, edition_id, log.place_type, log.place_id)
    return _answer(
        log,
        reg,
        label,
        first.checked_in_at if first else None,
        first.device_id if first and first.device_id != log.device_id else None,
    )


async def search(session: AsyncSession, edition_id: int, q: str) -> list[Person]:
    """Confirmed participants whose name matches: the fallback when a badge is missing or will not scan."""
    wanted = q.strip()[:100]
    if len(wanted) < 2 or "@" in wanted:  # names only: staff do not look people up by e-mail
        return []
    rows, _ = await registrations.list_registrations(
        session, edition_id, registrations.Filters(status="confirmed", q=wanted), limit=30
    )
    folded = fold_name(wanted)  # the same folding as the query above: "nguyen" finds Nguyễn
    named = [r for r in rows if folded in r.user.name_folded]
    return [_person(reg) for reg in named[:10]]


async def roster(session: AsyncSession, edition_id: int) -> dict[str, Person]:
    """Whom each badge in force names, by its nonce (base64url): what the check-in page shows beside a verdict
    it reached offline. For check-in staff only, who find anyone by name online anyway; kept in the page's
    memory, never stored on the phone. Short codes stay out: they prove nothing without the server."""
    rows = await session.execute(
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
    return {signing.nonce_text(nonce): _person(reg) for nonce, reg in rows.tuples().all()}


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
