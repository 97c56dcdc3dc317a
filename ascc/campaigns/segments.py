"""Segments: the groups of people a campaign goes to (everyone, a mode, category or country, a
delegation, a tour or course, a session's audience, matching, exhibitors, the network), their labels and
their people now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from ascc import dates
from ascc.accounts import services as accounts
from ascc.campaigns import placeholders
from ascc.campaigns.preferences import unsubscribed
from ascc.exhibitors import services as exhibitors
from ascc.i18n import country_name, is_country, translate
from ascc.matching import services as matching
from ascc.network import services as network
from ascc.programme import services as programme
from ascc.registration import services as registration
from ascc.text import clean_line
from ascc.tours import services as tours

if TYPE_CHECKING:
    from ascc.editions.models import Edition

SIMPLE_SEGMENTS = ("all", "matching", "exhibitors", "network")
ID_SEGMENTS = ("delegation", "tour", "course", "session")
# Segments built from bookings, agendas or meetings: narrowed to people whose registration is confirmed.
CONFIRMED_ONLY = ("tour", "course", "session", "matching")


@dataclass(frozen=True)
class Segment:
    kind: str
    value: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind

    @property
    def number(self) -> int:
        return int(self.value)

    @property
    def allowed(self) -> tuple[str, ...]:
        """The placeholders a campaign to this segment may use."""
        if self.kind in ("tour", "course"):
            return placeholders.COMMON + placeholders.TOUR
        if self.kind == "session":
            return placeholders.COMMON + placeholders.SESSION
        return placeholders.COMMON


def parse_segment(raw: str | None) -> Segment | None:
    """ "all", "mode:online", "category:company", "country:PH", "course:12" ...; None for anything else."""
    kind, _, value = clean_line(raw).partition(":")
    if kind in SIMPLE_SEGMENTS and not value:
        return Segment(kind)
    if kind == "mode" and value in registration.MODES:
        return Segment(kind, value)
    if kind == "category" and value in registration.CATEGORIES:
        return Segment(kind, value)
    if kind == "country" and is_country(value):
        return Segment(kind, value)
    if kind in ID_SEGMENTS and value.isascii() and value.isdigit() and len(value) < 12:
        return Segment(kind, str(int(value)))
    return None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[Choice]


async def segment_choices(session: AsyncSession, edition: Edition, lang: str) -> list[ChoiceGroup]:
    """Every segment an organizer may write to, grouped, labelled in `lang`."""
    t = lambda key, **p: translate(lang, key, **p)  # noqa: E731
    tz = edition.timezone
    groups = [
        ChoiceGroup(
            t("campaigns.segment_group.everyone"),
            [Choice("all", t("campaigns.segment.all"))]
            + [
                Choice(f"mode:{m}", t("campaigns.segment.mode", mode=t(f"registration.mode.{m}")))
                for m in registration.MODES
            ],
        ),
        ChoiceGroup(
            t("campaigns.segment_group.category"),
            [Choice(f"category:{c}", t(f"category.{c}")) for c in registration.CATEGORIES],
        ),
    ]
    countries = await registration.confirmed_countries(session, edition.id)
    if countries:
        groups.append(
            ChoiceGroup(
                t("campaigns.segment_group.country"),
                [Choice(f"country:{c}", f"{country_name(c, lang)} ({n})") for c, n in countries],
            )
        )
    delegations = await registration.delegations_of(session, edition.id)
    if delegations:
        groups.append(
            ChoiceGroup(
                t("campaigns.segment_group.delegation"),
                [Choice(f"delegation:{i}", (ja if lang == "ja" and ja else en)) for i, en, ja in delegations],
            )
        )
    tour_choices = []
    for tour in await tours.list_tours(session, edition.id):
        name = tour.name_ja if lang == "ja" else tour.name_en
        tour_choices.append(Choice(f"tour:{tour.id}", t("campaigns.segment.tour", tour=name)))
        for course in tour.courses:
            theme = course.theme_ja if lang == "ja" else course.theme_en
            when = dates.format_moment(course.departs_at, lang, tz)
            tour_choices.append(Choice(f"course:{course.id}", f"{name} · {course.code} {theme} ({when})"))
    if tour_choices:
        groups.append(ChoiceGroup(t("campaigns.segment_group.tour"), tour_choices))
    schedule = (await programme.published(session, edition)).schedule
    if schedule:
        items = sorted(
            (i for i in schedule.items if i.status != "cancelled"), key=lambda i: (i.starts_at, i.id)
        )
        groups.append(
            ChoiceGroup(
                t("campaigns.segment_group.session"),
                [
                    Choice(
                        f"session:{i.id}",
                        f"{dates.format_moment(i.starts_at, lang, tz)} {i.title_ja if lang == 'ja' else i.title_en}",
                    )
                    for i in items
                ],
            )
        )
    groups.append(
        ChoiceGroup(
            t("campaigns.segment_group.other"),
            [Choice(k, t(f"campaigns.segment.{k}")) for k in ("matching", "exhibitors", "network")],
        )
    )
    return groups


async def segment_label(session: AsyncSession, edition: Edition, segment_key: str, lang: str) -> str:
    for group in await segment_choices(session, edition, lang):
        for choice in group.choices:
            if choice.value == segment_key:
                return choice.label
    return segment_key


async def segment_exists(session: AsyncSession, edition: Edition, segment: Segment) -> bool:
    if segment.kind not in ID_SEGMENTS:
        return True
    for group in await segment_choices(session, edition, "en"):
        if any(c.value == segment.key for c in group.choices):
            return True
    return False


@dataclass
class Recipient:
    user_id: int
    email: str
    name: str
    name_local: str
    lang: str  # preferred
    organization_en: str
    organization_ja: str
    country: str | None
    category: str | None
    mode: str | None
    reference: str
    course: Any = None  # tour segments: the course they hold a seat on


async def _user_ids(
    session: AsyncSession, edition: Edition, segment: Segment
) -> tuple[list[int], dict[int, Any]]:
    courses: dict[int, Any] = {}
    kind = segment.kind
    if kind == "all":
        ids = await registration.confirmed_user_ids(session, edition.id)
    elif kind in ("mode", "category", "country"):
        ids = await registration.confirmed_user_ids(
            session,
            edition.id,
            mode=segment.value if kind == "mode" else None,
            category=segment.value if kind == "category" else None,
            country=segment.value if kind == "country" else None,
        )
    elif kind == "delegation":
        ids = await registration.confirmed_user_ids(session, edition.id, delegation_id=segment.number)
    elif kind in ("tour", "course"):
        courses = await tours.booked_on(session, edition.id, **{f"{kind}_id": segment.number})
        ids = list(courses)
    elif kind == "session":
        ids = (await programme.audiences(session, [segment.number]))[segment.number]
    elif kind == "matching":
        ids = sorted(await matching.participant_ids(session, edition.id))
    elif kind == "exhibitors":
        ids = sorted(await exhibitors.staff_user_ids(session, edition.id, approved_only=True))
    else:
        ids = sorted(await network.member_ids(session))
    if kind in CONFIRMED_ONLY:
        # Bookings, agendas and meetings outlive a cancelled registration: only confirmed people get mail.
        confirmed = set(await registration.confirmed_user_ids(session, edition.id))
        ids = [i for i in ids if i in confirmed]
    return list(dict.fromkeys(ids)), courses


async def recipients(session: AsyncSession, edition: Edition, segment: Segment) -> list[Recipient]:
    """The people of a segment now (active accounts), ordered by name: the order they are sent in."""
    ids, courses = await _user_ids(session, edition, segment)
    people: list[Recipient] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        users = await accounts.get_users(session, chunk)
        regs = await registration.registrations_of(session, edition.id, chunk)
        organizations = await accounts.organization_names(session, [u.id for u in users if u.id not in regs])
        for user in users:
            reg = regs.get(user.id)
            org = reg.organization if reg is not None else None
            people.append(
                Recipient(
                    user_id=user.id,
                    email=user.email,
                    name=user.name_latin,
                    name_local=user.name_local or user.name_latin,
                    lang=user.preferred_lang if user.preferred_lang in ("en", "ja") else "en",
                    organization_en=org.name_en if org else organizations.get(user.id, ""),
                    organization_ja=(org.name_ja or org.name_en) if org else organizations.get(user.id, ""),
                    country=(reg.country if reg else None) or user.country,
                    category=reg.category if reg else None,
                    mode=reg.mode if reg else None,
                    reference=reg.reference if reg else "",
                    course=courses.get(user.id),
                )
            )
    people.sort(key=lambda r: (r.name.casefold(), r.user_id))
    return people


@dataclass(frozen=True)
class SegmentSize:
    people: int
    unsubscribed: int  # would be skipped by a campaign that is not essential


async def segment_size(session: AsyncSession, edition: Edition, segment: Segment) -> SegmentSize:
    ids, _ = await _user_ids(session, edition, segment)
    active = [u.id for u in await accounts.get_users(session, ids)] if ids else []
    return SegmentSize(len(active), len(await unsubscribed(session, active, "campaigns")))
