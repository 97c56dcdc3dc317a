"""What one signed-in person's programme pages need to know about them, read live, each page in one statement.

The statements are built once, at import, from table columns with bound parameters: SQLAlchemy then neither
rebuilds nor re-keys them per request (building them was ~40 % of a signed-in session page), and no ORM
objects are loaded. Seat counts are read with the person's own marks: the person who just took a seat sees
it counted at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.capacity import services as capacity
from ascc.capacity.models import CapacityEntry, CapacityPool
from ascc.programme.models import AgendaEntry, Material, ProgrammeSession
from ascc.programme.session_editing import pool_key
from ascc.registration.models import Registration

_agenda = AgendaEntry.__table__
_pool = CapacityPool.__table__
_entry = CapacityEntry.__table__
_ahead = _entry.alias("ahead")
_registration = Registration.__table__
_material = Material.__table__
_session = ProgrammeSession.__table__


@dataclass(frozen=True)
class SessionMarks:
    """A person's marks around one session: what they saved (for clashes), their seat, its pool's counts."""

    saved: frozenset[int]  # sessions of the edition in their agenda
    seat: capacity.Claim | None  # in this session: confirmed, or waiting at a position
    counts: capacity.PoolCounts
    registration: tuple[str, str] | None  # (status, mode) of their registration for the edition


def _seat_column(column: Any) -> Any:
    """One column of the person's live entry in the session's pool (NULL when they hold none)."""
    return (
        select(column)
        .join(_pool, _pool.c.id == _entry.c.pool_id)
        .where(
            _pool.c.key == bindparam("pool"),
            _entry.c.holder == bindparam("holder"),
            _entry.c.status != "released",
        )
        .scalar_subquery()
    )


def _pool_column(column: Any) -> Any:
    return select(column).where(_pool.c.key == bindparam("pool")).scalar_subquery()


def _registration_column(column: Any) -> Any:
    return (
        select(column)
        .where(
            _registration.c.edition_id == bindparam("edition"), _registration.c.user_id == bindparam("user")
        )
        .scalar_subquery()
    )


_one_row = select(literal(1).label("one")).subquery("one")  # the scalar columns come even without a saved row

# One row per saved session (or one row without), each carrying the seat, the pool and the registration.
_SESSION_MARKS = select(
    _agenda.c.session_id,
    _seat_column(_entry.c.status).label("seat_status"),
    select(func.count())
    .select_from(_ahead)
    .where(
        _ahead.c.pool_id == _seat_column(_entry.c.pool_id),
        _ahead.c.status == "waiting",
        _ahead.c.sequence < _seat_column(_entry.c.sequence),
    )
    .scalar_subquery()
    .label("ahead"),
    _pool_column(_pool.c.limit).label("pool_limit"),
    _pool_column(_pool.c.confirmed).label("pool_confirmed"),
    select(func.count())
    .select_from(_entry.join(_pool, _pool.c.id == _entry.c.pool_id))
    .where(_pool.c.key == bindparam("pool"), _entry.c.status == "waiting")
    .scalar_subquery()
    .label("pool_waiting"),
    _registration_column(_registration.c.status).label("registration_status"),
    _registration_column(_registration.c.mode).label("registration_mode"),
).select_from(
    _one_row.outerjoin(
        _agenda, and_(_agenda.c.user_id == bindparam("user"), _agenda.c.edition_id == bindparam("edition"))
    )
)


async def session_marks(
    session: AsyncSession, user_id: int, edition_id: int, session_id: int
) -> SessionMarks:
    """Everything personal a session page shows, in one statement."""
    rows = (
        await session.execute(
            _SESSION_MARKS,
            {
                "user": user_id,
                "edition": edition_id,
                "pool": pool_key(session_id),
                "holder": capacity.person(user_id),
            },
        )
    ).all()
    first = rows[0]
    if first.seat_status is None:
        seat = None
    elif first.seat_status == "waiting":
        seat = capacity.Claim("waiting", first.ahead + 1)
    else:
        seat = capacity.Claim(first.seat_status, None)
    return SessionMarks(
        saved=frozenset(row.session_id for row in rows if row.session_id is not None),
        seat=seat,
        counts=capacity.PoolCounts(
            limit=first.pool_limit, confirmed=first.pool_confirmed or 0, waiting=first.pool_waiting or 0
        ),
        registration=(
            (first.registration_status, first.registration_mode)
            if first.registration_status is not None
            else None
        ),
    )


# The agenda's marks: saved sessions, and which of them the person signed up for.
_SAVED_AND_SIGNED_UP = select(_agenda.c.session_id, _agenda.c.signed_up).where(
    _agenda.c.user_id == bindparam("user"), _agenda.c.edition_id == bindparam("edition")
)


async def saved_and_signed_up(
    session: AsyncSession, user_id: int, edition_id: int
) -> tuple[set[int], set[int]]:
    """The sessions a person saved, and those of them they signed up for (the agenda's marks)."""
    rows = (await session.execute(_SAVED_AND_SIGNED_UP, {"user": user_id, "edition": edition_id})).all()
    return {row.session_id for row in rows}, {row.session_id for row in rows if row.signed_up}


# "My agenda": each saved session with the person's live status in its pool, if it has one. The pool key is
# pool_key()'s "session:<id>", spelled in SQL (tests/programme/test_services.py sees the seats through it).
_SAVED_WITH_SEATS = (
    select(_agenda.c.session_id, _entry.c.status)
    .select_from(
        _agenda.outerjoin(
            _pool, _pool.c.key == literal("session:") + cast(_agenda.c.session_id, String)
        ).outerjoin(
            _entry,
            and_(
                _entry.c.pool_id == _pool.c.id,
                _entry.c.holder == bindparam("holder"),
                _entry.c.status != "released",
            ),
        )
    )
    .where(_agenda.c.user_id == bindparam("user"), _agenda.c.edition_id == bindparam("edition"))
)


async def saved_with_seats(session: AsyncSession, user_id: int, edition_id: int) -> dict[int, str | None]:
    """Saved sessions -> the person's seat status in each (confirmed | waiting | None), in one statement."""
    rows = await session.execute(
        _SAVED_WITH_SEATS, {"user": user_id, "edition": edition_id, "holder": capacity.person(user_id)}
    )
    return {row.session_id: row.status for row in rows}


# A session's materials (the window and the consent are checked in Python: materials.is_available).
_MATERIALS = (
    select(
        _material.c.id,
        _material.c.title,
        _material.c.kind,
        _material.c.available_from,
        _material.c.available_until,
        _material.c.publish_consent,
    )
    .join(_session, _session.c.id == _material.c.session_id)
    .where(_material.c.session_id == bindparam("session"), _session.c.edition_id == bindparam("edition"))
    .order_by(_material.c.id)
)


@dataclass(frozen=True)
class PublicMaterial:
    id: int
    title: str
    kind: str
    available_from: date | None
    available_until: date | None
    publish_consent: bool


async def session_materials(session: AsyncSession, edition_id: int, session_id: int) -> list[PublicMaterial]:
    """A session's materials (what its public page shows of them), before the check of window and consent."""
    rows = await session.execute(_MATERIALS, {"session": session_id, "edition": edition_id})
    return [PublicMaterial(*row) for row in rows]
