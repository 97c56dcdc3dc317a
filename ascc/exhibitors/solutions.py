"""Solutions: what exhibitors offer, with tags, brochures, and packages of several companies' products."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from ascc.audit import services as audit
from ascc.errors import NotFound, ValidationFailed
from ascc.exhibitors.models import Exhibitor, PackagePartner, Solution
from ascc.exhibitors.search import document
from ascc.exhibitors.services import (
    BROCHURE_MAX_BYTES,
    DESCRIPTION_MAX,
    as_list,
    bilingual,
    check_tags,
    get_exhibitor,
    refresh_search,
    tag_line,
)
from ascc.files import services as files
from ascc.text import clean_line, collect, optional_block, optional_url


async def get_solution(
    session: AsyncSession, edition_id: int, solution_id: int, public: bool = True
) -> Solution:
    row = await session.scalar(
        select(Solution)
        .join(Exhibitor)
        .where(Solution.id == solution_id, Exhibitor.edition_id == edition_id)
        .options(
            joinedload(Solution.exhibitor).joinedload(Exhibitor.hall),
            selectinload(Solution.partners).joinedload(PackagePartner.exhibitor),
        )
        .execution_options(populate_existing=True)
    )
    if row is None or (public and row.exhibitor.status != "approved"):
        raise NotFound("solution")
    return row


def refresh_solution_search(solution: Solution, exhibitor: Exhibitor, partner_names: Sequence[str]) -> None:
    solution.search_title = document(solution.title_en, solution.title_ja)
    solution.search_text = document(
        solution.title_en,
        solution.title_ja,
        solution.summary_en,
        solution.summary_ja,
        solution.reference_projects_en,
        solution.reference_projects_ja,
        exhibitor.name_en,
        exhibitor.name_ja,
        *partner_names,
        tag_line(solution.sectors, solution.sdgs, solution.countries),
    )


async def save_solution(
    session: AsyncSession,
    exhibitor: Exhibitor,
    solution_id: int | None,
    values: Mapping[str, Any],
    brochure: tuple[str, bytes] | None = None,
    actor: audit.Actor | None = None,
) -> Solution:
    """Create or change a solution. `partners` (exhibitor ids) make it a package of several companies.

    A brochure upload is checked before anything is written: a wrong file stores nothing at all.
    """
    upload = (
        files.checked_document("brochure", *brochure, BROCHURE_MAX_BYTES, pdf_only=True) if brochure else None
    )
    errors: dict = {}
    title_en, title_ja = bilingual(errors, values, "title", missing="error.title_required")
    texts = {
        name: collect(errors, optional_block, name, values.get(name), DESCRIPTION_MAX) or ""
        for name in ("summary_en", "summary_ja", "reference_projects_en", "reference_projects_ja")
    }
    sectors, sdgs, countries = check_tags(errors, values)
    brochure_url = collect(errors, optional_url, "brochure_url", values.get("brochure_url"))
    partner_ids = []
    for raw in as_list(values.get("partners")):
        try:
            partner_ids.append(int(raw))
        except ValueError:
            errors["partners"] = ("error.choice_invalid", {})
    partners: dict[int, Exhibitor] = {}
    if partner_ids:
        rows = await session.scalars(
            select(Exhibitor).where(
                Exhibitor.id.in_(partner_ids),
                Exhibitor.edition_id == exhibitor.edition_id,
                Exhibitor.id != exhibitor.id,
                Exhibitor.status == "approved",  # a draft must not appear publicly through someone's package
            )
        )
        partners = {e.id: e for e in rows}
        if len(partners) != len(set(partner_ids)):
            errors["partners"] = ("error.choice_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    before = None
    if solution_id is None:
        solution = Solution(exhibitor_id=exhibitor.id)
        solution.partners = []
        session.add(solution)
    else:
        solution = await own_solution(session, exhibitor, solution_id)
        before = _audit_view(solution)
    solution.title_en, solution.title_ja = title_en, title_ja
    for name, value in texts.items():
        setattr(solution, name, value)
    solution.sectors, solution.sdgs, solution.countries = sectors, sdgs, countries
    solution.brochure_url = brochure_url
    roles = values.get("partner_roles") or {}
    kept = {p.exhibitor_id: p for p in solution.partners if p.exhibitor_id in partners}
    solution.partners = [
        kept.get(pid)
        or PackagePartner(
            exhibitor_id=pid,
            role_en=clean_line(roles.get(str(pid), {}).get("en") if isinstance(roles, dict) else "")[:300],
            role_ja=clean_line(roles.get(str(pid), {}).get("ja") if isinstance(roles, dict) else "")[:300],
        )
        for pid in dict.fromkeys(partner_ids)
    ]
    refresh_solution_search(
        solution, exhibitor, [n for p in partners.values() for n in (p.name_en, p.name_ja)]
    )
    if upload is not None:
        session.add(upload)
        await session.flush()
        solution.brochure_id = upload.id
    await session.flush()
    await _refresh_exhibitor_search(session, exhibitor)
    saved = await get_solution(session, exhibitor.edition_id, solution.id, public=False)
    after = _audit_view(saved)
    if upload is not None:
        after["brochure"] = brochure[0] if brochure else None
    await audit.record(
        session,
        actor,
        "exhibitor.solution_create" if before is None else "exhibitor.solution_update",
        "solution",
        saved.id,
        f"{saved.title_en} · {exhibitor.name_en}",
        before=before,
        after=after,
        edition_id=exhibitor.edition_id,
    )
    return saved


# What a solution says, as the demo seed loads it and a later edition copies it (not its brochure file).
CONTENT_FIELDS = (
    "title_en",
    "title_ja",
    "summary_en",
    "summary_ja",
    "sectors",
    "sdgs",
    "countries",
    "reference_projects_en",
    "reference_projects_ja",
    "brochure_url",
)

AUDITED = (
    "title_en",
    "title_ja",
    "summary_en",
    "summary_ja",
    "reference_projects_en",
    "reference_projects_ja",
    "sectors",
    "sdgs",
    "countries",
    "brochure_url",
    "brochure_id",
)


def _audit_view(solution: Solution) -> dict[str, Any]:
    view = audit.snapshot(solution, AUDITED)
    view["partners"] = sorted(p.exhibitor_id for p in solution.partners)
    return view


async def _refresh_exhibitor_search(session: AsyncSession, exhibitor: Exhibitor) -> None:
    fresh = await get_exhibitor(session, exhibitor.edition_id, exhibitor.id)
    refresh_search(fresh)
    await session.flush()


async def own_solution(session: AsyncSession, exhibitor: Exhibitor, solution_id: int) -> Solution:
    """A solution of this exhibitor, published or not; another exhibitor's answers 404 as if absent."""
    solution = await get_solution(session, exhibitor.edition_id, solution_id, public=False)
    if solution.exhibitor_id != exhibitor.id:
        raise NotFound("solution")
    return solution


async def delete_solution(
    session: AsyncSession, exhibitor: Exhibitor, solution_id: int, actor: audit.Actor | None = None
) -> None:
    solution = await own_solution(session, exhibitor, solution_id)
    await audit.record(
        session,
        actor,
        "exhibitor.solution_delete",
        "solution",
        solution.id,
        f"{solution.title_en} · {exhibitor.name_en}",
        before=_audit_view(solution),
        edition_id=exhibitor.edition_id,
    )
    await session.delete(solution)
    await session.flush()
    await _refresh_exhibitor_search(session, exhibitor)


async def packages_with(session: AsyncSession, exhibitor_id: int) -> list[Solution]:
    """Approved packages of other exhibitors in which this exhibitor takes part."""
    return list(
        await session.scalars(
            select(Solution)
            .join(PackagePartner, PackagePartner.solution_id == Solution.id)
            .join(Exhibitor, Exhibitor.id == Solution.exhibitor_id)
            .where(PackagePartner.exhibitor_id == exhibitor_id, Exhibitor.status == "approved")
            .options(joinedload(Solution.exhibitor))
        )
    )
