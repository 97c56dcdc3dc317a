"""The marketplace directory: city needs, free-text search with filters, and need <-> solution suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors.models import (
    BUDGET_BANDS,
    FINANCING,
    TIMELINES,
    Exhibitor,
    Need,
    PackagePartner,
    Solution,
)
from ascc.exhibitors.search import document, query_terms
from ascc.exhibitors.services import DESCRIPTION_MAX, SDG, check_tags, tag_line
from ascc.exhibitors.suggest import Corpus, Item, Suggestion, corpus_of, features, suggest
from ascc.organizations import services as organizations
from ascc.registration import services as registration
from ascc.text import clean_line, collect, like_pattern, optional_block, optional_line

KINDS = ("solutions", "exhibitors", "needs")
PAGE_SIZE = 30


@dataclass(frozen=True)
class DirectoryQuery:
    q: str = ""
    sector: str = ""
    sdg: str = ""
    country: str = ""

    @property
    def terms(self) -> list[str]:
        return query_terms(self.q)

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.sector or self.sdg or self.country)


@dataclass(frozen=True)
class ResultPage:
    items: list[Any]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def _conditions(model: Any, query: DirectoryQuery) -> list[Any]:
    """Every query word and every filter must be in the item's folded search text."""
    conditions = [model.search_text.like(like_pattern(term), escape="\\") for term in query.terms]
    if query.sector:
        conditions.append(model.search_text.like(f"%#sector={query.sector}#%"))
    if query.sdg and SDG.match(query.sdg):
        conditions.append(model.search_text.like(f"%#sdg={query.sdg}#%"))
    if query.country and query.country.isalpha() and len(query.country) == 2:
        conditions.append(model.search_text.like(f"%#country={query.country.lower()}#%"))
    return conditions


def _title_hits(model: Any, terms: Sequence[str]) -> Any:
    """How many query words are in the title: those items come first."""
    if not terms:
        return None
    return sum(case((model.search_title.like(like_pattern(t), escape="\\"), 1), else_=0) for t in terms)


async def search(
    session: AsyncSession,
    edition_id: int,
    kind: str,
    query: DirectoryQuery,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> ResultPage:
    """One page of approved exhibitors, their solutions, or open needs matching the query."""
    if kind == "exhibitors":
        model: Any = Exhibitor
        scope = [Exhibitor.edition_id == edition_id, Exhibitor.status == "approved"]
        options: list[Any] = [joinedload(Exhibitor.organization), joinedload(Exhibitor.hall)]
        order: list[Any] = [Exhibitor.booth_number, Exhibitor.id]
    elif kind == "needs":
        model = Need
        scope = [Need.edition_id == edition_id, Need.status == "open"]
        options = [joinedload(Need.organization)]
        order = [Need.id.desc()]
    else:
        model = Solution
        scope = [Exhibitor.edition_id == edition_id, Exhibitor.status == "approved"]
        options = [
            joinedload(Solution.exhibitor).joinedload(Exhibitor.hall),
            selectinload(Solution.partners).joinedload(PackagePartner.exhibitor),
        ]
        order = [Solution.id]
    where = and_(*scope, *_conditions(model, query))
    base = select(model)
    count = select(func.count(model.id))
    if model is Solution:
        base, count = base.join(Exhibitor), count.join(Exhibitor)
    total = await session.scalar(count.where(where)) or 0
    hits = _title_hits(model, query.terms)
    ordering = [hits.desc(), *order] if hits is not None else order
    rows = await session.scalars(
        base.where(where).options(*options).order_by(*ordering).offset(max(offset, 0)).limit(limit)
    )
    return ResultPage(items=list(rows.unique()), total=total, offset=max(offset, 0), limit=limit)


async def matching_exhibitor_ids(session: AsyncSession, edition_id: int, query: DirectoryQuery) -> set[int]:
    """Exhibitors that match themselves or through one of their solutions: the booths the floor plan lights up."""
    own = select(Exhibitor.id).where(
        Exhibitor.edition_id == edition_id, Exhibitor.status == "approved", *_conditions(Exhibitor, query)
    )
    through = (
        select(Solution.exhibitor_id)
        .join(Exhibitor)
        .where(
            Exhibitor.edition_id == edition_id, Exhibitor.status == "approved", *_conditions(Solution, query)
        )
    )
    return set(await session.scalars(own)) | set(await session.scalars(through))


# --- Needs ----------------------------------------------------------------------------------------


async def get_need(session: AsyncSession, edition_id: int, need_id: int) -> Need:
    row = await session.scalar(
        select(Need)
        .where(Need.id == need_id, Need.edition_id == edition_id)
        .options(joinedload(Need.organization), joinedload(Need.author))
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("need")
    return row


async def needs_of(session: AsyncSession, edition_id: int, organization_id: int | None) -> list[Need]:
    if organization_id is None:
        return []
    return list(
        await session.scalars(
            select(Need)
            .where(Need.edition_id == edition_id, Need.organization_id == organization_id)
            .options(joinedload(Need.organization))
            .order_by(Need.id)
        )
    )


async def city_of_poster(session: AsyncSession, edition_id: int, user_id: int) -> Any | None:
    """The organization of a registered city official, who may post its needs; None for anyone else."""
    mine = await registration.my_registration(session, edition_id, user_id)
    if (
        mine is None
        or mine.status not in ("pending", "confirmed", "waiting")
        or mine.category != "city_official"
    ):
        return None
    return mine.organization


def check_need(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict = {}
    data: dict[str, Any] = {
        "title_en": collect(errors, optional_line, "title_en", values.get("title_en"), 200) or "",
        "title_ja": collect(errors, optional_line, "title_ja", values.get("title_ja"), 200) or "",
        "description_en": collect(
            errors, optional_block, "description_en", values.get("description_en"), DESCRIPTION_MAX
        )
        or "",
        "description_ja": collect(
            errors, optional_block, "description_ja", values.get("description_ja"), DESCRIPTION_MAX
        )
        or "",
    }
    if not data["title_en"] and not data["title_ja"] and "title_en" not in errors:
        errors["title_en"] = ("error.title_required", {})
    if not data["description_en"] and not data["description_ja"] and "description_en" not in errors:
        errors["description_en"] = ("error.description_required", {})
    data["sectors"], data["sdgs"], _ = check_tags(errors, {**values, "countries": []})
    for name, allowed in (("budget_band", BUDGET_BANDS), ("timeline", TIMELINES)):
        value = clean_line(values.get(name)) or None
        if value is not None and value not in allowed:
            errors[name] = ("error.choice_invalid", {})
        data[name] = value
    financing = values.get("financing") or []
    financing = [financing] if isinstance(financing, str) else [str(f) for f in financing]
    if any(f not in FINANCING for f in financing):
        errors["financing"] = ("error.choice_invalid", {})
    data["financing"] = list(dict.fromkeys(financing))
    if errors:
        raise ValidationFailed(errors)
    return data


async def save_need(
    session: AsyncSession,
    edition_id: int,
    user_id: int | None,
    values: Mapping[str, Any],
    need_id: int | None = None,
    is_organizer: bool = False,
) -> Need:
    """A city official posts (or changes) a need of their city; organizers may change any need."""
    city = await city_of_poster(session, edition_id, user_id) if user_id is not None else None
    if need_id is None:
        if city is None and not is_organizer:
            raise DomainError("error.needs_city_official", "needs_city_official", status=403)
        data = check_need(values)
        if city is None:  # an organizer posting for a city names it
            name = collect(errors := {}, optional_line, "organization", values.get("organization"), 200)
            if not name:
                raise ValidationFailed(errors or {"organization": ("error.required", {})})
            city = await organizations.find_or_create(session, name)
        need = Need(edition_id=edition_id, author_id=user_id, organization_id=city.id)
        session.add(need)
    else:
        need = await get_need(session, edition_id, need_id)
        if not is_organizer and (city is None or need.organization_id != city.id):
            raise NotFound("need")  # another city's need is not theirs to change
        data = check_need(values)
    for name, value in data.items():
        setattr(need, name, value)
    organization = city if need_id is None else need.organization
    need.city = organization.name_en
    need.country = organization.country
    need.search_title = document(need.title_en, need.title_ja)
    need.search_text = document(
        need.title_en,
        need.title_ja,
        need.description_en,
        need.description_ja,
        organization.name_en,
        organization.name_ja,
        tag_line(need.sectors, need.sdgs, [need.country] if need.country else []),
    )
    await session.flush()
    return await get_need(session, edition_id, need.id)


async def set_need_status(
    session: AsyncSession,
    edition_id: int,
    user_id: int,
    need_id: int,
    status: str,
    is_organizer: bool = False,
) -> None:
    need = await get_need(session, edition_id, need_id)
    city = await city_of_poster(session, edition_id, user_id)
    if not is_organizer and (city is None or need.organization_id != city.id):
        raise NotFound("need")
    need.status = "closed" if status == "closed" else "open"
    await session.flush()


# --- Suggestions ----------------------------------------------------------------------------------


@dataclass
class _Index:
    solutions: dict[int, Item]
    needs: dict[int, Item]
    corpus: Corpus


_indexes: dict[int, tuple[tuple, _Index]] = {}


async def _index(session: AsyncSession, edition_id: int) -> _Index:
    """Needs and solutions as matching items, rebuilt only when one of them (or an approval) changed."""
    solutions_stamp = (
        await session.execute(
            select(func.count(Solution.id), func.max(Solution.updated_at), func.max(Exhibitor.updated_at))
            .join(Exhibitor)
            .where(Exhibitor.edition_id == edition_id)
        )
    ).one()
    needs_stamp = (
        await session.execute(
            select(func.count(Need.id), func.max(Need.updated_at)).where(Need.edition_id == edition_id)
        )
    ).one()
    stamp = (*solutions_stamp, *needs_stamp)
    cached = _indexes.get(edition_id)
    if cached and cached[0] == stamp:
        return cached[1]
    solutions = await session.scalars(
        select(Solution)
        .join(Exhibitor)
        .where(Exhibitor.edition_id == edition_id, Exhibitor.status == "approved")
    )
    needs = await session.scalars(select(Need).where(Need.edition_id == edition_id, Need.status == "open"))
    index = _Index(
        solutions={
            s.id: Item(
                s.id,
                s.sectors,
                s.sdgs,
                s.countries,
                f"{s.title_en}. {s.summary_en}",
                f"{s.title_ja}。{s.summary_ja}",
            )
            for s in solutions
        },
        needs={
            n.id: Item(
                n.id,
                n.sectors,
                n.sdgs,
                [n.country] if n.country else [],
                f"{n.title_en}. {n.description_en}",
                f"{n.title_ja}。{n.description_ja}",
            )
            for n in needs
        },
        corpus=Corpus(),
    )
    index.corpus = corpus_of(features(i) for i in (*index.solutions.values(), *index.needs.values()))
    _indexes[edition_id] = (stamp, index)
    return index


async def suggestions_for_need(
    session: AsyncSession, edition_id: int, need: Need, limit: int = 5
) -> list[tuple[Solution, Suggestion]]:
    index = await _index(session, edition_id)
    target = index.needs.get(need.id) or Item(
        need.id, need.sectors, need.sdgs, [need.country] if need.country else [], need.title_en, need.title_ja
    )
    found = suggest(target, list(index.solutions.values()), index.corpus, limit)
    rows = {
        s.id: s
        for s in await session.scalars(
            select(Solution)
            .where(Solution.id.in_([f.id for f in found]))
            .options(
                joinedload(Solution.exhibitor).joinedload(Exhibitor.hall), selectinload(Solution.partners)
            )
        )
    }
    return [(rows[f.id], f) for f in found if f.id in rows]


async def suggestions_for_solution(
    session: AsyncSession, edition_id: int, solution: Solution, limit: int = 5
) -> list[tuple[Need, Suggestion]]:
    index = await _index(session, edition_id)
    target = index.solutions.get(solution.id)
    if target is None:
        return []
    found = suggest(target, list(index.needs.values()), index.corpus, limit)
    rows = {
        n.id: n
        for n in await session.scalars(
            select(Need).where(Need.id.in_([f.id for f in found])).options(joinedload(Need.organization))
        )
    }
    return [(rows[f.id], f) for f in found if f.id in rows]
