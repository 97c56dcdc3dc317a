"""Who can be met, and recommendations: the edition's participants as `recommend.Person`, cached per edition.

Only confirmed participants who opted in to the directory appear in lists; only those who also opted in
to recommendations are recommended. The prepared pool is rebuilt when a registration, a profile or the
marketplace changes (a few small queries decide that), not on every request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.exhibitors import directory
from ascc.matching import page_state
from ascc.matching import services as matching
from ascc.matching.models import Meeting
from ascc.matching.recommend import Offer, Person, Pool, Recommendation, pool_of, recommend
from ascc.registration import services as registration
from ascc.text import fold_name


@dataclass(frozen=True)
class Card:
    """What a list shows of a person: name, organization, category, country, and their profile's words."""

    user_id: int
    name: str
    name_local: str | None
    organization: str
    position: str
    category: str
    country: str | None
    city: str | None
    mode: str
    sectors: tuple[str, ...]
    offers: str
    seeks: str
    recommendable: bool
    solutions: tuple[Offer, ...]
    needs: tuple[Offer, ...]


@dataclass
class _Cached:
    stamp: tuple
    cards: dict[int, Card]
    people: dict[int, Person]  # every directory participant
    pool: Pool  # those who opted in to recommendations


_cache: dict[int, _Cached] = {}

# A person's recommendations, kept with what they were computed from: the pool's stamp (registrations, profiles,
# the marketplace), the pairs the edition allows and the people already asked. Any change there recomputes them
# (about 100 ms of phrase matching); otherwise the next visit of /matching reuses them.
_recommended: OrderedDict[tuple[int, int, int], tuple[tuple, list[tuple[Card, Recommendation]]]] = (
    OrderedDict()
)
RECOMMENDED_KEPT = 4096  # people; the least recently seen go first


async def _load(session: AsyncSession, edition_id: int, stamp: tuple | None = None) -> _Cached:
    """`stamp`: the pool's stamp when the caller read it already (page_state.viewer_state)."""
    stamp = stamp or await page_state.pool_stamp(session, edition_id)
    cached = _cache.get(edition_id)
    if cached and cached.stamp == stamp:
        return cached
    rows = await registration.in_directory(session, edition_id)
    profiles = await matching.profiles_of(session, edition_id)
    solutions, needs = await directory.offers_for_matching(session, edition_id)
    cards: dict[int, Card] = {}
    people: dict[int, Person] = {}
    for r in rows:
        cards[r.user_id], people[r.user_id] = _describe(r, profiles.get(r.user_id), solutions, needs)
    pool = pool_of([people[i] for i, card in cards.items() if card.recommendable])
    cached = _Cached(stamp, cards, people, pool)
    _cache[edition_id] = cached
    return cached


def _describe(r: Any, profile: Any, solutions: dict, needs: dict) -> tuple[Card, Person]:
    """A registration with its profile, its exhibitor's solutions and its city's needs: card and matching person."""
    sectors = tuple(dict.fromkeys([*(profile.sectors if profile else []), *(r.interests or [])]))
    mine_solutions = tuple(
        Offer("solution", i, en, ja, item) for i, en, ja, item in solutions.get(r.user_id, [])
    )
    city_needs = needs.get(r.organization_id, []) if r.category == "city_official" else []
    mine_needs = tuple(Offer("need", i, en, ja, item) for i, en, ja, item in city_needs)
    organization = r.organization.name_en if r.organization else ""
    offers = profile.offers if profile else ""
    seeks = profile.seeks if profile else ""
    card = Card(
        r.user_id,
        r.user.name_latin,
        r.user.name_local,
        organization,
        r.position or "",
        r.category,
        r.country,
        r.city,
        r.mode,
        sectors,
        offers,
        seeks,
        r.consent_recommendations,
        mine_solutions,
        mine_needs,
    )
    text = f"{r.position or ''}. {organization}. {offers} {seeks}"
    return card, Person(r.user_id, r.category, sectors, r.country, text, text, mine_solutions, mine_needs)


async def cards(session: AsyncSession, edition_id: int) -> dict[int, Card]:
    """Everyone in the directory, by user id (cached; one call serves a whole list of meetings)."""
    return (await _load(session, edition_id)).cards


async def me_as_person(
    session: AsyncSession, edition_id: int, user_id: int, cached: _Cached | None = None
) -> Person | None:
    """The viewer as matching sees them (also when they are not in the directory themselves)."""
    cached = cached or await _load(session, edition_id)
    if user_id in cached.people:
        return cached.people[user_id]
    mine = (await registration.registrations_of(session, edition_id, [user_id])).get(user_id)
    if mine is None or mine.status != "confirmed":
        return None
    profile = await matching.get_profile(session, edition_id, user_id)
    solutions, needs = await directory.offers_for_matching(session, edition_id)
    return _describe(mine, profile, solutions, needs)[1]


KNOWN_STATUSES = (
    "requested",
    "accepted",
    "scheduled",
    "held",
)  # people asked or met are not recommended again


def known_among(meetings: Iterable[Any], user_id: int) -> frozenset[int]:
    """The people `user_id` has an open request or meeting with (or met), from meetings already read."""
    return frozenset(
        p
        for m in meetings
        if m.status in KNOWN_STATUSES and user_id in (m.requester_id, m.recipient_id)
        for p in (m.requester_id, m.recipient_id)
    )


async def recommendations(
    session: AsyncSession,
    edition_id: int,
    user_id: int,
    limit: int = 20,
    settings: Any = None,
    known: frozenset[int] | None = None,
    stamp: tuple | None = None,
) -> list[tuple[Card, Recommendation]]:
    """`settings`, `known` (known_among) and the pool's `stamp`: when the caller has them (a query less each).
    The same list object is returned while nothing it depends on changed (the page keeps its HTML by it)."""
    cached = await _load(session, edition_id, stamp)
    me = await me_as_person(session, edition_id, user_id, cached)
    if me is None:
        return []
    settings = settings or await matching.get_settings(session, edition_id)
    if known is None:
        rows = await session.execute(
            select(Meeting.requester_id, Meeting.recipient_id).where(
                Meeting.edition_id == edition_id,
                Meeting.status.in_(KNOWN_STATUSES),
                (Meeting.requester_id == user_id) | (Meeting.recipient_id == user_id),
            )
        )
        known = frozenset(p for pair in rows.tuples() for p in pair)
    pairs = tuple(tuple(pair) for pair in settings.allowed_pairs)
    key, basis = (edition_id, user_id, limit), (cached.stamp, me, pairs, known)
    kept = _recommended.get(key)
    if kept is not None and kept[0] == basis:
        _recommended.move_to_end(key)
        return kept[1]
    found = recommend(me, cached.pool, lambda a, b: matching.may_meet(settings, a, b), limit, known)
    result = [(cached.cards[r.person_id], r) for r in found if r.person_id in cached.cards]
    _recommended[key] = (basis, result)
    if len(_recommended) > RECOMMENDED_KEPT:
        _recommended.popitem(last=False)
    return result


async def directory_cards(
    session: AsyncSession,
    edition_id: int,
    viewer_id: int,
    query: str = "",
    category: str = "",
    sector: str = "",
) -> list[Card]:
    """Participants the viewer may ask for a meeting, filtered; name and organization match the query."""
    return (await directory_listing(session, edition_id, viewer_id, query, category, sector))[1]


async def directory_listing(
    session: AsyncSession,
    edition_id: int,
    viewer_id: int,
    query: str = "",
    category: str = "",
    sector: str = "",
    settings: Any = None,
    stamp: tuple | None = None,
) -> tuple[tuple, list[Card]]:
    """`directory_cards` with the stamp of the data they were read from: the same stamp and the same people
    mean the same cards (the people list's HTML is kept by it). `settings` and `stamp`: as in recommendations."""
    cached = await _load(session, edition_id, stamp)
    settings = settings or await matching.get_settings(session, edition_id)
    me = await me_as_person(session, edition_id, viewer_id, cached)
    needle = fold_name(query)  # the names' folding: "nguyen" finds Nguyễn, "dang" finds Đặng
    result = []
    for card in cached.cards.values():
        if card.user_id == viewer_id or (me and not matching.may_meet(settings, me.category, card.category)):
            continue
        if category and card.category != category:
            continue
        if sector and sector not in card.sectors:
            continue
        parts = (card.name, card.name_local, card.organization, card.offers, card.seeks)
        if needle and needle not in "\n".join(fold_name(p) for p in parts):
            continue
        result.append(card)
    result.sort(key=lambda c: (c.name.casefold(), c.user_id))
    return cached.stamp, result


async def card_of(session: AsyncSession, edition_id: int, user_id: int) -> Card | None:
    return (await cards(session, edition_id)).get(user_id)


def card_dict(card: Card) -> dict[str, Any]:
    return {
        "user_id": card.user_id,
        "name": card.name,
        "name_local": card.name_local,
        "organization": card.organization,
        "position": card.position,
        "category": card.category,
        "country": card.country,
        "sectors": list(card.sectors),
    }
