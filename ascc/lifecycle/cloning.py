"""Preparing the next edition: a new, not-current draft edition with this one's set-up.

Rooms (editions), tracks (programme), registration set-up (registration: capacities, categories needing approval
or a code, questions, quotas), the registration and meeting-request dates (moved with the conference) and tours with their courses (tours: times moved to the new dates) are copied
by each domain's own service. Nothing personal comes along: no registration, booking, ID number, preference,
allocation, meeting or lead. The caller's one transaction holds it all: a failure leaves nothing behind.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.privacy import notices
from ascc.programme import editing as programme
from ascc.registration import organizer as registration
from ascc.registration import services as registrations
from ascc.registration import windows
from ascc.text import as_number, clean_line
from ascc.tours import editing as tour_editing
from ascc.tours import services as tours

if TYPE_CHECKING:
    from ascc.editions.models import Edition

FIELDS = ("year", "slug", "name_en", "name_ja", "starts_on", "ends_on")


@dataclass(frozen=True)
class Cloned:
    slug: str
    source_slug: str
    rooms: int
    tracks: int
    questions: int
    quotas: int
    categories: int
    tours: int
    courses: int


def _ordinal(number: int) -> str:
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _next_name(name: str, year: int) -> str:
    """ "12th ... 2023" becomes "13th ... 2024", "第12回…2023" becomes "第13回…2024"."""
    name = name.replace(str(year - 1), str(year))
    name = re.sub(r"\b(\d{1,3})(?:st|nd|rd|th)\b", lambda m: _ordinal(int(m.group(1)) + 1), name, count=1)
    return re.sub(r"第(\d{1,3})回", lambda m: f"第{int(m.group(1)) + 1}回", name, count=1)


def suggestion(source: Edition) -> dict[str, str]:
    """The form's first values: the next year, the dates 52 weeks later (same weekdays), names counted on."""
    year = source.starts_on.year + 1
    starts, ends = source.starts_on + timedelta(weeks=52), source.ends_on + timedelta(weeks=52)
    slug = source.slug.replace(str(source.starts_on.year), str(year))
    return {
        "year": str(year),
        "slug": slug if slug != source.slug else f"{source.slug}-{year}"[:40],
        "name_en": _next_name(source.name_en, year),
        "name_ja": _next_name(source.name_ja, year),
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
    }


async def _year(session: AsyncSession, raw: str, errors: dict) -> int | None:
    year = as_number(clean_line(raw))
    if year is None or not 2000 <= year <= 2100:
        errors["year"] = ("error.number_range", {"min": 2000, "max": 2100})
        return None
    taken = await editions.slug_in_year(session, year)
    if taken:
        errors["year"] = ("clone.error_year_taken", {"slug": taken})
    return year


async def prepare_next(
    session: AsyncSession, actor: audit.Actor | None, source_slug: str, values: dict[str, str]
) -> Cloned:
    """Create the next edition from `source_slug` with the form's year, names, dates and slug; every wrong field
    is named at once and nothing is written."""
    source = await editions.get_by_slug(session, source_slug, with_rooms=True)
    errors: dict = {}
    year = await _year(session, values.get("year", ""), errors)
    data = editions.EditionInput(
        slug=values.get("slug", ""),
        name_en=values.get("name_en", ""),
        name_ja=values.get("name_ja", ""),
        starts_on=values.get("starts_on", ""),
        ends_on=values.get("ends_on", ""),
        timezone=source.timezone,
        venue_name_en=source.venue_name_en,
        venue_name_ja=source.venue_name_ja,
        venue_address_en=source.venue_address_en,
        venue_address_ja=source.venue_address_ja,
        status="draft",
        rooms=[
            editions.RoomInput(r.name_en, r.name_ja, r.floor, r.capacity, r.hybrid)
            for r in sorted(source.rooms, key=lambda room: room.sort_order)
        ],
    )
    try:
        data = editions.validate(data)
    except ValidationFailed as exc:
        errors = {**exc.errors, **errors}
    else:
        if await editions.slug_taken(session, data.slug):
            errors["slug"] = ("error.slug_taken", {})
        if year and isinstance(data.starts_on, date) and data.starts_on.year != year:
            errors.setdefault("starts_on", ("clone.error_not_in_year", {"year": year}))
    if errors:
        raise ValidationFailed(errors)
    try:
        edition = await editions.create(session, data)
    except IntegrityError as exc:  # the same slug created at the same moment by someone else
        raise ValidationFailed({"slug": ("error.slug_taken", {})}) from exc
    assert isinstance(data.starts_on, date)  # editions.validate made it one
    shift = data.starts_on - source.starts_on
    tracks = await programme.copy_tracks(session, source.id, edition.id)
    setup = await registration.copy_setup(
        session, source.id, edition.id, privacy_version=await notices.current_version(session)
    )
    tour_count, course_count = await tour_editing.copy_tours(session, source.id, edition.id, shift)
    await _copy_dates(session, actor, source, edition, shift)
    cloned = Cloned(
        slug=edition.slug,
        source_slug=source.slug,
        rooms=len(data.rooms),
        tracks=tracks,
        questions=setup.questions,
        quotas=setup.quotas,
        categories=setup.categories,
        tours=tour_count,
        courses=course_count,
    )
    await audit.record(
        session,
        actor,
        "edition.cloned",
        "edition",
        edition.id,
        edition.slug,
        after={**asdict(cloned), "name_en": edition.name_en, "starts_on": edition.starts_on},
        edition_id=edition.id,
    )
    await session.flush()
    return cloned


async def _copy_dates(
    session: AsyncSession, actor: audit.Actor | None, source: Edition, edition: Edition, shift: timedelta
) -> None:
    """Registration and meeting-request dates keep their distance from the conference (a category's own last
    day too); none falls after the new conference's last day."""

    def moved(day: date | None) -> str:
        return min(day + shift, edition.ends_on).isoformat() if day else ""

    own = (await registrations.get_settings(session, source.id)).category_closes_on or {}
    await windows.save_dates(
        session,
        edition,
        windows.DatesInput(
            **{name: moved(getattr(source, name)) for name in editions.TIMELINE_FIELDS},
            category_closes_on={category: moved(date.fromisoformat(day)) for category, day in own.items()},
        ),
        actor,
    )


async def counts(session: AsyncSession, edition: Edition) -> Cloned:
    """What an edition holds of what cloning copies (shown after preparing it)."""
    tour_list = await tours.list_tours(session, edition.id)
    setup = await registrations.get_settings(session, edition.id)
    return Cloned(
        slug=edition.slug,
        source_slug="",
        rooms=len(await editions.list_rooms(session, edition.id)),
        tracks=len(await programme.list_tracks(session, edition.id)),
        questions=len(await registrations.list_questions(session, edition.id)),
        quotas=len(await registration.list_quotas(session, edition.id)),
        categories=len(set(setup.approval_categories or []) | set(setup.invitation_categories or [])),
        tours=len(tour_list),
        courses=sum(len(t.courses) for t in tour_list),
    )
