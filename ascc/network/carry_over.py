"""Carry-over between editions: a city official brings their city's earlier needs, exhibitor staff their
company's earlier solutions, into the current edition (copies; the originals stay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.errors import DomainError, NotFound
from ascc.exhibitors import directory as needs_directory
from ascc.exhibitors import services as marketplace
from ascc.exhibitors import solutions as solution_service
from ascc.network.directory import Earlier, offers_of
from ascc.network.models import CARRIED_KINDS, CarriedOver

if TYPE_CHECKING:
    from ascc.editions.models import Edition


@dataclass(frozen=True)
class CarryOption:
    kind: str  # need | solution
    item: Earlier
    copy_id: int | None  # the copy in the current edition, when it was brought already


async def carry_over_options(session: AsyncSession, edition: Edition, user_id: int) -> dict[str, Any]:
    """What this person may bring into `edition`: their city's needs of earlier editions (a registered city
    official) and their company's solutions of earlier editions (staff of its exhibitor in `edition`)."""
    city = await needs_directory.city_of_poster(session, edition.id, user_id)
    mine = await marketplace.my_exhibitor(session, edition.id, user_id)
    organization_ids = {
        o for o in (city.id if city else None, mine[0].organization_id if mine else None) if o
    }
    solutions, needs = await offers_of(session, organization_ids)
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


async def bring_need(session: AsyncSession, edition: Edition, user_id: int, need_id: int) -> Any:
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


async def bring_solution(session: AsyncSession, edition: Edition, user_id: int, solution_id: int) -> Any:
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
