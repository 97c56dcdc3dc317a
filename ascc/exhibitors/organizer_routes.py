"""Organizers review exhibitor profiles and place booths on the floor plan."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.exhibitors import services as marketplace
from ascc.exhibitors import staff
from ascc.exhibitors.models import EXHIBITOR_STATUSES
from ascc.security import requires_role
from ascc.web import DbSession, form_errors, form_text, form_values, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

BOOTH_FIELDS = ("hall", "booth_number", "booth_x", "booth_y", "booth_w", "booth_h")


class ExhibitorAdminPages(Controller):
    path = "/organizer/exhibitors"
    guards = [requires_role("organizer")]
    include_in_schema = False

    @get("/")
    async def list_page(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        status: FromQuery[str] = "",
    ) -> Template:
        status = status if status in EXHIBITOR_STATUSES else ""
        return page(
            request,
            "organizer/exhibitors.html",
            edition=current_edition,
            exhibitors=await marketplace.list_exhibitors(db_session, current_edition.id, status or None),
            counts=await marketplace.status_counts(db_session, current_edition.id),
            statuses=EXHIBITOR_STATUSES,
            status=status,
        )

    @get("/{exhibitor_id:int}")
    async def detail(self, request: Request, db_session: DbSession, exhibitor_id: FromPath[int]) -> Template:
        return await _detail(request, db_session, exhibitor_id)

    @post("/{exhibitor_id:int}/review")
    async def review(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        exhibitor_id: FromPath[int],
    ) -> Template | Redirect:
        exhibitor = await marketplace.get_exhibitor(db_session, current_edition.id, exhibitor_id)
        form = await request.form()
        try:
            await marketplace.review(
                db_session,
                exhibitor,
                form_text(form, "decision") == "approve",
                form_text(form, "note"),
                request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _detail(
                request, db_session, exhibitor_id, review_errors=form_errors(request, exc), status=422
            )
        return Redirect(f"/organizer/exhibitors/{exhibitor_id}?done=reviewed", status_code=303)

    @post("/{exhibitor_id:int}/booth")
    async def booth(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        exhibitor_id: FromPath[int],
    ) -> Template | Redirect:
        exhibitor = await marketplace.get_exhibitor(db_session, current_edition.id, exhibitor_id)
        values = form_values(await request.form(), *BOOTH_FIELDS)
        try:
            await marketplace.assign_booth(db_session, exhibitor, values, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _detail(
                request,
                db_session,
                exhibitor_id,
                booth_values=values,
                booth_errors=form_errors(request, exc),
                status=422,
            )
        return Redirect(f"/organizer/exhibitors/{exhibitor_id}?done=booth", status_code=303)


async def _detail(
    request: Request,
    db_session: DbSession,
    exhibitor_id: int,
    booth_values: dict[str, Any] | None = None,
    booth_errors: dict | None = None,
    review_errors: dict | None = None,
    status: int = 200,
) -> Template:
    edition = await editions.require_current(db_session)
    exhibitor = await marketplace.get_exhibitor(db_session, edition.id, exhibitor_id)
    halls = await marketplace.list_halls(db_session, edition.id)
    values = booth_values or {
        "hall": exhibitor.hall.code if exhibitor.hall else (halls[0].code if halls else ""),
        "booth_number": exhibitor.booth_number or "",
        "booth_x": exhibitor.booth_x if exhibitor.booth_x is not None else "",
        "booth_y": exhibitor.booth_y if exhibitor.booth_y is not None else "",
        "booth_w": exhibitor.booth_w or 3,
        "booth_h": exhibitor.booth_h or 3,
    }
    return page(
        request,
        "organizer/exhibitor.html",
        status_code=status,
        edition=edition,
        exhibitor=exhibitor,
        staff=await staff.staff_of(db_session, exhibitor.id),
        halls=halls,
        values=values,
        booth_errors=booth_errors or {},
        review_errors=review_errors or {},
    )
