"""Organizers edit tours and courses (audited), and the next edition's tours are copied from these."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.errors import NotFound, ValidationFailed
from ascc.registration import services as registration
from ascc.text import clean_line, local_time, whole_number
from ascc.tours.booking import open_seats
from ascc.tours.models import Course, Tour
from ascc.tours.services import get_tour, list_tours, pool_key

if TYPE_CHECKING:
    from ascc.editions.models import Edition


async def save_tour(
    session: AsyncSession,
    edition: Edition,
    tour_id: int | None,
    values: dict[str, str],
    actor: audit.Actor | None = None,
) -> Tour:
    """A tour from the organizer's form: code, names, booking mode, ballot deadline, caps, ID retention."""
    errors: dict = {}
    text = {}
    for key, limit in (("code", 10), ("name_en", 200), ("name_ja", 200)):
        text[key] = clean_line(values.get(key))[:limit]
        if not text[key]:
            errors[key] = ("error.required", {})
    mode = values.get("mode", "fcfs")
    if mode not in ("fcfs", "ballot"):
        errors["mode"] = ("error.choice_invalid", {})
    deadline = None
    if mode == "ballot":
        deadline = local_time(
            errors,
            "ballot_deadline",
            values.get("deadline_day", ""),
            values.get("deadline_time", ""),
            ZoneInfo(edition.timezone),
        )
    city_cap = whole_number(errors, "city_cap", values.get("city_cap", ""), 1, 1000, required=False)
    retention = whole_number(
        errors, "id_retention_days", values.get("id_retention_days", "") or "14", 0, 365, required=True
    )
    if errors or retention is None:  # a None has its error
        raise ValidationFailed(errors)
    tour = await get_tour(session, tour_id) if tour_id else Tour(edition_id=edition.id, courses=[])
    before = _tour_view(tour, edition) if tour_id else None
    if tour_id is None:
        session.add(tour)
    tour.code, tour.name_en, tour.name_ja, tour.mode = text["code"], text["name_en"], text["name_ja"], mode
    tour.description_en = clean_line(values.get("description_en"))[:2000]
    tour.description_ja = clean_line(values.get("description_ja"))[:2000]
    tour.ballot_deadline, tour.city_cap, tour.id_retention_days = deadline, city_cap, retention
    tour.keep_delegations = values.get("keep_delegations") in ("1", "on")
    await session.flush()
    await audit.record(
        session,
        actor,
        "tours.tour_save",
        "tour",
        tour.id,
        f"{tour.code} · {tour.name_en}",
        before=before,
        after=_tour_view(tour, edition),
        edition_id=edition.id,
    )
    return tour


TOUR_FIELDS = (
    "code",
    "name_en",
    "name_ja",
    "description_en",
    "description_ja",
    "mode",
    "city_cap",
    "id_retention_days",
    "keep_delegations",
)
COURSE_FIELDS = (
    "code",
    "theme_en",
    "theme_ja",
    "description_en",
    "description_ja",
    "meeting_point_en",
    "meeting_point_ja",
    "accessibility_en",
    "accessibility_ja",
    "seats",
    "categories",
    "invitation_only",
    "requires_id",
)


def _tour_view(tour: Tour, edition: Edition) -> dict[str, Any]:
    view = audit.snapshot(tour, TOUR_FIELDS)
    tz = ZoneInfo(edition.timezone)
    view["ballot_deadline"] = tour.ballot_deadline.astimezone(tz) if tour.ballot_deadline else None
    return view


def _course_view(course: Course, edition: Edition) -> dict[str, Any]:
    view = audit.snapshot(course, COURSE_FIELDS)
    tz = ZoneInfo(edition.timezone)
    for name in ("departs_at", "returns_at"):
        moment = getattr(course, name)
        view[name] = moment.astimezone(tz).isoformat(timespec="minutes") if moment else None
    return view


async def save_course(
    session: AsyncSession,
    edition: Edition,
    tour_id: int,
    course_id: int | None,
    values: dict[str, Any],
    categories: list[str],
    actor: audit.Actor | None = None,
) -> tuple[Course, list[str]]:
    """A course from the organizer's form; more seats promote people waiting (returned for their mail)."""
    tour = await get_tour(session, tour_id)
    errors: dict = {}
    text = {}
    for key, limit, required in (
        ("code", 10, True),
        ("theme_en", 200, True),
        ("theme_ja", 200, True),
        ("meeting_point_en", 300, False),
        ("meeting_point_ja", 300, False),
    ):
        text[key] = clean_line(values.get(key))[:limit]
        if required and not text[key]:
            errors[key] = ("error.required", {})
    tz = ZoneInfo(edition.timezone)
    departs = local_time(errors, "departs", values.get("day", ""), values.get("departs", ""), tz)
    returns = local_time(errors, "returns", values.get("day", ""), values.get("returns", ""), tz)
    if departs and returns and returns <= departs:
        errors["returns"] = ("error.session_end_before_start", {})
    seats = whole_number(errors, "seats", values.get("seats", ""), 1, 10_000, required=True)
    if errors or departs is None or returns is None or seats is None:  # each None has its error
        raise ValidationFailed(errors)
    before = None
    if course_id is None:
        course = Course(tour_id=tour.id, sort_order=len(tour.courses))
        session.add(course)
    else:
        found = next((c for c in tour.courses if c.id == course_id), None)
        if found is None:
            raise NotFound("course")
        course = found
        before = _course_view(course, edition)
    for key, value in text.items():
        setattr(course, key, value)
    course.departs_at, course.returns_at, course.seats = departs, returns, seats
    for key in ("description_en", "description_ja", "accessibility_en", "accessibility_ja"):
        setattr(course, key, clean_line(values.get(key))[:2000])
    course.categories = [c for c in categories if c in registration.CATEGORIES]
    course.invitation_only = values.get("invitation_only") in ("1", "on")
    course.requires_id = values.get("requires_id") in ("1", "on")
    await session.flush()
    await audit.record(
        session,
        actor,
        "tours.course_save",
        "course",
        course.id,
        f"{course.code} · {course.theme_en}",
        before=before,
        after=_course_view(course, edition),
        edition_id=edition.id,
    )
    await open_seats(session, course)
    # More seats promote people, which may release their places on other courses of the tour: lock them all
    # in id order first, as a cancellation does.
    await capacity.lock_pools(session, [pool_key(c.id) for c in [*tour.courses, course]])
    promoted = await capacity.set_limit(session, pool_key(course.id), seats)
    return course, promoted


async def copy_tours(
    session: AsyncSession, source_edition_id: int, target_edition_id: int, shift: timedelta
) -> tuple[int, int]:
    """The next edition's tours and courses from this one's, their times moved by `shift`: no booking, ID
    number, preference or allocation comes along. Returns (tours, courses)."""
    tours = await list_tours(session, source_edition_id)
    course_count = 0
    for source in tours:
        tour = Tour(
            edition_id=target_edition_id,
            code=source.code,
            name_en=source.name_en,
            name_ja=source.name_ja,
            description_en=source.description_en,
            description_ja=source.description_ja,
            mode=source.mode,
            ballot_deadline=source.ballot_deadline + shift if source.ballot_deadline else None,
            city_cap=source.city_cap,
            keep_delegations=source.keep_delegations,
            id_retention_days=source.id_retention_days,
            courses=[
                Course(
                    code=c.code,
                    theme_en=c.theme_en,
                    theme_ja=c.theme_ja,
                    description_en=c.description_en,
                    description_ja=c.description_ja,
                    departs_at=c.departs_at + shift,
                    returns_at=c.returns_at + shift,
                    meeting_point_en=c.meeting_point_en,
                    meeting_point_ja=c.meeting_point_ja,
                    seats=c.seats,
                    categories=list(c.categories or []),
                    invitation_only=c.invitation_only,
                    requires_id=c.requires_id,
                    accessibility_en=c.accessibility_en,
                    accessibility_ja=c.accessibility_ja,
                    sort_order=c.sort_order,
                )
                for c in source.courses
            ],
        )
        session.add(tour)
        await session.flush()
        for course in tour.courses:
            await open_seats(session, course)
        course_count += len(tour.courses)
    return len(tours), course_count
