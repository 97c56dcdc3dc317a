"""The organizers' figures: the live dashboard of the current edition and the edition report.

A read-only reporting layer: it counts in the other domains' tables with one grouped query per figure
(never a row per person), so the dashboard stays fast with 5,000 participants and 5,000 meetings.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.audit import services as audit
from ascc.badges import figures
from ascc.badges.models import CheckIn
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.exhibitors.models import Exhibitor, Need, Solution
from ascc.matching import tracking
from ascc.matching.models import OUTCOMES, FollowUp, Meeting, MeetingFeedback
from ascc.online import viewing as online
from ascc.online.models import ViewingMinute
from ascc.organizations.models import Organization
from ascc.programme.models import ProgrammeSession, SessionPerson
from ascc.registration.models import Registration
from ascc.reports import figures as fig
from ascc.reports.models import RecordedEdition
from ascc.text import name_key
from ascc.tours import services as tours
from ascc.tours.models import Booking, Course, Tour

T = TypeVar("T")
TOP = 12  # countries and cities on the dashboard; the rest are summed as "other"
OVERSEAS_KINDS = ("city", "government", "international")  # "overseas cities and institutions"
COOPERATION = ("cooperation_possible", "follow_up")
STUDIES = ("feasibility_study", "pilot", "contract")


# --- the edition report -------------------------------------------------------------------------------------


async def _count(session: AsyncSession, statement: Any) -> int:
    return int(await session.scalar(statement) or 0)


async def meeting_outcomes(session: AsyncSession, edition_id: int) -> dict[str, int]:
    """Meetings per outcome. Both parties may give feedback; a meeting counts once, under the better of
    their two answers (a follow-up beats cooperation possible, which beats informative)."""
    rows = await session.execute(
        select(MeetingFeedback.meeting_id, MeetingFeedback.outcome).where(
            MeetingFeedback.meeting_id.in_(select(Meeting.id).where(Meeting.edition_id == edition_id))
        )
    )
    best: dict[int, int] = {}
    for meeting_id, outcome in rows.tuples():
        rank = OUTCOMES.index(outcome) if outcome in OUTCOMES else -1
        best[meeting_id] = max(best.get(meeting_id, -1), rank)
    counted = Counter(OUTCOMES[rank] for rank in best.values() if rank >= 0)
    return {outcome: counted[outcome] for outcome in reversed(OUTCOMES) if counted[outcome]}


async def edition_figures(session: AsyncSession, edition: editions.Edition) -> fig.EditionFigures:
    """The published figures of one platform edition, counted from its data."""
    eid = edition.id
    confirmed = (Registration.edition_id == eid, Registration.status == "confirmed")
    by_mode = dict(
        (
            await session.execute(
                select(Registration.mode, func.count()).where(*confirmed).group_by(Registration.mode)
            )
        )
        .tuples()
        .all()
    )
    country = func.coalesce(Registration.country, Organization.country)
    per_country = dict(
        (
            await session.execute(
                select(country, func.count())
                .select_from(Registration)
                .outerjoin(Organization, Organization.id == Registration.organization_id)
                .where(*confirmed, country.is_not(None))
                .group_by(country)
            )
        )
        .tuples()
        .all()
    )
    overseas = [
        fig.Organization(name_en, name_ja, org_country, kind, people)
        for name_en, name_ja, org_country, kind, people in (
            await session.execute(
                select(
                    Organization.name_en,
                    Organization.name_ja,
                    Organization.country,
                    Organization.kind,
                    func.count(Registration.id),
                )
                .join(Registration, Registration.organization_id == Organization.id)
                .where(
                    *confirmed,
                    Organization.kind.in_(OVERSEAS_KINDS),
                    or_(
                        Organization.country != fig.HOST_COUNTRY,
                        and_(Organization.kind == "international", Organization.country.is_(None)),
                    ),
                )
                .group_by(
                    Organization.id,
                    Organization.name_en,
                    Organization.name_ja,
                    Organization.country,
                    Organization.kind,
                )
                .order_by(Organization.country.is_(None), Organization.country, Organization.name_en)
            )
        ).all()
    ]
    courses = [course for tour in await tours.list_tours(session, eid) for course in tour.courses]
    sessions_of_edition = select(ProgrammeSession.id).where(
        ProgrammeSession.edition_id == eid, ProgrammeSession.status == "published"
    )
    meetings = dict(
        (
            await session.execute(
                select(Meeting.status, func.count()).where(Meeting.edition_id == eid).group_by(Meeting.status)
            )
        )
        .tuples()
        .all()
    )
    of_edition = select(Meeting.id).where(Meeting.edition_id == eid)
    outcomes = await meeting_outcomes(session, eid)

    async def meetings_with_follow_up(statuses: tuple[str, ...]) -> int:
        return await _count(
            session,
            select(func.count(distinct(FollowUp.meeting_id))).where(
                FollowUp.meeting_id.in_(of_edition), FollowUp.status.in_(statuses)
            ),
        )

    in_person, online = by_mode.get("in_person", 0), by_mode.get("online", 0)
    values: dict[str, int | None] = {
        "overseas_organizations": len(overseas),
        "overseas_cities": sum(1 for o in overseas if o.kind == "city"),
        "countries": len(per_country),
        "participants_in_person": in_person,
        "participants_online": online,
        "attended_in_person": await _count(
            session,
            select(func.count(distinct(CheckIn.registration_id))).where(
                CheckIn.edition_id == eid, CheckIn.place_type == "entrance"
            ),
        ),
        "watched_online": await _count(
            session,
            select(func.count(distinct(ViewingMinute.user_id))).where(
                ViewingMinute.session_id.in_(sessions_of_edition)
            ),
        ),
        "sessions": await _count(session, select(func.count()).select_from(sessions_of_edition.subquery())),
        "speakers": await _count(
            session,
            select(func.count(distinct(SessionPerson.speaker_id))).where(
                SessionPerson.session_id.in_(sessions_of_edition)
            ),
        ),
        "site_visit_participants": len(
            {person for people in (await tours.seat_holders(session, courses)).values() for person in people}
        ),
        "exhibitors": await _count(
            session, select(func.count()).where(Exhibitor.edition_id == eid, Exhibitor.status == "approved")
        ),
        "solutions": await _count(
            session,
            select(func.count(Solution.id))
            .join(Exhibitor, Exhibitor.id == Solution.exhibitor_id)
            .where(Exhibitor.edition_id == eid, Exhibitor.status == "approved"),
        ),
        "city_needs": await _count(session, select(func.count()).where(Need.edition_id == eid)),
        "meetings_requested": sum(meetings.values()),
        "meetings_held": meetings.get("held", 0),
        "meetings_no_show": meetings.get("no_show", 0),
        "meetings_cooperation": sum(outcomes.get(outcome, 0) for outcome in COOPERATION),
        "feasibility_studies": await meetings_with_follow_up(STUDIES),
        "pilots": await meetings_with_follow_up(("pilot", "contract")),
        "contracts": await meetings_with_follow_up(("contract",)),
    }
    values["participants"] = in_person + online
    return fig.EditionFigures(
        number=fig.edition_number(edition.starts_on.year),
        label=str(edition.starts_on.year),
        name_en=edition.name_en,
        name_ja=edition.name_ja,
        source="platform",
        values=values,
        slug=edition.slug,
        organizations=tuple(overseas),
        countries=dict(sorted(per_country.items(), key=lambda item: (-item[1], item[0]))),
        outcomes=outcomes,
    )


async def unchecked_organizations(session: AsyncSession, edition_id: int) -> int:
    """Organizations of the edition's confirmed participants whose kind no organizer has checked: the
    report counts cities and institutions by kind, so these may be missing from it (or counted wrongly)."""
    return await _count(
        session,
        select(func.count(distinct(Organization.id)))
        .join(Registration, Registration.organization_id == Organization.id)
        .where(
            Registration.edition_id == edition_id,
            Registration.status == "confirmed",
            Organization.kind_checked.is_(False),
        ),
    )


def _recorded(row: RecordedEdition) -> fig.EditionFigures:
    return fig.EditionFigures(
        number=row.number,
        label=row.label,
        name_en=row.name_en,
        name_ja=row.name_ja,
        source="recorded",
        values={key: row.figures.get(key) for key in fig.KEYS},
        note=row.note,
    )


async def report_of(session: AsyncSession, edition: editions.Edition) -> fig.EditionFigures:
    """An edition's report: counted from its data, except that an ended edition whose figures were kept
    before the retention rules thinned its data (see `freeze`) reports the kept figures."""
    counted = await edition_figures(session, edition)
    if edition.is_current:
        return counted
    kept = await session.scalar(select(RecordedEdition).where(RecordedEdition.number == counted.number))
    if kept is None:
        return counted
    return replace(counted, values={key: kept.figures.get(key) for key in fig.KEYS}, note=kept.note)


async def freeze(session: AsyncSession, edition: editions.Edition) -> bool:
    """Keep an ended edition's figures as recorded ones, once, before the retention rules remove or anonymize
    the data they are counted from (the published "44 overseas cities" must not shrink years later)."""
    counted = await edition_figures(session, edition)
    if await session.scalar(select(RecordedEdition.id).where(RecordedEdition.number == counted.number)):
        return False
    session.add(
        RecordedEdition(
            number=counted.number,
            label=counted.label,
            name_en=counted.name_en,
            name_ja=counted.name_ja,
            figures={key: value for key, value in counted.values.items() if value is not None},
            note=f"Counted by the platform on {clock.now().date().isoformat()}, before the retention rules applied.",
        )
    )
    await session.flush()
    return True


async def recorded_values(session: AsyncSession, number: int) -> dict[str, str]:
    """A recorded edition's figures as the form shows them, to correct them (empty when none)."""
    row = await session.scalar(select(RecordedEdition).where(RecordedEdition.number == number))
    if row is None:
        return {}
    shown = {key: str(value) for key, value in row.figures.items()}
    return {
        **shown,
        "number": str(row.number),
        "label": row.label,
        "name_en": row.name_en,
        "name_ja": row.name_ja,
        "note": row.note,
    }


async def recorded_editions(session: AsyncSession) -> list[RecordedEdition]:
    return list(await session.scalars(select(RecordedEdition).order_by(RecordedEdition.number)))


async def all_editions(session: AsyncSession) -> list[fig.EditionFigures]:
    """Every edition the report can compare, oldest first: the recorded ones and the platform's editions
    that have begun or are current (a prepared next edition has nothing to compare yet)."""
    today = clock.now().date()
    platform = [
        await report_of(session, edition)
        for edition in await editions.list_editions(session, include_drafts=True)
        if edition.is_current or (edition.status != "draft" and edition.starts_on <= today)
    ]
    taken = {figures.number for figures in platform}  # an edition on the platform reports its own figures
    recorded = [_recorded(r) for r in await recorded_editions(session) if r.number not in taken]
    return sorted(platform + recorded, key=lambda e: (e.number, e.label))


async def save_recorded(
    session: AsyncSession, actor: audit.Actor | None, values: dict[str, str]
) -> RecordedEdition:
    """Record (or correct) an earlier edition's published figures. Raises ValidationFailed with the field."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    number_text = unicodedata.normalize("NFKC", values.get("number") or "").strip()
    number = (
        int(number_text) if number_text.isascii() and number_text.isdigit() and len(number_text) < 4 else 0
    )
    if not 1 <= number <= 200:
        errors["number"] = ("report.error.number", {})
    elif any(
        fig.edition_number(e.starts_on.year) == number and e.status != "draft"
        for e in await editions.list_editions(session, include_drafts=True)
    ):
        errors["number"] = ("report.error.on_platform", {"number": number})
    label = (values.get("label") or "").strip()
    if not label or len(label) > 20:
        errors["label"] = ("report.error.label", {})
    known: dict[str, int] = {}
    try:
        known = {key: value for key, value in fig.parse_recorded(values).items() if value is not None}
    except fig.RecordedFiguresInvalid as bad:
        for key, reason in bad.fields.items():
            errors[key] = ("report.error.figure" if reason == "figure" else "report.error.parts", {})
    if not known and not any(key in errors for key in fig.KEYS):
        errors["participants"] = ("report.error.no_figures", {})
    if errors:
        raise ValidationFailed(errors)
    row = await session.scalar(select(RecordedEdition).where(RecordedEdition.number == number))
    before = audit.snapshot(row, ("label", "figures", "note")) if row else None
    if row is None:
        row = RecordedEdition(number=number)
        session.add(row)
    row.label = label
    row.name_en = (values.get("name_en") or "").strip()[:200]
    row.name_ja = (values.get("name_ja") or "").strip()[:200]
    row.figures = known
    row.note = (values.get("note") or "").strip()[:2000]
    await session.flush()
    await audit.record(
        session,
        actor,
        "report.record_figures",
        "recorded_edition",
        row.id,
        f"{number} ({label})",
        before=before,
        after=audit.snapshot(row, ("label", "figures", "note")),
    )
    return row


# --- the live dashboard -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionAttendance:
    session_id: int
    title_en: str
    title_ja: str
    starts_at: datetime
    on_site: int
    online: int


@dataclass(frozen=True)
class CourseFill:
    label: str
    seats: int
    confirmed: int
    waiting: int


@dataclass(frozen=True)
class Dashboard:
    generated_at: datetime
    by_status: dict[str, int]
    by_mode: dict[str, int]  # confirmed only, as every figure below
    by_category: dict[str, int]
    by_country: list[tuple[str, int]]  # the TOP countries, then ("", rest)
    by_city: list[tuple[str, int]]
    entrance_today: int
    in_person_registered: int
    check_ins_by_hour: list[tuple[str, int]]  # today, edition time
    scans_today: dict[str, int]
    sessions: list[SessionAttendance]  # the TOP sessions by people, on site and online
    on_site_session_check_ins: int
    online_viewers: int
    courses: list[CourseFill]
    meeting_status: dict[str, int]
    funnel: list[tuple[str, int]]  # requested, accepted, scheduled, held
    outcomes: dict[str, int]


def _fold_cities(counts: dict[str, int]) -> dict[str, int]:
    """ "Yokohama", "yokohama " and "ＹＯＫＯＨＡＭＡ" are one city: folded, shown as most people typed it."""
    folded: dict[str, Counter[str]] = {}
    for name, count in counts.items():
        if name.strip():
            folded.setdefault(name_key(name), Counter())[name.strip()] += count
    return {spellings.most_common(1)[0][0]: sum(spellings.values()) for spellings in folded.values()}


def _top(counts: dict[str, int], limit: int = TOP) -> list[tuple[str, int]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top, rest = ranked[:limit], sum(n for _, n in ranked[limit:])
    return top + ([("", rest)] if rest else [])


async def _grouped(session: AsyncSession, column: Any, *where: Any) -> dict[Any, int]:
    rows = await session.execute(
        select(column, func.count()).select_from(Registration).where(*where).group_by(column)
    )
    return dict(rows.tuples().all())


async def dashboard(session: AsyncSession, edition: editions.Edition) -> Dashboard:
    eid = edition.id
    confirmed = (Registration.edition_id == eid, Registration.status == "confirmed")
    by_status = await _grouped(session, Registration.status, Registration.edition_id == eid)
    by_mode = await _grouped(session, Registration.mode, *confirmed)
    by_category = await _grouped(session, Registration.category, *confirmed)
    country = func.coalesce(Registration.country, Organization.country, "")
    by_country = dict(
        (
            await session.execute(
                select(country, func.count())
                .select_from(Registration)
                .outerjoin(Organization, Organization.id == Registration.organization_id)
                .where(*confirmed)
                .group_by(country)
            )
        )
        .tuples()
        .all()
    )
    by_country.pop("", None)
    by_city = _fold_cities(await _grouped(session, func.coalesce(Registration.city, ""), *confirmed))

    stats = await figures.stats(session, eid)
    zone = ZoneInfo(edition.timezone)
    day = clock.now().astimezone(zone).date()
    moments = await session.scalars(
        select(CheckIn.checked_in_at).where(CheckIn.edition_id == eid, CheckIn.place_key == f"entrance:{day}")
    )
    hours = Counter(moment.astimezone(zone).hour for moment in moments)
    by_hour = [
        (f"{hour:02d}:00", hours[hour]) for hour in range(min(hours, default=8), max(hours, default=18) + 1)
    ]

    sessions = (
        await session.execute(
            select(
                ProgrammeSession.id,
                ProgrammeSession.title_en,
                ProgrammeSession.title_ja,
                ProgrammeSession.starts_at,
            )
            .where(ProgrammeSession.edition_id == eid, ProgrammeSession.status == "published")
            .order_by(ProgrammeSession.starts_at)
        )
    ).all()
    door = await figures.session_check_ins(session, eid)
    watched = await online.figures(session, [row.id for row in sessions])
    attendance = [
        SessionAttendance(
            row.id,
            row.title_en,
            row.title_ja,
            row.starts_at,
            door.get(row.id, 0),
            watched[row.id].viewers if row.id in watched else 0,
        )
        for row in sessions
    ]
    online_viewers = (
        await _count(
            session,
            select(func.count(distinct(ViewingMinute.user_id))).where(
                ViewingMinute.session_id.in_([row.id for row in sessions])
            ),
        )
        if sessions
        else 0
    )

    courses = (
        await session.execute(
            select(Course.id, Course.code, Course.theme_en, Course.seats, Course.departs_at)
            .join(Tour, Tour.id == Course.tour_id)
            .where(Tour.edition_id == eid)
            .order_by(Course.departs_at, Course.sort_order, Course.code)
        )
    ).all()
    seats = await tours.confirmed_seats(session, eid)
    waiting = dict(
        (
            await session.execute(
                select(Booking.course_id, func.count())
                .where(Booking.course_id.in_([c.id for c in courses]), Booking.active.is_(True))
                .group_by(Booking.course_id)
            )
        )
        .tuples()
        .all()
    )
    fills = [
        CourseFill(
            f"{c.code} {c.theme_en}",
            c.seats,
            seats.get(c.id, 0),
            max(waiting.get(c.id, 0) - seats.get(c.id, 0), 0),
        )
        for c in courses
    ]

    status = await tracking.status_counts(session, eid)
    held = status.get("held", 0) + status.get("no_show", 0)
    scheduled = status.get("scheduled", 0) + held
    accepted = status.get("accepted", 0) + scheduled
    requested = accepted + status.get("requested", 0) + status.get("declined", 0) + status.get("cancelled", 0)
    outcomes = await meeting_outcomes(session, eid)
    return Dashboard(
        generated_at=clock.now(),
        by_status=by_status,
        by_mode=by_mode,
        by_category=dict(sorted(by_category.items(), key=lambda item: -item[1])),
        by_country=_top(by_country),
        by_city=_top(by_city),
        entrance_today=stats.entrance_today,
        in_person_registered=stats.in_person_registered,
        check_ins_by_hour=by_hour,
        scans_today=stats.results_today,
        sessions=sorted(attendance, key=lambda s: -(s.on_site + s.online))[:TOP],
        on_site_session_check_ins=sum(door.values()),
        online_viewers=online_viewers,
        courses=fills,
        meeting_status=status,
        funnel=[
            ("requested", requested),
            ("accepted", accepted),
            ("scheduled", scheduled),
            ("held", status.get("held", 0)),
        ],
        outcomes=outcomes,
    )


class DashboardCache:
    """The dashboard's figures per worker, kept for a few seconds: organizers' pages refresh every 30 s and
    several organizers may watch at once, so one count serves them all. When the figures are due again, one
    request counts afresh while the others answer with the last figures instead of queueing behind it."""

    def __init__(self, seconds: float = 5.0) -> None:
        self.seconds = seconds
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        return time.monotonic() - entry[0] < self.seconds, entry

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        fresh, entry = self._fresh(key)
        if fresh:
            return entry[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        if entry is not None and lock.locked():
            return entry[1]  # being counted right now: the figures of a few seconds ago meanwhile
        async with lock:
            fresh, entry = self._fresh(key)
            if fresh:
                return entry[1]
            value = await compute()
            self._entries[key] = (time.monotonic(), value)
            return value
