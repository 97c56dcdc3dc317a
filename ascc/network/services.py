"""Business rules of the year-round network: joining and leaving, the members' directory across editions,
off-season online meetings between members, and the organizers' figures.

The directory needs no current edition: it reads every edition a member took part in (their latest
registration and matching profile describe them; their organization's solutions and needs of all editions
show what it offers and looks for). Search folds text exactly as the marketplace does (`exhibitors.search`).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors import directory as needs_directory
from ascc.exhibitors import services as marketplace
from ascc.exhibitors import solutions as solution_service
from ascc.exhibitors.search import document, matches, query_terms
from ascc.i18n import country_name, format_datetime, translate
from ascc.ical import Attendee, invitation_payload
from ascc.mail import services as mail
from ascc.matching import invitations
from ascc.matching import services as matching
from ascc.network import offseason
from ascc.network.models import (
    CARRIED_KINDS,
    CHOSEN_VIA,
    MEETING_STATUSES,
    CarriedOver,
    NetworkChoice,
    NetworkMeeting,
    NetworkMember,
)
from ascc.organizations import services as organizations
from ascc.programme.schedule import COMMON_ZONES, zone
from ascc.registration import services as registration
from ascc.taxonomy import SECTORS
from ascc.text import clean_line, collect, optional_block, optional_line, whole_number

__all__ = ["COMMON_ZONES", "MEETING_STATUSES", "NetworkMeeting", "NetworkMember"]

HEADLINE_MAX = 300
INTERESTS_MAX = 2000
MESSAGE_MAX = 1000
MAX_PENDING = 5  # requests a member may have waiting for an answer at once
MAX_PER_WEEK = 10  # requests a member may send in seven days
DEFAULT_ZONE = "Asia/Tokyo"
DEFAULT_VIDEO = "https://meet.jit.si/"
OPEN = ("requested", "accepted")


# --- membership -------------------------------------------------------------------------------------------


async def member_ids(session: AsyncSession) -> set[int]:
    """The people who are in the network now (joined and not left): retention keeps their data."""
    rows = await session.scalars(select(NetworkMember.user_id).where(NetworkMember.left_at.is_(None)))
    return set(rows)


async def membership(session: AsyncSession, user_id: int) -> NetworkMember | None:
    """The person's row, whether they are in the network now or left it."""
    return await session.scalar(select(NetworkMember).where(NetworkMember.user_id == user_id))


async def is_member(session: AsyncSession, user_id: int) -> bool:
    row = await membership(session, user_id)
    return row is not None and row.left_at is None


async def choices_of(session: AsyncSession, user_id: int) -> list[NetworkChoice]:
    rows = await session.scalars(
        select(NetworkChoice).where(NetworkChoice.user_id == user_id).order_by(NetworkChoice.chosen_at)
    )
    return list(rows)


def _check_profile(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict = {}
    headline = collect(errors, optional_line, "headline", values.get("headline"), HEADLINE_MAX)
    interests = collect(errors, optional_block, "interests", values.get("interests"), INTERESTS_MAX)
    tz_name = clean_line(values.get("timezone")) or DEFAULT_ZONE
    if zone(tz_name) is None:  # "UTC" is a zone; "Asia", a folder of zones, is not
        errors["timezone"] = ("network.error.timezone", {})
    if errors:
        raise ValidationFailed(errors)
    return {"headline": headline or "", "interests": interests or "", "timezone": tz_name}


async def join(
    session: AsyncSession, user_id: int, values: Mapping[str, Any], via: str = "account"
) -> NetworkMember:
    """Join (or, already in, change one's headline, interests and time zone). Bad input saves nothing.

    Joining twice at once (a double click, two tabs) keeps one membership and one record of the choice."""
    data = _check_profile(values)
    if via not in CHOSEN_VIA:
        raise ValueError(via)
    now = clock.now()
    member = await membership(session, user_id)
    if member is None:
        try:  # two first joins at once: one creates the row, the other finds it
            async with session.begin_nested():
                member = NetworkMember(user_id=user_id, joined_at=now, **data)
                session.add(member)
                session.add(NetworkChoice(user_id=user_id, action="join", via=via, chosen_at=now))
            return member
        except IntegrityError:
            member = await membership(session, user_id)
            if member is None:
                raise
    joining = member.left_at is not None
    if via == "registration":
        if not joining:
            return member  # ticking the box again when registering for a new edition changes nothing
        # The registration form asks nothing of the profile: joining again keeps what the member wrote before.
        data = {
            "headline": data["headline"] or member.headline,
            "interests": data["interests"] or member.interests,
            "timezone": data["timezone"] if clean_line(values.get("timezone")) else member.timezone,
        }
    if joining:
        member.joined_at, member.left_at = now, None
        session.add(NetworkChoice(user_id=user_id, action="join", via=via, chosen_at=now))
    member.headline, member.interests, member.timezone = data["headline"], data["interests"], data["timezone"]
    await session.flush()
    return member


async def leave(session: AsyncSession, user_id: int, base_url: str) -> None:
    """Leave at once: out of the directory, and open off-season requests and meetings are cancelled
    (the other person is told). The row stays, with its dates, as the record of the choice."""
    await locks.lock_people(session, user_id)  # a request to them being sent now waits, then finds them gone
    member = await membership(session, user_id)
    if member is None or member.left_at is not None:
        return
    now = clock.now()
    member.left_at = now
    session.add(NetworkChoice(user_id=user_id, action="leave", via="account", chosen_at=now))
    await session.flush()
    rows = await session.scalars(
        select(NetworkMeeting.id).where(
            NetworkMeeting.status.in_(OPEN),
            or_(NetworkMeeting.requester_id == user_id, NetworkMeeting.recipient_id == user_id),
        )
    )
    for meeting_id in list(rows):
        meeting = await get_meeting(session, meeting_id)
        if not meeting.expired(now) and (meeting.ends_at is None or meeting.ends_at > now):
            await _cancel(session, meeting, user_id, base_url)


# --- the directory ------------------------------------------------------------------------------------------


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
    where = str(session.bind.url) if session.bind else ""
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
    latest: dict[int, Any] = {}
    attended: dict[int, list[Attended]] = {}
    rows = await session.execute(
        select(Registration, Edition.name_en, Edition.name_ja, Edition.starts_on)
        .join(Edition, Edition.id == Registration.edition_id)
        .where(Registration.user_id.in_(ids))
        .options(joinedload(Registration.organization))
        .order_by(Edition.starts_on, Registration.id)
    )
    for reg, name_en, name_ja, starts_on in rows.unique().tuples():
        if reg.status in ("confirmed", "pending", "waiting"):
            latest[reg.user_id] = reg
        if reg.status == "confirmed":
            attended.setdefault(reg.user_id, []).append(
                Attended(reg.edition_id, name_en, name_ja, starts_on.year)
            )
    profiles: dict[int, Any] = {}
    Profile = matching.MatchingProfile
    for profile in await session.scalars(
        select(Profile)
        .join(Edition, Edition.id == Profile.edition_id)
        .where(Profile.user_id.in_(ids))
        .order_by(Edition.starts_on, Profile.id)
    ):
        profiles[profile.user_id] = profile  # the latest edition's wins
    organization_of = {
        uid: (
            latest[uid].organization_id
            if uid in latest and latest[uid].organization_id
            else u.organization_id
        )
        for uid, u in users.items()
    }
    solutions, needs = await _offers_of(session, {o for o in organization_of.values() if o})
    result = []
    for uid, user in users.items():
        member, reg, profile = members[uid], latest.get(uid), profiles.get(uid)
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
            solutions=tuple(solutions.get(organization_of[uid], [])) if organization_of[uid] else (),
            needs=tuple(needs.get(organization_of[uid], [])) if organization_of[uid] else (),
        )
        card.search = _search_text(card)
        result.append(card)
    result.sort(key=lambda c: (c.name.casefold(), c.user_id))
    return result


async def _offers_of(
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
    rows = await session.execute(
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
    for nid, en, ja, org, eid, ed_en, ed_ja, status in rows.tuples():
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


# --- off-season meetings -------------------------------------------------------------------------------------


async def get_meeting(session: AsyncSession, meeting_id: int) -> NetworkMeeting:
    found = await session.scalar(
        select(NetworkMeeting)
        .where(NetworkMeeting.id == meeting_id)
        .options(joinedload(NetworkMeeting.requester), joinedload(NetworkMeeting.recipient))
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound("meeting")
    return found


async def meeting_for(session: AsyncSession, meeting_id: int, user_id: int) -> NetworkMeeting:
    """A meeting for one of its two people; anyone else is told it does not exist."""
    meeting = await get_meeting(session, meeting_id)
    if user_id not in (meeting.requester_id, meeting.recipient_id):
        raise NotFound("meeting")
    return meeting


async def meetings_of(session: AsyncSession, user_id: int) -> list[NetworkMeeting]:
    rows = await session.scalars(
        select(NetworkMeeting)
        .where(or_(NetworkMeeting.requester_id == user_id, NetworkMeeting.recipient_id == user_id))
        .options(joinedload(NetworkMeeting.requester), joinedload(NetworkMeeting.recipient))
        .order_by(NetworkMeeting.id.desc())
    )
    return list(rows.unique())


async def zone_of(session: AsyncSession, user_id: int) -> str:
    member = await membership(session, user_id)
    return member.timezone if member and zone(member.timezone) else DEFAULT_ZONE


def _number(value: Any) -> int | None:
    """A whole number from a form or a path, or None when it is missing or not one."""
    return whole_number({}, "", str(value if value is not None else ""), 0, 2**31 - 1, False)


def _still_asked(now: datetime) -> Any:
    """A request still waiting for an answer: one of its proposed times is ahead (else it expired)."""
    return (NetworkMeeting.status == "requested") & or_(
        NetworkMeeting.slot_1_at > now, NetworkMeeting.slot_2_at > now, NetworkMeeting.slot_3_at > now
    )


async def request_meeting(
    session: AsyncSession, requester_id: int, values: Mapping[str, Any], base_url: str
) -> NetworkMeeting:
    """A member asks another member for an online meeting at one of up to three times (typed in the
    requester's own zone). Nothing is stored when anything is wrong; the field is named."""
    errors: dict = {}
    recipient_id = _number(values.get("recipient_id")) or 0
    if recipient_id <= 0:
        errors["recipient_id"] = ("error.required", {})
    message = collect(errors, optional_block, "message", values.get("message"), MESSAGE_MAX) or ""
    duration = _number(values.get("duration") or 30)
    if duration not in offseason.DURATIONS:
        errors["duration"] = ("error.choice_invalid", {})
    raw_slots = [str(values.get(name) or "") for name in offseason.SLOT_FIELDS]
    tz_name = await zone_of(session, requester_id)
    now = clock.now()
    slots = offseason.parse_slots(
        errors, raw_slots, ZoneInfo(tz_name), now, await _conference_days(session, now)
    )
    if errors:
        raise ValidationFailed(errors)
    # Both people, in id order: requests by the same person, or between the same two, made at once then run
    # one after the other, so the limits and the one open request per pair hold.
    await locks.lock_people(session, requester_id, recipient_id)
    if not await is_member(session, requester_id):
        raise DomainError("network.error.not_member", "not_member", status=403)
    if recipient_id == requester_id:
        raise DomainError("network.error.self", "self", field="recipient_id")
    if not await is_member(session, recipient_id) or not await accounts.is_active(session, recipient_id):
        raise DomainError("network.error.unknown_member", "unknown_member", field="recipient_id", status=404)
    if await _open_between(session, requester_id, recipient_id, now):
        raise DomainError("network.error.already_open", "already_open", field="recipient_id", status=409)
    pending = await session.scalar(
        select(func.count()).where(NetworkMeeting.requester_id == requester_id, _still_asked(now))
    )
    if (pending or 0) >= MAX_PENDING:
        raise DomainError(
            "network.error.too_many_pending",
            "too_many_pending",
            field="recipient_id",
            status=429,
            limit=MAX_PENDING,
        )
    this_week = await session.scalar(
        select(func.count()).where(
            NetworkMeeting.requester_id == requester_id, NetworkMeeting.created_at > now - timedelta(days=7)
        )
    )
    if (this_week or 0) >= MAX_PER_WEEK:
        raise DomainError(
            "network.error.too_many_this_week",
            "too_many_this_week",
            field="recipient_id",
            status=429,
            limit=MAX_PER_WEEK,
        )
    slots.sort()
    meeting = NetworkMeeting(
        requester_id=requester_id,
        recipient_id=recipient_id,
        message=message,
        duration_minutes=duration,
        slot_1_at=slots[0],
        slot_2_at=slots[1] if len(slots) > 1 else None,
        slot_3_at=slots[2] if len(slots) > 2 else None,
        status="requested",
        room_token=secrets.token_urlsafe(18),
        created_at=now,  # the app's clock: the weekly limit and the request's date shown count from it
    )
    session.add(meeting)
    await session.flush()
    meeting = await get_meeting(session, meeting.id)
    await _tell(session, meeting, [recipient_id], "network_meeting_requested", base_url)
    return meeting


async def _conference_days(session: AsyncSession, now: datetime) -> tuple[datetime, datetime] | None:
    """The current edition's days (in its zone) as instants, unless it is over: no network meeting then."""
    current = await editions.current(session)
    if current is None:
        return None
    span = offseason.conference_span(
        current.starts_on, current.ends_on, zone(current.timezone) or ZoneInfo(DEFAULT_ZONE)
    )
    return span if span[1] > now else None


async def open_meeting_between(session: AsyncSession, a: int, b: int, now: datetime) -> NetworkMeeting | None:
    """The request still waiting for an answer, or the accepted meeting not over yet, between two people."""
    rows = await session.scalars(
        select(NetworkMeeting)
        .where(
            NetworkMeeting.status.in_(OPEN),
            or_(
                (NetworkMeeting.requester_id == a) & (NetworkMeeting.recipient_id == b),
                (NetworkMeeting.requester_id == b) & (NetworkMeeting.recipient_id == a),
            ),
        )
        .order_by(NetworkMeeting.id.desc())
    )
    return next(
        (
            m
            for m in rows
            if (m.status == "requested" and not m.expired(now)) or (m.ends_at is not None and m.ends_at > now)
        ),
        None,
    )


async def _open_between(session: AsyncSession, a: int, b: int, now: datetime) -> bool:
    return await open_meeting_between(session, a, b, now) is not None


async def answer(
    session: AsyncSession,
    meeting_id: int,
    actor_id: int,
    action: str,
    values: Mapping[str, Any],
    base_url: str,
) -> NetworkMeeting:
    """The recipient accepts one of the proposed times (still ahead) or declines, with an optional note."""
    meeting = await meeting_for(session, meeting_id, actor_id)
    if actor_id != meeting.recipient_id:
        raise DomainError("network.error.not_yours", "not_yours", status=403)
    if meeting.status != "requested":
        raise DomainError("network.error.already_answered", "already_answered", status=409)
    now = clock.now()
    if meeting.expired(now):
        raise DomainError("network.error.expired", "expired", status=409)
    errors: dict = {}
    note = collect(errors, optional_block, "answer", values.get("answer"), MESSAGE_MAX) or ""
    if action == "accept":
        ahead = [n for n, s in enumerate(meeting.slots, 1) if s > now]
        # The only time still ahead is preselected on the page; accepted as well when no choice is sent.
        choice = _number(values.get("slot")) or (ahead[0] if len(ahead) == 1 else 0)
        if not 1 <= choice <= len(meeting.slots):
            errors["slot"] = ("network.error.slot_choose", {})
        elif meeting.slots[choice - 1] <= now:
            errors["slot"] = ("network.error.slot_past", {})
        if errors:
            raise ValidationFailed(errors)
        meeting.status = "accepted"
        meeting.chosen_slot = choice
        meeting.starts_at = meeting.slots[choice - 1]
        meeting.ends_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    elif action == "decline":
        if errors:
            raise ValidationFailed(errors)
        meeting.status = "declined"
    else:
        raise DomainError("error.choice_invalid", "invalid", field="action")
    meeting.answer, meeting.answered_at = note, now
    await _flush_or_conflict(session)
    meeting = await get_meeting(session, meeting.id)
    if meeting.status == "accepted":
        await _tell(
            session,
            meeting,
            [meeting.requester_id, meeting.recipient_id],
            "network_meeting_accepted",
            base_url,
            True,
        )
    else:
        await _tell(session, meeting, [meeting.requester_id], "network_meeting_declined", base_url)
    return meeting


async def cancel(session: AsyncSession, meeting_id: int, actor_id: int, base_url: str) -> NetworkMeeting:
    """The requester withdraws a request, or either person cancels an accepted meeting before it ends (the
    recipient of a request declines it instead)."""
    meeting = await meeting_for(session, meeting_id, actor_id)
    if meeting.status == "requested" and actor_id != meeting.requester_id:
        raise DomainError("network.error.decline_instead", "not_yours", status=403)
    now = clock.now()
    if (
        meeting.status not in OPEN
        or meeting.expired(now)
        or (meeting.ends_at is not None and meeting.ends_at <= now)
    ):
        raise DomainError("network.error.not_open", "not_open", status=409)
    return await _cancel(session, meeting, actor_id, base_url)


async def _cancel(
    session: AsyncSession, meeting: NetworkMeeting, actor_id: int, base_url: str
) -> NetworkMeeting:
    was_accepted = meeting.status == "accepted"
    meeting.status = "cancelled"
    meeting.cancelled_by_id = actor_id
    await _flush_or_conflict(session)
    meeting = await get_meeting(session, meeting.id)
    await _tell(
        session, meeting, [meeting.other(actor_id)], "network_meeting_cancelled", base_url, was_accepted
    )
    if was_accepted:  # the one who cancelled needs no news, but their calendar still holds the meeting
        await _tell(session, meeting, [actor_id], "network_meeting_cancelled", base_url, True, to_self=True)
    return meeting


async def _flush_or_conflict(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError:
        raise DomainError("network.error.changed_meanwhile", "changed_meanwhile", status=409) from None


async def video_base(session: AsyncSession) -> str:
    """The video service of the current edition's business matching (or the default between editions)."""
    current = await editions.current(session)
    if current is None:
        return DEFAULT_VIDEO
    return (await matching.get_settings(session, current.id)).video_base_url or DEFAULT_VIDEO


async def room_meeting(session: AsyncSession, meeting_id: int, user_id: int, now: datetime) -> NetworkMeeting:
    """The meeting whose room `user_id` may open now: one of its two people, while both are members, from
    15 minutes before the accepted time to its end. Anything else is refused with the reason."""
    meeting = await meeting_for(session, meeting_id, user_id)
    if meeting.status != "accepted" or meeting.starts_at is None or meeting.ends_at is None:
        raise DomainError("network.error.no_room", "no_room", status=409)
    if not await is_member(session, meeting.requester_id) or not await is_member(
        session, meeting.recipient_id
    ):
        raise DomainError("network.error.no_room", "no_room", status=409)
    if not offseason.room_open(meeting.starts_at, meeting.ends_at, now):
        raise DomainError("network.error.room_closed", "room_closed", status=409)
    return meeting


async def room_address(session: AsyncSession, meeting_id: int, user_id: int, now: datetime) -> str:
    """The video room, checked again at the moment of use; opening it marks that person as there."""
    meeting = await room_meeting(session, meeting_id, user_id, now)
    # Set once, by a conditional statement: a double click on "Join" (two GETs at once) is no version clash,
    # and joining does not make the invitation's sequence grow.
    column = "requester_joined_at" if user_id == meeting.requester_id else "recipient_joined_at"
    if getattr(meeting, column) is None:
        await session.execute(
            update(NetworkMeeting)
            .where(NetworkMeeting.id == meeting.id, getattr(NetworkMeeting, column).is_(None))
            .values({column: now})
            .execution_options(synchronize_session=False)
        )
    return invitations.room_address(await video_base(session), meeting.room_token)


def _when(moment: datetime | None, lang: str, tz: str) -> str:
    if moment is None:
        return ""
    return f"{format_datetime(moment, lang, tz, 'EEE d MMM y, HH:mm' if lang == 'en' else 'y年M月d日(E) H:mm')} ({tz})"


async def _tell(
    session: AsyncSession,
    meeting: NetworkMeeting,
    user_ids: list[int],
    kind: str,
    base_url: str,
    with_calendar: bool = False,
    to_self: bool = False,
) -> None:
    """A mail in each person's language (both languages inside), times in their own zone, and with an
    accepted or cancelled meeting the calendar invitation (REQUEST or CANCEL)."""
    people = {
        u.id: u for u in await accounts.get_users(session, [meeting.requester_id, meeting.recipient_id])
    }
    organizations = await accounts.organization_names(session, list(people))
    item = None
    if with_calendar and meeting.starts_at and meeting.ends_at:
        item = offseason.network_meeting_item(
            meeting_id=meeting.id,
            base_url=base_url,
            path=offseason.meeting_path(meeting.id),
            room_path=offseason.join_path(meeting.id),
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            cancelled=meeting.status == "cancelled",
            parties=tuple(
                (Attendee(p.email, p.display_name), organizations.get(p.id, "")) for p in people.values()
            ),
        )
    for user_id in user_ids:
        person = people.get(user_id)
        if person is None:
            continue
        other = people.get(meeting.other(user_id))
        tz = await zone_of(session, user_id)
        await mail.queue_mail(
            session,
            to=person.email,
            name=person.name_latin,
            lang=person.preferred_lang,
            kind=kind,
            context={
                "name": person.name_latin,
                "name_other": other.display_name if other else "",
                "message": meeting.message if kind == "network_meeting_requested" else meeting.answer,
                "slots_en": [_when(s, "en", tz) for s in meeting.slots],
                "slots_ja": [_when(s, "ja", tz) for s in meeting.slots],
                "when_en": _when(meeting.starts_at, "en", tz),
                "when_ja": _when(meeting.starts_at, "ja", tz),
                "minutes": meeting.duration_minutes,
                "to_self": to_self,
                "link": f"{base_url}{offseason.meeting_path(meeting.id)}",
            },
            invitation=invitation_payload(item, tz, meeting.version) if item else None,
        )


# --- carry-over between editions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarryOption:
    kind: str  # need | solution
    item: Earlier
    copy_id: int | None  # the copy in the current edition, when it was brought already


async def carry_over_options(session: AsyncSession, edition: Any, user_id: int) -> dict[str, Any]:
    """What this person may bring into `edition`: their city's needs of earlier editions (a registered city
    official) and their company's solutions of earlier editions (staff of its exhibitor in `edition`)."""
    city = await needs_directory.city_of_poster(session, edition.id, user_id)
    mine = await marketplace.my_exhibitor(session, edition.id, user_id)
    organization_ids = {
        o for o in (city.id if city else None, mine[0].organization_id if mine else None) if o
    }
    solutions, needs = await _offers_of(session, organization_ids)
    rows = list(await session.scalars(select(CarriedOver).where(CarriedOver.edition_id == edition.id)))
    alive = {
        kind: await _copies_alive(session, kind, [r.copy_id for r in rows if r.kind == kind])
        for kind in CARRIED_KINDS
    }
    copied = {(r.kind, r.source_id): r.copy_id for r in rows if r.copy_id in alive[r.kind]}
    result: dict[str, Any] = {
        "city": city,
        "exhibitor": mine[0] if mine else None,
        "needs": [],
        "solutions": [],
    }
    if city is not None:
        result["needs"] = [
            CarryOption("need", n, copied.get(("need", n.id)))
            for n in needs.get(city.id, [])
            if n.edition_id != edition.id
        ]
    if mine is not None:
        result["solutions"] = [
            CarryOption("solution", s, copied.get(("solution", s.id)))
            for s in solutions.get(mine[0].organization_id, [])
            if s.edition_id != edition.id
        ]
    return result


async def _copies_alive(session: AsyncSession, kind: str, copy_ids: list[int]) -> set[int]:
    """The copies that still exist (`copy_id` has no foreign key: the copies live in the marketplace's tables,
    and a copy may have been deleted there since)."""
    if not copy_ids:
        return set()
    model = needs_directory.Need if kind == "need" else marketplace.Solution
    return set(await session.scalars(select(model.id).where(model.id.in_(copy_ids))))


async def _already(session: AsyncSession, kind: str, source_id: int, edition_id: int) -> CarriedOver | None:
    """The record of this item brought into the edition, if its copy still exists. A record whose copy was
    deleted is removed, so the item may be brought again."""
    row = await session.scalar(
        select(CarriedOver).where(
            CarriedOver.kind == kind, CarriedOver.source_id == source_id, CarriedOver.edition_id == edition_id
        )
    )
    if row is None or row.copy_id in await _copies_alive(session, kind, [row.copy_id]):
        return row
    await session.delete(row)
    await session.flush()
    return None


async def _record_copy(
    session: AsyncSession, kind: str, source_id: int, edition_id: int, user_id: int, make: Any
) -> Any:
    """Make the copy (`make`, a coroutine function) and record it, or neither: when the same item was brought
    a moment ago by a parallel request (a double click), the unique record refuses this one as already brought."""
    try:
        async with session.begin_nested():
            copy = await make()
            session.add(
                CarriedOver(
                    kind=kind, source_id=source_id, copy_id=copy.id, edition_id=edition_id, by_user_id=user_id
                )
            )
    except IntegrityError:
        raise DomainError("network.error.already_brought", "already_brought", status=409) from None
    return copy


async def bring_need(session: AsyncSession, edition: Any, user_id: int, need_id: int) -> Any:
    """Copy a need of an earlier edition into `edition` for the same city (the original stays). Only a
    registered official of that city may; the copy carries the need's content, with them as its author."""
    Need = needs_directory.Need
    source = await session.scalar(select(Need).where(Need.id == need_id))
    city = await needs_directory.city_of_poster(session, edition.id, user_id)
    if source is None or source.edition_id == edition.id or city is None or source.organization_id != city.id:
        raise NotFound("need")
    if await _already(session, "need", source.id, edition.id):
        raise DomainError("network.error.already_brought", "already_brought", status=409)
    values = {name: getattr(source, name) for name in needs_directory.NEED_CONTENT_FIELDS}
    return await _record_copy(
        session,
        "need",
        source.id,
        edition.id,
        user_id,
        lambda: needs_directory.save_need(session, edition.id, user_id, values),
    )


async def bring_solution(session: AsyncSession, edition: Any, user_id: int, solution_id: int) -> Any:
    """Copy a solution of an earlier edition into this edition's exhibitor of the same company."""
    exhibitor, _ = await marketplace.require_staff(session, edition.id, user_id)
    Solution, Exhibitor = marketplace.Solution, marketplace.Exhibitor
    row = (
        await session.execute(
            select(Solution, Exhibitor.organization_id, Exhibitor.edition_id)
            .join(Exhibitor, Exhibitor.id == Solution.exhibitor_id)
            .where(Solution.id == solution_id)
        )
    ).first()
    if row is None or row[2] == edition.id or row[1] != exhibitor.organization_id:
        raise NotFound("solution")
    source = row[0]
    if await _already(session, "solution", source.id, edition.id):
        raise DomainError("network.error.already_brought", "already_brought", status=409)
    values = {name: getattr(source, name) for name in solution_service.CONTENT_FIELDS}
    brochure_id = source.brochure_id

    async def make() -> Any:
        copy = await solution_service.save_solution(session, exhibitor, None, values)
        if brochure_id is not None:
            copy.brochure_id = brochure_id  # the same stored file: a brochure is not personal data
        return copy

    return await _record_copy(session, "solution", source.id, edition.id, user_id, make)


# --- the organizers' view ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    members: int
    left: int
    by_country: list[tuple[str | None, int]]
    by_category: list[tuple[str | None, int]]
    joins_by_month: list[tuple[str, int, int]]  # (YYYY-MM, joins, leaves)
    meetings: dict[str, int]


async def figures(session: AsyncSession, all_cards: list[MemberCard], tz: str) -> Figures:
    left = await session.scalar(select(func.count()).where(NetworkMember.left_at.is_not(None))) or 0
    by_country = Counter(c.country for c in all_cards).most_common()
    by_category = Counter(c.category for c in all_cards).most_common()
    months: dict[str, list[int]] = {}
    for action, at in (await session.execute(select(NetworkChoice.action, NetworkChoice.chosen_at))).tuples():
        key = at.astimezone(ZoneInfo(tz)).strftime("%Y-%m")
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
    waiting = await session.scalar(select(func.count()).where(_still_asked(clock.now())))
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


async def forget_member(session: AsyncSession, user_id: int) -> None:
    """The person is being anonymized: their directory lines and what they wrote in meeting requests go."""
    await session.execute(
        update(NetworkMember).where(NetworkMember.user_id == user_id).values(headline="", interests="")
    )
    await session.execute(
        update(NetworkMeeting).where(NetworkMeeting.requester_id == user_id).values(message="")
    )
    await session.execute(
        update(NetworkMeeting).where(NetworkMeeting.recipient_id == user_id).values(answer="")
    )
