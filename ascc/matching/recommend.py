"""Whom to meet: people ranked by what they share with you, each with the reason. Pure.

A person is what their matching profile says (sectors, what they offer and look for) plus what the
marketplace knows of them: the solutions of the exhibitor they work for, the open needs of the city they
work for. Two people score as a need and a solution do in the marketplace (`exhibitors.suggest`: shared
sectors and SDG targets, text similarity of English words and Japanese bigrams), plus the best pairing of
one's need with the other's solution, which is the strongest reason of all to meet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ascc.exhibitors.suggest import Corpus, Item, corpus_of, features, suggest

PAIR_WEIGHT = 0.6  # of a need-solution pair's own score
PAIR_MIN = 4.0  # a pair weaker than this is not named as the reason
PAIRS_PER_OFFER = 10


@dataclass(frozen=True)
class Offer:
    """A solution (of the person's exhibitor) or a need (of the person's city) with its matching item."""

    kind: str  # "solution" | "need"
    id: int
    title_en: str
    title_ja: str
    item: Item


@dataclass(frozen=True)
class Person:
    id: int
    category: str
    sectors: tuple[str, ...] = ()
    country: str | None = None
    text_en: str = ""
    text_ja: str = ""
    solutions: tuple[Offer, ...] = ()
    needs: tuple[Offer, ...] = ()

    def item(self) -> Item:
        sectors = dict.fromkeys((*self.sectors, *(s for o in self.offers for s in o.item.sectors)))
        sdgs = dict.fromkeys(s for o in self.offers for s in o.item.sdgs)
        countries = dict.fromkeys(
            ([self.country] if self.country else []) + [c for o in self.offers for c in o.item.countries]
        )
        return Item(
            self.id,
            tuple(sectors),
            tuple(sdgs),
            tuple(countries),
            " ".join([self.text_en, *(o.item.text_en for o in self.offers)]),
            " ".join([self.text_ja, *(o.item.text_ja for o in self.offers)]),
        )

    @property
    def offers(self) -> tuple[Offer, ...]:
        return self.solutions + self.needs


@dataclass(frozen=True)
class Recommendation:
    person_id: int
    score: float
    sectors: tuple[str, ...]
    phrases_en: tuple[str, ...]
    phrases_ja: tuple[str, ...]
    need: Offer | None = None  # the need and the solution that fit each other (either person's)
    solution: Offer | None = None


@dataclass
class Pool:
    """Everyone who may be recommended, prepared once and shared by every request of an edition."""

    people: dict[int, Person]
    items: dict[int, Item]
    corpus: Corpus
    solutions: list[tuple[int, Offer]]  # (person, solution), for pairing one's needs
    needs: list[tuple[int, Offer]]


def pool_of(people: Sequence[Person]) -> Pool:
    items = {p.id: p.item() for p in people}
    offers = [o.item for p in people for o in p.offers]
    return Pool(
        people={p.id: p for p in people},
        items=items,
        corpus=corpus_of(features(i) for i in (*items.values(), *offers)),
        solutions=[(p.id, o) for p in people for o in p.solutions],
        needs=[(p.id, o) for p in people for o in p.needs],
    )


def _pairs(
    mine: Sequence[Offer], theirs: list[tuple[int, Offer]], corpus: Corpus, allowed: set[int]
) -> dict[int, tuple[float, Offer, Offer]]:
    """Best (score, my offer, their offer) per other person."""
    best: dict[int, tuple[float, Offer, Offer]] = {}
    candidates = [(person, offer) for person, offer in theirs if person in allowed]
    if not mine or not candidates:
        return best
    by_id = {offer.id: (person, offer) for person, offer in candidates}
    for offer in mine:
        for found in suggest(offer.item, [o.item for _, o in candidates], corpus, limit=PAIRS_PER_OFFER):
            if found.score < PAIR_MIN:
                continue
            person, other = by_id[found.id]
            if person not in best or found.score > best[person][0]:
                best[person] = (found.score, offer, other)
    return best


def recommend(
    me: Person,
    pool: Pool,
    may_meet: Callable[[str, str], bool],
    limit: int = 20,
    exclude: frozenset[int] = frozenset(),
) -> list[Recommendation]:
    """The `limit` people `me` should meet, best first; only people of categories `me` may meet."""
    allowed = {
        p.id
        for p in pool.people.values()
        if p.id != me.id and p.id not in exclude and may_meet(me.category, p.category)
    }
    if not allowed:
        return []
    # Shared phrases are found only for the best few (the slow part); a need-solution pair can add others.
    found = suggest(me.item(), [pool.items[i] for i in sorted(allowed)], pool.corpus, limit=limit * 2)
    need_pairs = _pairs(me.needs, pool.solutions, pool.corpus, allowed)  # my need, their solution
    solution_pairs = _pairs(me.solutions, pool.needs, pool.corpus, allowed)  # my solution, their need
    scored: dict[int, Recommendation] = {}
    for s in found:
        scored[s.id] = Recommendation(s.id, s.score, s.sectors, s.phrases_en, s.phrases_ja)
    for person in set(need_pairs) | set(solution_pairs):
        pair_score, need, solution = _best_pair(need_pairs.get(person), solution_pairs.get(person))
        base = scored.get(person)
        scored[person] = Recommendation(
            person,
            round((base.score if base else 0.0) + PAIR_WEIGHT * pair_score, 2),
            base.sectors if base else (),
            base.phrases_en if base else (),
            base.phrases_ja if base else (),
            need,
            solution,
        )
    ranked = sorted(scored.values(), key=lambda r: (-r.score, r.person_id))
    return ranked[:limit]


def _best_pair(
    need_pair: tuple[float, Offer, Offer] | None, solution_pair: tuple[float, Offer, Offer] | None
) -> tuple[float, Offer, Offer]:
    """(score, need, solution) of the stronger pairing, whichever person holds the need."""
    options = []
    if need_pair:
        options.append((need_pair[0], need_pair[1], need_pair[2]))
    if solution_pair:
        options.append((solution_pair[0], solution_pair[2], solution_pair[1]))
    return max(options, key=lambda option: option[0])
