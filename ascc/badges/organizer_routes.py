"""Organizer pages: badge sheets (a background job with progress), reissuing a lost badge, live check-in figures."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template

from ascc.audit import services as audit
from ascc.badges import figures, sheets
from ascc.badges import services as badges
from ascc.badges.live import figures_stream
from ascc.badges.models import REISSUE_REASONS
from ascc.badges.render import LAYOUTS
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.files import services as files
from ascc.i18n import translate
from ascc.registration import organizer as registrations
from ascc.registration import services as registration
from ascc.security import requires_organizer, requires_role
from ascc.web import DbSession, file_response, form_errors, form_values, page, render, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]


async def _badges_page(
    request: Request, db_session: DbSession, status_code: int = 200, **context: Any
) -> Template:
    edition = await editions.require_current(db_session)
    return page(
        request,
        "organizer/badges.html",
        status_code=status_code,
        edition=edition,
        prints=await sheets.recent(db_session, edition.id),
        categories=registration.CATEGORIES,
        modes=registration.MODES,
        layouts=LAYOUTS,
        reasons=REISSUE_REASONS,
        confirmed=await registration.count_confirmed(db_session, edition.id),
        values=context.pop("values", {}),
        errors=context.pop("errors", {}),
        _has_partial=False,
        **context,
    )


class BadgeAdminPages(Controller):
    path = "/organizer"
    include_in_schema = False

    @get("/badges", guards=[requires_organizer])
    async def overview(self, request: Request, db_session: DbSession) -> Template:
        return await _badges_page(request, db_session)

    @post("/badges/prints", guards=[requires_organizer])
    async def start_print(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        values = form_values(await request.form(), "mode", "category", "country", "q", "layout")
        try:
            job = await sheets.start(
                db_session,
                current_edition.id,
                request.user.id,
                values,
                values.get("layout") or "a6",
                request.user,
            )
        except (ValidationFailed, DomainError) as exc:
            await db_session.rollback()
            errors = form_errors(request, exc) if isinstance(exc, ValidationFailed) else {}
            problem = None if isinstance(exc, ValidationFailed) else exc.message
            return await _badges_page(request, db_session, 422, values=values, errors=errors, problem=problem)
        await db_session.commit()
        await request.app.state.jobs.start("badge_sheet", print_id=job.id)
        return Redirect(f"/organizer/badges/prints/{job.id}", status_code=303)

    @get("/badges/prints/{print_id:int}", guards=[requires_organizer])
    async def print_progress(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        print_id: FromPath[int],
    ) -> Template:
        job = await sheets.get(db_session, current_edition.id, print_id)
        return page(request, "organizer/badge_print.html", edition=current_edition, job=job)

    @get("/badges/prints/{print_id:int}/badges.pdf", guards=[requires_organizer])
    async def print_file(
        self, db_session: DbSession, current_edition: CurrentEdition, print_id: FromPath[int]
    ) -> Response:
        job = await sheets.get(db_session, current_edition.id, print_id)
        if job.file_id is None:
            raise DomainError("badges.error.print_not_ready", "print_not_ready", status=409)
        return file_response(await files.get_file(db_session, job.file_id), cache="private, no-store")

    @post("/badges/reissue", guards=[requires_organizer])
    async def reissue(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        """Two steps: the code names the person (a typo must not cost someone else their badge), then the
        organizer confirms with a reason and an optional note, which the person receives by mail."""
        values = form_values(await request.form(), "code", "reason", "note", "confirm")
        reg = await registration.find_by_badge_code(db_session, current_edition.id, values.get("code", ""))
        if reg is None or reg.status != "confirmed":
            return await _badges_page(
                request,
                db_session,
                422,
                values=values,
                errors={"code": translate(request_lang(request), "badges.error.unknown_code")},
            )
        if values.get("confirm") != "yes":
            return await _badges_page(request, db_session, values=values, confirming=reg)
        registration_id = reg.id
        try:
            old_code, _ = await badges.reissue(
                db_session,
                reg,
                request.app.state.settings.base_url,
                values.get("reason", ""),
                values.get("note", ""),
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            reg = await registration.get_registration(db_session, registration_id)
            return await _badges_page(
                request, db_session, 422, values=values, confirming=reg, errors=form_errors(request, exc)
            )
        await audit.record(  # the codes open the doors: the log says that the badge changed, not to what
            db_session,
            request.user,
            "badges.reissue",
            "registration",
            reg.id,
            registrations.registration_label(reg),
            before={"badge": "valid"},
            after={"badge": f"revoked ({values['reason']}), new badge issued"},
            edition_id=current_edition.id,
        )
        await db_session.commit()
        return await _badges_page(
            request,
            db_session,
            reissued={"name": reg.user.name_latin, "old": old_code, "new": reg.badge_code},
        )

    @get("/checkin", guards=[requires_role("checkin", "organizer")])
    async def live(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return page(
            request,
            "organizer/checkin_live.html",
            edition=current_edition,
            stats=await figures.stats(db_session, current_edition.id),
            scans=await figures.recent_scans(db_session, current_edition.id),
            _has_partial=False,
        )

    @get("/checkin/stream", guards=[requires_role("checkin", "organizer")])
    async def stream(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> ServerSentEvent:
        edition_id = current_edition.id
        await db_session.close()  # the stream lives long; each redraw opens its own session

        async def draw() -> str:
            async with request.app.state.session_maker() as session:
                current = await editions.get_by_id(session, edition_id)
                return render(
                    request,
                    "organizer/_checkin_figures.html",
                    edition=current,
                    stats=await figures.stats(session, edition_id),
                    scans=await figures.recent_scans(session, edition_id),
                ).replace("\n", " ")

        return ServerSentEvent(figures_stream(request, edition_id, draw), event_type="figures")
