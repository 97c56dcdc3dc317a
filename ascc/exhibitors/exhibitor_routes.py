"""The exhibitor's workspace: profile, logo, staff, solutions and brochures, and lead retrieval at the booth.

Every handler finds the exhibitor through the signed-in person's staff membership, never from the URL,
so staff of one exhibitor cannot reach another's profile or leads.
"""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ascc import uploads
from ascc.csv_export import to_csv
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors import leads, solutions, staff
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.routes import choices
from ascc.exhibitors.services import PROFILE_FIELDS
from ascc.files import services as files
from ascc.i18n import translate
from ascc.security import requires_login
from ascc.web import (
    DbSession,
    file_response,
    form_errors,
    form_text,
    form_values,
    page,
    request_lang,
)

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]
# Whom a scanned badge names, judged as at the check-in door (badges, above this domain: app.DEPENDENCIES).
BadgeHolder = NamedDependency[leads.BadgeHolder]
# The page's answer to a scan, as the status code of the page (htmx and the camera script read the page itself).
SCAN_STATUS = {
    "recorded": 201,
    "already": 200,
    "not_shared": 200,
    "unknown": 404,
    "invalid": 422,
    "revoked": 422,
}

SOLUTION_FIELDS = (
    "title_en",
    "title_ja",
    "summary_en",
    "summary_ja",
    "sdgs",
    "countries",
    "reference_projects_en",
    "reference_projects_ja",
    "brochure_url",
)


def _profile_values(exhibitor: Any) -> dict[str, Any]:
    return {name: getattr(exhibitor, name) or "" for name in PROFILE_FIELDS}


async def _workspace(
    request: Request,
    db_session: DbSession,
    errors: dict | None = None,
    values: dict | None = None,
    status: int = 200,
    message: str | None = None,
) -> Template:
    edition = await editions.require_current(db_session)
    mine = await marketplace.my_exhibitor(db_session, edition.id, request.user.id)
    if mine is None:
        return page(
            request,
            "exhibitor/apply.html",
            status_code=status,
            edition=edition,
            values=values or {"kind": "company"},
            errors=errors or {},
        )
    exhibitor, is_admin = mine
    return page(
        request,
        "exhibitor/workspace.html",
        status_code=status,
        edition=edition,
        exhibitor=exhibitor,
        is_admin=is_admin,
        staff=await staff.staff_of(db_session, exhibitor.id),
        invites=await staff.invites_of(db_session, exhibitor.id) if is_admin else [],
        values={**_profile_values(exhibitor), **(values or {})},
        errors=errors or {},
        message=message,
    )


class ExhibitorPages(Controller):
    path = "/exhibitor"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def workspace(
        self, request: Request, db_session: DbSession, done: FromQuery[str | None] = None
    ) -> Template:
        return await _workspace(request, db_session, message=done)

    @post("/apply")
    async def apply(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        values = form_values(await request.form(), *PROFILE_FIELDS)
        try:
            await marketplace.start_exhibitor(
                db_session, current_edition.id, request.user.id, values, request.user
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _workspace(request, db_session, form_errors(request, exc), values, 422)
        return Redirect("/exhibitor?done=created", status_code=303)

    @post("/profile")
    async def profile(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
        values = form_values(await request.form(), *PROFILE_FIELDS)
        try:
            saved = await marketplace.save_profile(db_session, exhibitor, values, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _workspace(request, db_session, form_errors(request, exc), values, 422)
        done = "name_review" if saved.status == "submitted" else "saved"
        return Redirect(f"/exhibitor?done={done}", status_code=303)

    @post("/logo", **uploads.route_options(marketplace.LOGO_MAX_BYTES))
    async def logo(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
        upload = await uploads.chosen_file(await request.form(), "logo", marketplace.LOGO_MAX_BYTES)
        try:
            if upload is None:
                raise ValidationFailed({"logo": ("error.required", {})})
            await marketplace.set_logo(db_session, exhibitor, *upload, actor=request.user)
        except DomainError as exc:
            await db_session.rollback()
            errors = (
                form_errors(request, exc)
                if isinstance(exc, ValidationFailed)
                else {"logo": translate(request_lang(request), exc.message, **exc.params)}
            )
            return await _workspace(request, db_session, errors, None, exc.status_code)
        return Redirect("/exhibitor?done=logo", status_code=303)

    @get("/logo")
    async def own_logo(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response:
        """The logo as uploaded, before the profile is approved (the public address shows only approved ones)."""
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        if exhibitor.logo_id is None:
            raise NotFound("file")
        return file_response(await files.get_file(db_session, exhibitor.logo_id), inline=True)

    @get("/solutions/{solution_id:int}/brochure")
    async def own_brochure(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        solution_id: FromPath[int],
    ) -> Response:
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        row = await solutions.own_solution(db_session, exhibitor, solution_id)
        if row.brochure_id is None:
            raise NotFound("file")
        return file_response(await files.get_file(db_session, row.brochure_id))

    @post("/submit")
    async def submit(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
        try:
            await marketplace.submit(db_session, exhibitor, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _workspace(request, db_session, form_errors(request, exc), None, 422)
        return Redirect("/exhibitor?done=submitted", status_code=303)

    @post("/staff")
    async def invite(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
        email = form_text(await request.form(), "email")
        try:
            await staff.invite_staff(
                db_session,
                exhibitor,
                email,
                request.user.name_latin,
                request.app.state.settings.base_url,
                request_lang(request),
                actor=request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _workspace(request, db_session, form_errors(request, exc), {"email": email}, 422)
        return Redirect("/exhibitor?done=invited", status_code=303)

    @post("/staff/{user_id:int}/remove")
    async def remove(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, user_id: FromPath[int]
    ) -> Redirect:
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
        await staff.remove_staff(db_session, exhibitor, user_id, request.user.id, request.user)
        return Redirect("/exhibitor?done=removed", status_code=303)

    @post("/invites/{invite_id:int}/revoke")
    async def revoke(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        invite_id: FromPath[int],
    ) -> Redirect:
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
        await staff.revoke_invite(db_session, exhibitor, invite_id, request.user)
        return Redirect("/exhibitor?done=revoked", status_code=303)

    @get("/invite/{token:str}")
    async def invite_page(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, token: FromPath[str]
    ) -> Template:
        invite = await staff.find_staff_invite(db_session, token)
        exhibitor = await marketplace.get_exhibitor(db_session, current_edition.id, invite.exhibitor_id)
        return page(request, "exhibitor/invite.html", exhibitor=exhibitor, invite=invite, token=token)

    @post("/invite/{token:str}")
    async def accept(self, request: Request, db_session: DbSession, token: FromPath[str]) -> Redirect:
        await staff.accept_staff_invite(db_session, token, request.user.id)
        return Redirect("/exhibitor?done=joined", status_code=303)

    # --- Solutions ---

    @get("/solutions/new")
    async def new_solution(self, request: Request, db_session: DbSession) -> Template:
        return await _solution_form(request, db_session, None, {"sectors": [], "partners": []}, {})

    @get("/solutions/{solution_id:int}")
    async def edit_solution(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        solution_id: FromPath[int],
    ) -> Template:
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        row = await solutions.own_solution(db_session, exhibitor, solution_id)
        values = {name: getattr(row, name) or "" for name in SOLUTION_FIELDS}
        values.update(
            sdgs=", ".join(row.sdgs),
            countries=", ".join(row.countries),
            sectors=row.sectors,
            partners=[str(p.exhibitor_id) for p in row.partners],
        )
        return await _solution_form(request, db_session, row, values, {})

    @post("/solutions", **uploads.route_options(marketplace.BROCHURE_MAX_BYTES))
    async def create_solution(self, request: Request, db_session: DbSession) -> Template | Redirect:
        return await _save_solution(request, db_session, None)

    @post("/solutions/{solution_id:int}", **uploads.route_options(marketplace.BROCHURE_MAX_BYTES))
    async def update_solution(
        self, request: Request, db_session: DbSession, solution_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_solution(request, db_session, solution_id)

    @post("/solutions/{solution_id:int}/delete")
    async def delete_solution(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        solution_id: FromPath[int],
    ) -> Redirect:
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        await solutions.delete_solution(db_session, exhibitor, solution_id, request.user)
        return Redirect("/exhibitor?done=deleted", status_code=303)

    # --- Leads ---

    @get("/leads")
    async def leads_page(self, request: Request, db_session: DbSession) -> Template:
        return await _leads_page(request, db_session)

    @post("/leads")
    async def scan(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        badge_holder: BadgeHolder,
    ) -> Template:
        """A typed short code, or the QR text the camera read ("Scan a badge", static/js/leads-scan.js)."""
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        code = form_text(await request.form(), "code")
        if not code.strip():
            return await _leads_page(request, db_session, errors={"code": "error.code_required"}, status=422)
        result = await leads.record(db_session, exhibitor, request.user.id, code, badge_holder)
        return await _leads_page(
            request, db_session, result=result, code=code, status=SCAN_STATUS[result.outcome]
        )

    @post("/leads/{lead_id:int}")
    async def annotate(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, lead_id: FromPath[int]
    ) -> Template | Redirect:
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        form = await request.form()
        try:
            await leads.annotate(
                db_session,
                exhibitor.id,
                lead_id,
                form_text(form, "note"),
                form_text(form, "rating"),
                request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _leads_page(
                request, db_session, errors={lead_id: form_errors(request, exc)}, status=422
            )
        return Redirect(f"/exhibitor/leads#lead-{lead_id}", status_code=303)

    @get("/leads.csv")
    async def leads_csv(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response:
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        rows = leads.csv_rows(await leads.list_leads(db_session, exhibitor))
        return Response(
            to_csv(leads.CSV_HEADER, rows),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="leads.csv"'},
        )


async def _solution_form(
    request: Request, db_session: DbSession, solution: Any, values: dict, errors: dict, status: int = 200
) -> Template:
    edition = await editions.require_current(db_session)
    exhibitor, _ = await marketplace.require_staff(db_session, edition.id, request.user.id)
    others = [
        e
        for e in await marketplace.list_exhibitors(db_session, edition.id, status="approved")
        if e.id != exhibitor.id
    ]
    return page(
        request,
        "exhibitor/solution_form.html",
        status_code=status,
        edition=edition,
        exhibitor=exhibitor,
        solution=solution,
        others=others,
        values=values,
        errors=errors,
        **choices(),
    )


async def _save_solution(
    request: Request, db_session: DbSession, solution_id: int | None
) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    exhibitor, _ = await marketplace.require_staff(db_session, edition.id, request.user.id)
    form = await request.form()
    values: dict[str, Any] = form_values(form, *SOLUTION_FIELDS)
    values["sectors"] = [v for v in form.getall("sectors", []) if isinstance(v, str)]
    values["partners"] = [v for v in form.getall("partners", []) if isinstance(v, str)]
    try:
        row = await solutions.save_solution(
            db_session,
            exhibitor,
            solution_id,
            values,
            brochure=await uploads.chosen_file(form, "brochure", marketplace.BROCHURE_MAX_BYTES),
            actor=request.user,
        )
    except DomainError as exc:
        await db_session.rollback()
        edition = await editions.require_current(db_session)
        exhibitor, _ = await marketplace.require_staff(db_session, edition.id, request.user.id)
        solution = await solutions.own_solution(db_session, exhibitor, solution_id) if solution_id else None
        errors = (
            form_errors(request, exc)
            if isinstance(exc, ValidationFailed)
            else {exc.field or "brochure": translate(request_lang(request), exc.message, **exc.params)}
        )
        return await _solution_form(request, db_session, solution, values, errors, exc.status_code)
    return Redirect(f"/exhibitor/solutions/{row.id}?done=saved", status_code=303)


async def _leads_page(
    request: Request,
    db_session: DbSession,
    result: leads.ScanResult | None = None,
    code: str = "",
    errors: dict | None = None,
    status: int = 200,
) -> Template:
    edition = await editions.require_current(db_session)
    exhibitor, _ = await marketplace.require_staff(db_session, edition.id, request.user.id)
    views = await leads.list_leads(db_session, exhibitor)
    scanned = result.lead.id if result is not None and result.lead is not None else None
    return page(  # an htmx request (or the camera's) gets the result and the list: exhibitor/_leads.html
        request,
        "exhibitor/leads.html",
        status_code=status,
        edition=edition,
        exhibitor=exhibitor,
        leads=views,
        result=result,
        person=next((v for v in views if v.id == scanned), None),  # whom the scan named, if they share it
        code=code,
        errors=errors or {},
    )
