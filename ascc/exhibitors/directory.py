"""The marketplace directory: city needs, free-text search with filters, and need <-> solution suggestions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.expression import ColumnElement

from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors.models import (
    BUDGET_BANDS,
    FINANCING,
    TIMELINES,
    Exhibitor,
    ExhibitorStaff,
    Need,
    PackagePartner,
    Solution,
)
from ascc.exhibitors.search import document, needle, query_terms
from ascc.exhibitors.services import SDG, bilingual, check_tags, tag_line
from ascc.exhibitors.suggest import Corpus, Item, Suggestion, corpus_of, features, suggest
from ascc.organizations import services as organizations
from ascc.registration import services as registration
from ascc.text import clean_line, collect, optional_line

KINDS = ("solutions", "exhibitors", "needs")
PAGE_SIZE = 30
# What a city need says, as the demo seed loads it and a later edition copies it.
NEED_CONTENT_FIELDS = (
    "title_en",
    "title_ja",
    "description_en",
    "description_ja",
    "sectors",
    "sdgs",
    "budget_band",
    "timeline",
    "financing",
)


@dataclass(frozen=True)
class DirectoryQuery:
    q: str = ""
    sector: str = ""
    sdg: str = ""
    country: str = ""

    @property
    def terms(self) -> list[str]:
        return query_terms(self.q)


@dataclass(frozen=True)
class ResultPage:
    items: list[Any]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def contains(column: Any, text: str) -> Any:
    """`text` occurs in the (already folded) column: a plain substring test, no pattern, no case folding.

    instr()/strpos() scan faster than LIKE, which folds case on every byte, and need no escaping.
    """
    return _Contains(column, text)


class _Contains(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()

    def __init__(self, column: Any, text: str) -> None:
        self.column = column
        self.text = literal(text)


@compiles(_Contains)
def _contains_default(element: _Contains, compiler: Any, **kw: Any) -> str:
    return f"(instr({compiler.process(element.column, **kw)}, {compiler.process(element.text, **kw)}) > 0)"


@compiles(_Contains, "postgresql")
def _contains_postgresql(element: _Contains, compiler: Any, **kw: Any) -> str:
    return f"(strpos({compiler.process(element.column, **kw)}, {compiler.process(element.text, **kw)}) > 0)"


def _conditions(model: Any, query: DirectoryQuery) -> list[Any]:
    """Every query word and every filter must be in the item's folded search text."""
    conditions = [contains(model.search_text, needle(term)) for term in query.terms]
    if query.sector:
        conditions.append(contains(model.search_text, f"#sector={query.sector}#"))
    if query.sdg and SDG.match(query.sdg):
        conditions.append(contains(model.search_text, f"#sdg={query.sdg}#"))
    if query.country and query.country.isalpha() and len(query.country) == 2:
        conditions.append(contains(model.search_text, f"#country={query.country.lower()}#"))
    return conditions


async def search(
    session: AsyncSession,
    edition_id: int,
    kind: str,
    query: DirectoryQuery,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> ResultPage:
    """One page of approved exhibitors, their solutions, or open needs matching the query.

    One scan finds every match with its order (title hits first); then only the page's rows are loaded.
    """
    if kind == "exhibitors":
        model: Any = Exhibitor
        scope = [Exhibitor.edition_id == edition_id, Exhibitor.status == "approved"]
        options: list[Any] = [joinedload(Exhibitor.organization), joinedload(Exhibitor.hall)]
        order: Any = func.coalesce(Exhibitor.booth_number, "")
    elif kind == "needs":
        model = Need
        scope = [Need.edition_id == edition_id, Need.status == "open"]
        options = [joinedload(Need.organization)]
        order = -Need.id
    else:
        model = Solution
        scope = [Exhibitor.edition_id == edition_id, Exhibitor.status == "approved"]
        options = [
            joinedload(Solution.exhibitor).joinedload(Exhibitor.hall),
            selectinload(Solution.partners).joinedload(PackagePartner.exhibitor),
        ]
        order = Solution.id
    terms = query.terms
    # A term found in the title counts 1; with no terms every row has 0 (literal(0) + ... is the same SQL
    # as the 0 + ... of a plain sum).
    hits = sum((case((contains(model.search_title, needle(t)), 1), else_=0) for t in terms), start=literal(0))
    matches = select(model.id.label("id"), hits.label("hits"), order.label("sort_key")).where(
        *scope, *_conditions(model, query)
    )
    if model is Solution:
        matches = matches.join(Exhibitor)
    ranked = sorted((await session.execute(matches)).all(), key=lambda row: (-row[1], row[2], row[0]))
    offset = max(offset, 0)
    page_ids = [row[0] for row in ranked[offset : offset + limit]]
    rows = {
        row.id: row
        for row in (
            await session.scalars(select(model).where(model.id.in_(page_ids)).options(*options))
        ).unique()
    }
    return ResultPage(
        items=[rows[i] for i in page_ids if i in rows], total=len(ranked), offset=offset, limit=limit
    )


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


async def city_of_poster(
    session: AsyncSession, edition_id: int, user_id: int
) -> organizations.Organization | None:
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
    data: dict[str, Any] = {}
    data["title_en"], data["title_ja"] = bilingual(errors, values, "title", missing="error.title_required")
    data["description_en"], data["description_ja"] = bilingual(
        errors, values, "description", long=True, missing="error.description_required"
    )
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
            errors: dict[str, tuple[str, dict[str, Any]]] = {}
            name = collect(errors, optional_line, "organization", values.get("organization"), 200)
            if not name:
                raise ValidationFailed(errors or {"organization": ("error.required", {})})
            city = await organizations.find_or_create(session, name)
        need = Need(edition_id=edition_id, author_id=user_id, organization_id=city.id)
        session.add(need)
        organization = city
    else:
        need = await get_need(session, edition_id, need_id)
        if not is_organizer and (city is None or need.organization_id != city.id):
            raise NotFound("need")  # another city's need is not theirs to change
        data = check_need(values)
        organization = need.organization
    for name, value in data.items():
        setattr(need, name, value)
    need.city = organization.name_en
    need.country = organization.country
    refresh_need_search(need, organization)
    await session.flush()
    return await get_need(session, edition_id, need.id)


def refresh_need_search(need: Need, organization: Any) -> None:
    """Fold the need's searchable text, with its city's names and its tags."""
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


def version_columns() -> list[ColumnElement]:
    """The marketplace's version as scalar subqueries, for `version` and for stamps that include it in their
    own statement (matching's pool): the latest change and the row count of each table, so any insert,
    update or delete moves one of them."""
    columns: list[ColumnElement] = []
    for model in (Exhibitor, Solution, Need):
        columns.append(select(func.max(model.updated_at)).scalar_subquery())
        columns.append(select(func.count()).select_from(model).scalar_subquery())
    return columns


_VERSION = select(*version_columns())  # built once: SQLAlchemy keys it once, not per request


async def version(session: AsyncSession) -> tuple:
    """Changes whenever an exhibitor, solution or need is added, changed or removed: the key of cached results."""
    return tuple((await session.execute(_VERSION)).one())


@dataclass
class _Index:
    solutions: dict[int, Item]
    needs: dict[int, Item]
    corpus: Corpus


_indexes: dict[int, tuple[tuple, _Index]] = {}


async def _index(session: AsyncSession, edition_id: int) -> _Index:
    """Needs and solutions as matching items, rebuilt only when one of them (or an approval) changed."""
    stamp = await version(session)
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
                joinedload(Solution.exhibitor).joinedload(Exhibitor.hall),
                selectinload(Solution.partners).joinedload(PackagePartner.exhibitor),
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


class DirectoryState:
    """The current edition and the marketplace's version, re-read at most every `ttl` seconds per worker.

    Cached directory results are keyed by the version, so a change shows within `ttl` seconds, and a cached
    answer needs no database session at all.
    """

    def __init__(self, session_maker: Callable[[], AsyncSession], ttl: float = 1.0) -> None:
        self.session_maker = session_maker
        self.ttl = ttl
        self._value: tuple[Any, tuple] | None = None
        self._checked = -1e9
        self._lock = asyncio.Lock()

    async def current(self) -> tuple[Any, tuple]:
        """(edition, version); the edition is None when no edition is current."""
        if time.monotonic() - self._checked < self.ttl and self._value is not None:
            return self._value
        async with self._lock:  # one reload at a time; the others wait for it instead of repeating it
            if time.monotonic() - self._checked >= self.ttl or self._value is None:
                async with self.session_maker() as session:
                    self._value = (await editions.current(session), await version(session))
                self._checked = time.monotonic()
        return self._value


async def offers_for_matching(
    session: AsyncSession, edition_id: int
) -> tuple[dict[int, list[tuple[int, str, str, Item]]], dict[int, list[tuple[int, str, str, Item]]]]:
    """For business matching: the published solutions per exhibitor staff member, and the open needs per
    organization (a city), each as (id, title_en, title_ja, matching item)."""
    index = await _index(session, edition_id)
    staff = (
        await session.execute(
            select(ExhibitorStaff.user_id, Solution.id, Solution.title_en, Solution.title_ja)
            .join(Solution, Solution.exhibitor_id == ExhibitorStaff.exhibitor_id)
            .where(ExhibitorStaff.edition_id == edition_id)
        )
    ).tuples()
    solutions: dict[int, list[tuple[int, str, str, Item]]] = {}
    for user_id, solution_id, title_en, title_ja in staff:
        if solution_id in index.solutions:  # approved exhibitors only
            solutions.setdefault(user_id, []).append(
                (solution_id, title_en, title_ja, index.solutions[solution_id])
            )
    needs: dict[int, list[tuple[int, str, str, Item]]] = {}
    rows = await session.execute(
        select(Need.id, Need.organization_id, Need.title_en, Need.title_ja).where(
            Need.edition_id == edition_id, Need.status == "open"
        )
    )
    for need_id, organization_id, title_en, title_ja in rows.tuples():
        if need_id in index.needs:
            needs.setdefault(organization_id, []).append((need_id, title_en, title_ja, index.needs[need_id]))
    return solutions, needs
