"""The statements of a scan at the door, built once per process and read as plain rows.

A scan is the hottest write of the conference day. ORM entities with eager loads cost a scan more CPU than
its SQL (identity map, loader strategies, a unit-of-work flush for the log), and a statement built anew on each
call is re-keyed for SQLAlchemy's compiled cache every time. These are Core statements over the mapped tables,
built once (their cache key is computed once), executed with bound parameters; the rows they return are the
few columns check-in needs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.badges.models import Badge, CheckIn, Scan
from ascc.registration import services as registration

_check_in = CheckIn.__table__
_scan = cast(Table, Scan.__table__)


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
class Holder:
    """Whom a badge names, as check-in judges them."""

    registration_id: int
    user_id: int
    status: str
    category: str
    mode: str
    person: Person

    @classmethod
    def of(cls, reg: registration.Registration) -> Holder:
        """From a registration loaded with its person and organization."""
        return cls(reg.id, reg.user_id, reg.status, reg.category, reg.mode, person_of(reg))


def person_of(reg: registration.Registration) -> Person:
    return Person(
        reg.user.name_latin,
        reg.user.name_local or "",
        reg.organization.name_en if reg.organization else "",
        reg.category,
        reg.country or "",
        reg.mode,
        reg.badge_code or "",
    )


class FirstCheckIn(NamedTuple):
    id: int
    checked_in_at: datetime
    device_id: str


class Counted(NamedTuple):
    """What a read found of the person's check-in at a place: the first check-in, or None (not yet)."""

    first: FirstCheckIn | None


class BadgeRow(NamedTuple):
    revoked_at: datetime | None
    revoked_reason: str | None
    badge_category: str
    badge_mode: str
    holder: Holder
    counted: Counted | None  # at the place asked about, if one was


@functools.cache
def _by_nonce() -> Select[Any]:
    # Built at first use: the person's and organization's tables are reached through the registration's
    # relationships (domains do not import each other's models), which resolve once all models are mapped.
    reg = registration.Registration.__table__
    user = registration.Registration.user.property.mapper.local_table
    org = registration.Registration.organization.property.mapper.local_table
    badge = Badge.__table__
    counted = _check_in.alias("counted")
    return (
        select(
            badge.c.revoked_at,
            badge.c.revoked_reason,
            badge.c.category,
            badge.c.mode,
            reg.c.id,
            reg.c.user_id,
            reg.c.status,
            reg.c.category,
            reg.c.mode,
            reg.c.country,
            reg.c.badge_code,
            user.c.name_latin,
            user.c.name_local,
            org.c.name_en,
            counted.c.id,
            counted.c.checked_in_at,
            counted.c.device_id,
        )
        .select_from(
            badge.join(reg, reg.c.id == badge.c.registration_id)
            .join(user, user.c.id == reg.c.user_id)
            .outerjoin(org, org.c.id == reg.c.organization_id)
            .outerjoin(
                counted,
                (counted.c.registration_id == reg.c.id) & (counted.c.place_key == bindparam("place_key")),
            )
        )
        .where(badge.c.nonce == bindparam("nonce"), badge.c.edition_id == bindparam("edition_id"))
    )


async def badge_by_nonce(
    session: AsyncSession, edition_id: int, nonce: bytes, place_key: str | None
) -> BadgeRow | None:
    """The badge with this nonce in the edition, its holder, and (with a `place_key`) whether they were counted
    there already: one statement, so that a repeated scan needs no other read."""
    params = {"nonce": nonce, "edition_id": edition_id, "place_key": place_key}
    row = (await session.execute(_by_nonce(), params)).first()
    if row is None:
        return None
    revoked_at, revoked_reason, badge_category, badge_mode, reg_id, user_id, status = row[:7]
    category, mode, country, badge_code, name_latin, name_local, organization = row[7:14]
    first_id, first_at, first_device = row[14:]
    person = Person(
        name_latin, name_local or "", organization or "", category, country or "", mode, badge_code or ""
    )
    counted = None
    if place_key is not None:
        counted = Counted(FirstCheckIn(first_id, first_at, first_device) if first_id is not None else None)
    return BadgeRow(
        revoked_at,
        revoked_reason,
        badge_category,
        badge_mode,
        Holder(reg_id, user_id, status, category, mode, person),
        counted,
    )


# INSERT … ON CONFLICT DO NOTHING written as text: SQLAlchemy compiles its dialects' ON CONFLICT inserts anew on
# every call (they have no cache key); this text reads alike on SQLite and PostgreSQL, and is compiled once.
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
INSERT_CHECK_IN = text(
    f"INSERT INTO check_in ({', '.join(_CHECK_IN_COLUMNS)}) "  # noqa: S608 (column names, no input)
    f"VALUES ({', '.join(':' + name for name in _CHECK_IN_COLUMNS)}) "
    "ON CONFLICT (registration_id, place_key) DO NOTHING RETURNING id"
).bindparams(*(bindparam(name, type_=_check_in.c[name].type) for name in _CHECK_IN_COLUMNS))

_FIRST_CHECK_IN = select(_check_in.c.id, _check_in.c.checked_in_at, _check_in.c.device_id).where(
    _check_in.c.registration_id == bindparam("registration_id"),
    _check_in.c.place_key == bindparam("place_key"),
)
_CHECK_IN_BY_ID = select(_check_in.c.id, _check_in.c.checked_in_at, _check_in.c.device_id).where(
    _check_in.c.id == bindparam("id")
)


async def first_check_in(session: AsyncSession, registration_id: int, place_key: str) -> FirstCheckIn | None:
    """The person's check-in at this place, if counted already."""
    row = (
        await session.execute(_FIRST_CHECK_IN, {"registration_id": registration_id, "place_key": place_key})
    ).first()
    return FirstCheckIn(*row) if row is not None else None


async def check_in_by_id(session: AsyncSession, check_in_id: int) -> FirstCheckIn | None:
    row = (await session.execute(_CHECK_IN_BY_ID, {"id": check_in_id})).first()
    return FirstCheckIn(*row) if row is not None else None


# --- the log of every scan ---------------------------------------------------------------------------------


class Logged(NamedTuple):
    """A logged scan, as a replay of it is answered."""

    id: int
    result: str
    reason: str | None
    registration_id: int | None
    check_in_id: int | None  # ok: the check-in it made; duplicate: the one it found (exactly this place's)
    place_type: str
    place_id: int | None
    device_id: str
    clock_flagged: bool
    scanned_at: datetime
    received_at: datetime


_LOGGED = select(*(_scan.c[name] for name in Logged._fields)).where(
    _scan.c.device_id == bindparam("device_id"), _scan.c.nonce == bindparam("nonce")
)
# The log's own column defaults (created_at, updated_at) apply as in an ORM insert.
_INSERT_SCAN = insert(_scan).returning(_scan.c.id)


async def logged(session: AsyncSession, device_id: str, nonce: str) -> Logged | None:
    """The scan this device logged under this nonce, if any."""
    row = (await session.execute(_LOGGED, {"device_id": device_id, "nonce": nonce})).first()
    return Logged(*row) if row is not None else None


async def log(session: AsyncSession, values: dict[str, Any]) -> Logged:
    """Log a scan; the record of it, read from what was written (so the answer and a later replay of it agree).
    Raises IntegrityError for a (device, nonce) logged already."""
    scan_id = await session.scalar(_INSERT_SCAN, values)
    assert scan_id is not None
    return Logged(int(scan_id), *(values[name] for name in Logged._fields[1:]))
