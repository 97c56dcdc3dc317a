"""Loading the marketplace from data (the demo seed): halls, approved exhibitors with booths, staff,
solutions and packages, and city needs. Idempotent: exhibitors are known by organization, needs by title."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.exhibitors import directory, services, solutions
from ascc.exhibitors.models import Exhibitor, ExhibitorStaff, Hall, Need, Solution
from ascc.exhibitors.services import PROFILE_FIELDS
from ascc.organizations import services as organizations

if TYPE_CHECKING:
    from ascc.editions.models import Edition


async def load_marketplace(session: AsyncSession, edition: Edition, data: dict[str, Any]) -> int:
    """Everything in `data` that is not there yet; returns how many exhibitors were created."""
    halls = {h.code: h for h in await services.list_halls(session, edition.id)}
    for row in data["halls"]:
        if row["code"] not in halls:
            hall = Hall(edition_id=edition.id, **row)
            session.add(hall)
            halls[row["code"]] = hall
    await session.flush()

    by_key: dict[str, Exhibitor] = {}
    created = 0
    for row in data["exhibitors"]:
        # An organization the seed already knows (a city, JICA) keeps its record; only new ones are created.
        organization = await organizations.find_by_name(
            session, row["organization"]
        ) or await organizations.upsert(
            session,
            organizations.OrganizationInput(
                name_en=row["organization"],
                name_ja=row.get("organization_ja"),
                kind=row.get("organization_kind", "company"),
                country=row.get("country"),
                region=row.get("home_city"),
                website=row.get("website"),
            ),
        )
        existing = await session.scalar(
            select(Exhibitor).where(
                Exhibitor.edition_id == edition.id, Exhibitor.organization_id == organization.id
            )
        )
        if existing is not None:
            by_key[row["key"]] = existing
            continue
        booth = row["booth"]
        exhibitor = Exhibitor(
            edition_id=edition.id,
            organization_id=organization.id,
            name_en=row["organization"],
            name_ja=row.get("organization_ja") or "",
            status="approved",
            approved_at=clock.now(),
            hall_id=halls[booth["hall"]].id,
            booth_number=booth["number"],
            booth_x=booth["x"],
            booth_y=booth["y"],
            booth_w=booth["w"],
            booth_h=booth["h"],
            **{
                k: row[k]
                for k in PROFILE_FIELDS
                if k not in ("name_en", "name_ja") and row.get(k) is not None
            },
        )
        session.add(exhibitor)
        await session.flush()
        for n, email in enumerate(row.get("staff", [])):
            user = await accounts.find_by_email(session, email)
            if user is not None and await services.staff_membership(session, edition.id, user.id) is None:
                session.add(
                    ExhibitorStaff(
                        edition_id=edition.id, exhibitor_id=exhibitor.id, user_id=user.id, is_admin=n == 0
                    )
                )
        by_key[row["key"]] = exhibitor
        created += 1
    await session.flush()

    for row in data["exhibitors"]:
        exhibitor = by_key[row["key"]]
        if not any(s.get("title_en") for s in row["solutions"]) or await _has_solutions(
            session, exhibitor.id
        ):
            continue
        for solution in row["solutions"]:
            values = {k: solution.get(k) for k in solutions.CONTENT_FIELDS}
            partners = solution.get("package_partners") or []
            values["partners"] = [str(by_key[p["exhibitor"]].id) for p in partners]
            values["partner_roles"] = {
                str(by_key[p["exhibitor"]].id): {"en": p.get("role_en", ""), "ja": p.get("role_ja", "")}
                for p in partners
            }
            await solutions.save_solution(session, exhibitor, None, values)

    existing_needs = set(await session.scalars(select(Need.title_en).where(Need.edition_id == edition.id)))
    for row in data["needs"]:
        if row["title_en"] in existing_needs:
            continue
        author = await accounts.find_by_email(session, row["author"])  # absent: posted by the organizers
        values = {k: row.get(k) for k in directory.NEED_CONTENT_FIELDS} | {
            "organization": row["organization"]
        }
        await directory.save_need(
            session, edition.id, author.id if author else None, values, is_organizer=True
        )
    return created


async def _has_solutions(session: AsyncSession, exhibitor_id: int) -> bool:
    return (
        await session.scalar(select(Solution.id).where(Solution.exhibitor_id == exhibitor_id).limit(1))
        is not None
    )
