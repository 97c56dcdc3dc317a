"""Pages: my certificate of attendance (and its PDF), and the public page that verifies one."""

import asyncio

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from ascc.certificates import render
from ascc.certificates import services as certificates
from ascc.editions import services as editions
from ascc.security import requires_login
from ascc.web import DbSession, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]


async def certificate_pdf(
    request: Request, db_session: DbSession, edition: editions.Edition
) -> Response[bytes]:
    """The signed-in person's certificate as a PDF (issued on first download); a DomainError says why not."""
    settings = request.app.state.settings
    cert, where = await certificates.my_certificate(db_session, edition, request.user.id)
    data = await certificates.pdf_data(
        db_session, edition, cert, where, settings.base_url, settings.secret_key
    )
    await db_session.commit()
    body = await asyncio.to_thread(render.render_certificate, data)  # about a second: not on the event loop
    name = f"certificate-{edition.slug}-{cert.reference}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


class CertificatePages(Controller):
    path = "/certificate"
    include_in_schema = False
    guards = [requires_login]

    @get("/", name="certificates.mine")
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        where = await certificates.standing(db_session, current_edition, request.user.id)
        seen = None
        if where.registration is not None and where.eligible:
            seen = await certificates.attendance(
                db_session, current_edition, where.registration.id, where.registration.user_id
            )
        return page(
            request,
            "certificates/mine.html",
            edition=current_edition,
            where=where,
            seen=seen,
            _has_partial=False,
        )

    @get("/certificate.pdf")
    async def download(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[bytes]:
        return await certificate_pdf(request, db_session, current_edition)


class CertificateVerifyPages(Controller):
    path = "/certificates/verify"
    include_in_schema = False

    @get("/{code:str}", cache=False)
    async def verify(self, request: Request, db_session: DbSession, code: FromPath[str]) -> Template:
        verdict = await certificates.verify(db_session, code, request.app.state.settings.secret_key)
        status = 404 if verdict.status == "unknown" else 200
        return page(
            request, "certificates/verify.html", verdict=verdict, status_code=status, _has_partial=False
        )
