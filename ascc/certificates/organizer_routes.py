"""Organizer pages: eligible and issued certificates, the online threshold, revoking one with a reason, and
the "your certificate is ready" mailing (a background job with its progress)."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc.certificates import mailing
from ascc.certificates import services as certificates
from ascc.certificates.models import REVOKE_REASONS
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.security import requires_organizer
from ascc.web import DbSession, error_messages, form_errors, form_values, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]


async def _overview(
    request: Request, db_session: DbSession, edition_id: int, status_code: int = 200, **context: Any
) -> Template:
    # Loaded again: after a refused form's rollback the request's edition is expired.
    edition = await editions.get_by_id(db_session, edition_id)
    return page(
        request,
        "certificates/organizer.html",
        status_code=status_code,
        edition=edition,
        overview=await certificates.overview(db_session, edition.id),
        mailings=await mailing.recent(db_session, edition.id),
        ended=certificates.ended(edition),
        reasons=REVOKE_REASONS,
        values=context.pop("values", {}),
        errors=context.pop("errors", {}),
        _has_partial=False,
        **context,
    )


class CertificateAdminPages(Controller):
    path = "/organizer/certificates"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def overview(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await _overview(request, db_session, current_edition.id)

    @post("/settings")
    async def settings(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        edition_id = current_edition.id
        values = form_values(await request.form(), "online_minutes")
        try:
            await certificates.set_online_minutes(
                db_session, current_edition.id, values.get("online_minutes", ""), request.user
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _overview(
                request, db_session, edition_id, 422, values=values, errors=form_errors(request, exc)
            )
        await db_session.commit()
        return Redirect("/organizer/certificates?saved=1", status_code=303)

    @post("/revoke")
    async def revoke(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        edition_id = current_edition.id
        values = form_values(await request.form(), "reference", "reason", "note")
        try:
            await certificates.revoke(
                db_session,
                current_edition.id,
                values.get("reference", ""),
                values.get("reason", ""),
                values.get("note", ""),
                request.user,
            )
        except DomainError as exc:
            await db_session.rollback()
            problems = error_messages(request, exc, "reference")
            return await _overview(request, db_session, edition_id, 422, values=values, errors=problems)
        await db_session.commit()
        return Redirect("/organizer/certificates?revoked=1", status_code=303)

    @post("/mailings")
    async def start_mailing(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        edition_id = current_edition.id
        try:
            job = await mailing.start(db_session, current_edition, request.user)
        except DomainError as exc:
            await db_session.rollback()
            return await _overview(request, db_session, edition_id, 409, problem=exc.message)
        await db_session.commit()
        await request.app.state.jobs.start("certificate_mailing", mailing_id=job.id)
        return Redirect(f"/organizer/certificates/mailings/{job.id}", status_code=303)

    @get("/mailings/{mailing_id:int}")
    async def mailing_progress(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        mailing_id: FromPath[int],
    ) -> Template:
        job = await mailing.get(db_session, current_edition.id, mailing_id)
        return page(request, "certificates/mailing.html", edition=current_edition, job=job)
