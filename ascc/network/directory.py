"""The members' directory across editions, and the organizers' figures and CSV of it.

The directory needs no current edition: it reads every edition a member took part in (their latest
registration and matching profile describe them; their organization's solutions and needs of all editions
show what it offers and looks for). Search folds text exactly as the marketplace does (`exhibitors.search`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import NotFound
from ascc.exhibitors import directory as needs_directory
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.search import document, matches, query_terms
from ascc.i18n import country_name, translate
from ascc.matching import services as matching
from ascc.network.meetings import still_asked
from ascc.network.models import MEETING_STATUSES, NetworkChoice, NetworkMeeting, NetworkMember
from ascc.network.services import DEFAULT_ZONE, is_member
from ascc.organizations import services as organizations
from ascc.registration import services as registration
from ascc.taxonomy import SECTORS
from ascc.text import fold_name


@dataclass(frozen=True)
class Earlier:
    """A solution or need of the member's organization, with the edition it was shown in."""

    id: int
    title_en: str
    title_ja: str
    edition_id: int
    edition_en: str
    edition_ja: str
    status: str = "open"


@dataclass(frozen=True)
class Attended:
    edition_id: int
    name_en: str
    name_ja: str
    year: int


@dataclass
class MemberCard:
    user_id: int
    name: str
    name_local: str | None
    organization_en: str
    organization_ja: str
    organization_id: int | None
    position: str
    category: str | None
    city: str
    country: str | None
    headline: str
    interests: str
    timezone: str
    joined_at: datetime
    sectors: tuple[str, ...] = ()
    offers: str = ""
    seeks: str = ""
    editions: tuple[Attended, ...] = ()
    solutions: tuple[Earlier, ...] = ()
    needs: tuple[Earlier, ...] = ()
    search: str = field(default="", repr=False)


@dataclass(frozen=True)
class DirectoryQuery:
    q: str = ""
    country: str = ""
    sector: str = ""

    @property
    def terms(self) -> list[str]:
        return query_terms(self.q)


def _labels(key: str, value: str | None) -> list[str]:
    return [translate(lang, f"{key}.{value}") for lang in ("en", "ja")] if value else []


def _search_text(card: MemberCard) -> str:
    """Everything a member can be found by, folded as the marketplace folds, with country and sector tags."""
    tags = " ".join(
        [
            *(f"#sector={s}#" for s in card.sectors),
            *([f"#country={card.country.lower()}#"] if card.country else []),
        ]
    )
    return document(
        card.name,
        card.name_local,
        fold_name(card.name),  # without accents too: "nguyen" finds Nguyễn, "dang" finds Đặng
        fold_name(card.name_local),
        card.organization_en,
        card.organization_ja,
        card.position,
        card.city,
        *(country_name(card.country, lang) for lang in ("en", "ja") if card.country),
        card.headline,
        card.interests,
        card.offers,
        card.seeks,
        *(label for s in card.sectors for label in _labels("sector", s)),
        *_labels("category", card.category),
        *(t for item in (*card.solutions, *card.needs) for t in (item.title_en, item.title_ja)),
        tags,
    )


_cache: dict[str, tuple[tuple, list[MemberCard]]] = {}


async def _stamp(session: AsyncSession) -> tuple:
    """Changes whenever anything a card shows may have changed (members, registrations, profiles, editions,
    organizations, the marketplace): with `_people`, the key of the worker's cached directory."""
    parts = []
    for model in (
        NetworkMember,
        registration.Registration,
        matching.MatchingProfile,
        editions.Edition,
        organizations.Organization,
    ):
        parts += [
            select(func.max(model.updated_at)).scalar_subquery(),
            select(func.count()).select_from(model).scalar_subquery(),
        ]
    row = (await session.execute(select(*parts))).one()
    return (*row, await needs_directory.version(session))


async def _people(session: AsyncSession) -> tuple[tuple, ...]:
    """Who is in the network right now, with what their account shows on a card, in one query. Compared as
    values, not by a time stamp: a leave is seen whenever it was committed, and signing in (which touches the
    account row) does not rebuild the directory."""
    User = accounts.User
    rows = await session.execute(
        select(
            NetworkMember.user_id,
            User.name_latin,
            User.name_local,
            User.country,
            User.organization_id,
            User.is_active,
        )
        .join(User, User.id == NetworkMember.user_id)
        .where(NetworkMember.left_at.is_(None))
        .order_by(NetworkMember.user_id)
    )
    return tuple(tuple(r) for r in rows)


async def cards(session: AsyncSession, user_ids: list[int] | None = None) -> list[MemberCard]:
    """Members now in the network (or only `user_ids` among them), described from every edition. The
    whole directory is built once per change and worker (see `_stamp` and `_people`)."""
    if user_ids is not None:
        return await _build(session, user_ids)
    # The database's address (the engine's, also when the session is bound to one of its connections).
    where = str(session.get_bind().engine.url) if session.bind else ""
    people = await _people(session)
    key = (await _stamp(session), people)
    cached = _cache.get(where)
    if cached and cached[0] == key:
        found = cached[1]
    else:
        found = await _build(session, None)
        _cache[where] = (key, found)
    members = {person[0] for person in people}
    return [card for card in found if card.user_id in members]  # whoever left is never listed


async def _build(session: AsyncSession, user_ids: list[int] | None) -> list[MemberCard]:
    query = select(NetworkMember).where(NetworkMember.left_at.is_(None))
    if user_ids is not None:
        query = query.where(NetworkMember.user_id.in_(user_ids))
    members = {m.user_id: m for m in await session.scalars(query)}
    if not members:
        return []
    User, Registration, Edition = accounts.User, registration.Registration, editions.Edition
    users = {
        u.id: u
        for u in await session.scalars(
            select(User)
            .where(User.id.in_(members), User.is_active.is_(True))
            .options(joinedload(User.organization))
        )
    }
    ids = list(users)
    # Registrations of every edition, oldest first: the latest describes the person, confirmed ones are attended.
    latest: dict[int, registration.Registration] = {}
    attended: dict[int, list[Attended]] = {}
    rows = await session.execute(
        select(Registration, Edition.name_en, Edition.name_ja, Edition.starts_on)
        .join(Edition, Edition.id == Registration.edition_id)
        .where(Registration.user_id.in_(ids))
        .options(joinedload(Registration.organization))
        .order_by(Edition.starts_on, Registration.id)
    )
    for row, name_en, name_ja, starts_on in rows.unique().tuples():
        if row.status in ("confirmed", "pending", "waiting"):
            latest[row.user_id] = row
        if row.status == "confirmed":
            attended.setdefault(row.user_id, []).append(
                Attended(row.edition_id, name_en, name_ja, starts_on.year)
            )
    profiles: dict[int, matching.MatchingProfile] = {}
    Profile = matching.MatchingProfile
    for found in await session.scalars(
        select(Profile)
        .join(Edition, Edition.id == Profile.edition_id)
        .where(Profile.user_id.in_(ids))
        .order_by(Edition.starts_on, Profile.id)
    ):
        profiles[found.user_id] = found  # the latest edition's wins
    organization_of = {
        uid: (
            latest[uid].organization_id
            if uid in latest and latest[uid].organization_id
            else u.organization_id
        )
        for uid, u in users.items()
    }
    solutions, needs = await offers_of(session, {o for o in organization_of.values() if o})
    result = []
    for uid, user in users.items():
        member, reg, profile = members[uid], latest.get(uid), profiles.get(uid)
        organization_id = organization_of[uid]
        org = (reg.organization if reg and reg.organization else None) or user.organization
        sectors = tuple(
            dict.fromkeys([*(profile.sectors if profile else []), *((reg.interests or []) if reg else [])])
        )
        card = MemberCard(
            user_id=uid,
            name=user.name_latin,
            name_local=user.name_local,
            organization_en=org.name_en if org else "",
            organization_ja=(org.name_ja or "") if org else "",
            organization_id=org.id if org else None,
            position=(reg.position or "") if reg else "",
            category=reg.category if reg else None,
            city=(reg.city or "") if reg else "",
            country=(reg.country if reg and reg.country else user.country),
            headline=member.headline,
            interests=member.interests,
            timezone=member.timezone,
            joined_at=member.joined_at,
            sectors=tuple(s for s in sectors if s in SECTORS),
            offers=profile.offers if profile else "",
            seeks=profile.seeks if profile else "",
            editions=tuple(attended.get(uid, [])),
            solutions=tuple(solutions.get(organization_id, [])) if organization_id else (),
            needs=tuple(needs.get(organization_id, [])) if organization_id else (),
        )
        card.search = _search_text(card)
        result.append(card)
    result.sort(key=lambda c: (c.name.casefold(), c.user_id))
    return result


async def offers_of(
    session: AsyncSession, organization_ids: set[int]
) -> tuple[dict[int, list[Earlier]], dict[int, list[Earlier]]]:
    """Approved exhibitors' solutions and cities' needs of these organizations, in every edition."""
    if not organization_ids:
        return {}, {}
    Exhibitor, Solution, Need, Edition = (
        marketplace.Exhibitor,
        marketplace.Solution,
        needs_directory.Need,
        editions.Edition,
    )
    solutions: dict[int, list[Earlier]] = {}
    rows = await session.execute(
        select(
            Solution.id,
            Solution.title_en,
            Solution.title_ja,
            Exhibitor.organization_id,
            Edition.id,
            Edition.name_en,
            Edition.name_ja,
        )
        .join(Exhibitor, Exhibitor.id == Solution.exhibitor_id)
        .join(Edition, Edition.id == Exhibitor.edition_id)
        .where(Exhibitor.organization_id.in_(organization_ids), Exhibitor.status == "approved")
        .order_by(Edition.starts_on.desc(), Solution.id)
    )
    for sid, en, ja, org, eid, ed_en, ed_ja in rows.tuples():
        solutions.setdefault(org, []).append(Earlier(sid, en, ja, eid, ed_en, ed_ja))
    needs: dict[int, list[Earlier]] = {}
    need_rows = await session.execute(
        select(
            Need.id,
            Need.title_en,
            Need.title_ja,
            Need.organization_id,
            Edition.id,
            Edition.name_en,
            Edition.name_ja,
            Need.status,
        )
        .join(Edition, Edition.id == Need.edition_id)
        .where(Need.organization_id.in_(organization_ids))
        .order_by(Edition.starts_on.desc(), Need.id)
    )
    for nid, en, ja, org, eid, ed_en, ed_ja, status in need_rows.tuples():
        needs.setdefault(org, []).append(Earlier(nid, en, ja, eid, ed_en, ed_ja, status))
    return solutions, needs


def select_cards(all_cards: list[MemberCard], query: DirectoryQuery) -> list[MemberCard]:
    """The members a query finds: every word somewhere in their folded text (any language), and the filters."""
    terms = query.terms
    country = query.country.upper() if len(query.country) == 2 and query.country.isalpha() else ""
    result = []
    for card in all_cards:
        if terms and not matches(card.search, terms):
            continue
        if country and card.country != country:
            continue
        if query.sector and query.sector not in card.sectors:
            continue
        result.append(card)
    return result


async def may_see_directory(session: AsyncSession, user: Any | None) -> bool:
    """Members and organizers see the list; others see the invitation to join."""
    if user is None:
        return False
    return user.role == "organizer" or await is_member(session, user.id)


async def member_card(session: AsyncSession, user_id: int) -> MemberCard:
    found = await cards(session, [user_id])
    if not found:
        raise NotFound("member")
    return found[0]


# --- the organizers' view ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    members: int
    left: int
    by_country: list[tuple[str | None, int]]
    by_category: list[tuple[str | None, int]]
    joins_by_month: list[tuple[date, int, int]]  # (the month's first day, joins, leaves)
    meetings: dict[str, int]


async def figures(session: AsyncSession, all_cards: list[MemberCard], tz: str) -> Figures:
    left = await session.scalar(select(func.count()).where(NetworkMember.left_at.is_not(None))) or 0
    by_country = Counter(c.country for c in all_cards).most_common()
    by_category = Counter(c.category for c in all_cards).most_common()
    months: dict[date, list[int]] = {}
    for action, at in (await session.execute(select(NetworkChoice.action, NetworkChoice.chosen_at))).tuples():
        key = at.astimezone(ZoneInfo(tz)).date().replace(day=1)
        months.setdefault(key, [0, 0])[0 if action == "join" else 1] += 1
    rows = await session.execute(select(NetworkMeeting.status, func.count()).group_by(NetworkMeeting.status))
    counts = {status: count for status, count in rows.tuples()}
    held = await session.scalar(
        select(func.count()).where(
            NetworkMeeting.status == "accepted",
            NetworkMeeting.requester_joined_at.is_not(None),
            NetworkMeeting.recipient_joined_at.is_not(None),
        )
    )
    meetings = {status: int(counts.get(status, 0)) for status in MEETING_STATUSES}
    meetings["total"] = sum(meetings.values())
    meetings["held"] = int(held or 0)
    # "requested" counts requests whose times all passed too: those expired, the rest wait for an answer.
    waiting = await session.scalar(select(func.count()).where(still_asked(clock.now())))
    meetings["waiting"] = int(waiting or 0)
    meetings["expired"] = meetings["requested"] - meetings["waiting"]
    return Figures(
        members=len(all_cards),
        left=int(left),
        by_country=by_country,
        by_category=by_category,
        joins_by_month=[(k, v[0], v[1]) for k, v in sorted(months.items())],
        meetings=meetings,
    )


def csv_rows(all_cards: list[MemberCard], tz: str = DEFAULT_ZONE) -> list[list[Any]]:
    """One row per member; the day they joined is the day in `tz` (the edition's zone)."""
    local = ZoneInfo(tz)
    return [
        [
            c.name,
            c.name_local or "",
            c.organization_en,
            c.position,
            c.category or "",
            c.city,
            c.country or "",
            c.headline,
            c.interests,
            " ".join(c.sectors),
            " ".join(str(e.year) for e in c.editions),
            c.joined_at.astimezone(local).date().isoformat(),
        ]
        for c in all_cards
    ]


CSV_HEADER = [
    "name",
    "name_local",
    "organization",
    "position",
    "category",
    "city",
    "country",
    "headline",
    "interests",
    "sectors",
    "editions",
    "joined",
]
