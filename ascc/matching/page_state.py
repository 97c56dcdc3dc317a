"""What the matching pages read on every visit, in one statement built once at import time.

The people list and "my meetings" each needed the pool's stamp (registrations, profiles, the marketplace),
the edition's matching settings, the viewer's registration and profile, and whether a no-show is due: six
statements, each rebuilt and re-keyed by SQLAlchemy per request. Here they are one SELECT of scalar
subqueries over the settings row, with bind parameters for the edition, the viewer and the time; nothing
is cached, so every change shows on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ascc import clock
from ascc.exhibitors import directory
from ascc.matching import services as matching
from ascc.matching.meetings import NO_SHOW_AFTER
from ascc.matching.models import MatchingProfile, MatchingSettings
from ascc.matching.tracking import no_shows_due
from ascc.registration.models import Registration

_EDITION: BindParameter[int] = bindparam("edition_id")
_VIEWER: BindParameter[int] = bindparam("viewer_id")


def _changes(model: type, *where: ColumnElement[bool]) -> list[ColumnElement]:
    """The latest change and the number of rows: any insert, update or delete moves one of them."""
    return [
        select(func.max(model.updated_at)).where(*where).scalar_subquery(),  # type: ignore[attr-defined]
        select(func.count()).select_from(model).where(*where).scalar_subquery(),
    ]


# The pool's stamp: what the people list and the recommendations are computed from (people._load).
POOL_STAMP = select(
    *_changes(Registration, Registration.edition_id == _EDITION),
    *_changes(MatchingProfile, MatchingProfile.edition_id == _EDITION),
    *directory.version_columns(),  # the marketplace: the same subqueries as its own version
)
_STAMP_WIDTH = len(POOL_STAMP.selected_columns)

_SETTINGS = [c for c in MatchingSettings.__table__.columns]
_MINE = (Registration.edition_id == _EDITION) & (Registration.user_id == _VIEWER)
_PROFILE = (MatchingProfile.edition_id == _EDITION) & (MatchingProfile.user_id == _VIEWER)

_STATE = select(
    *POOL_STAMP.selected_columns,
    select(Registration.status).where(_MINE).scalar_subquery(),
    select(Registration.mode).where(_MINE).scalar_subquery(),
    exists().where(_PROFILE),
    select(MatchingProfile.meeting_limit).where(_PROFILE).scalar_subquery(),
    no_shows_due(_EDITION, bindparam("now"), bindparam("late")).exists(),
    *_SETTINGS,
).where(MatchingSettings.edition_id == _EDITION)


@dataclass(frozen=True)
class ViewerState:
    stamp: tuple  # the pool's stamp, as people._load keys it
    settings: MatchingSettings  # a fresh copy of the edition's row, in no session: read it, never change it
    my_status: str | None  # the viewer's registration, None when they have none
    my_mode: str | None
    has_profile: bool
    profile_limit: int | None  # the meeting limit the viewer set in their profile
    no_shows_due: bool  # tracking.sweep_no_shows has something to record

    @property
    def confirmed(self) -> bool:
        return self.my_status == "confirmed"

    def limit(self) -> int:
        """matching.limit_of: the viewer's own limit, never above the edition's."""
        if self.profile_limit:
            return min(self.profile_limit, self.settings.meeting_limit)
        return self.settings.meeting_limit


async def viewer_state(session: AsyncSession, edition_id: int, viewer_id: int) -> ViewerState:
    now = clock.now()
    params = {"edition_id": edition_id, "viewer_id": viewer_id, "now": now, "late": now - NO_SHOW_AFTER}
    row = (await session.execute(_STATE, params)).first()
    if row is None:  # the edition's first visit: its settings are made, then read with the rest
        await matching.get_settings(session, edition_id)
        row = (await session.execute(_STATE, params)).one()
    values = tuple(row)
    status, mode, has_profile, profile_limit, due = values[_STAMP_WIDTH : _STAMP_WIDTH + 5]
    settings = MatchingSettings(
        **{c.key: v for c, v in zip(_SETTINGS, values[_STAMP_WIDTH + 5 :], strict=True)}
    )
    return ViewerState(
        values[:_STAMP_WIDTH], settings, status, mode, bool(has_profile), profile_limit, bool(due)
    )


async def pool_stamp(session: AsyncSession, edition_id: int) -> tuple:
    return tuple((await session.execute(POOL_STAMP, {"edition_id": edition_id})).one())
