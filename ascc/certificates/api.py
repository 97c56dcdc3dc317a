"""The certificates API: my certificate (status, PDF), verifying one, and the organizer's controls."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from ascc.api_contract import errors
from ascc.certificates import mailing
from ascc.certificates import services as certificates
from ascc.certificates.models import CertificateMailing
from ascc.certificates.routes import certificate_pdf
from ascc.editions import services as editions
from ascc.security import requires_login, requires_organizer
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

Problem = Literal["not_registered", "not_ended", "not_attended", "revoked"]
Verdict = Literal["valid", "revoked", "unknown"]
Reason = Literal["error", "misconduct", "duplicate", "request", "other"]
MailingStatus = Literal["queued", "running", "done", "failed"]


class CertificateItemOut(msgspec.Struct):
    en: str
    ja: str
    when: str


class MyCertificateOut(msgspec.Struct):
    available: bool
    problem: Problem | None  # why there is no certificate to download
    on_site: bool
    minutes_online: int
    minutes_required: int
    reference: str | None
    verify_url: str | None
    download: str | None  # the PDF (issued on first download)
    sessions: list[CertificateItemOut]
    tours: list[CertificateItemOut]
    meetings: list[CertificateItemOut]


class CertificateVerifyOut(msgspec.Struct):
    status: Verdict
    reference: str | None = None
    name_latin: str | None = None
    name_local: str | None = None
    edition_en: str | None = None
    edition_ja: str | None = None
    issued_at: datetime | None = None
    revoked_at: datetime | None = None


class CertificateRevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str  # one of Reason; anything else is a 422 naming the field
    note: str = ""


class CertificateRevokedOut(msgspec.Struct):
    reference: str
    revoked_at: datetime | None
    reason: Reason | None


class CertificateSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    online_minutes: int


class CertificateOverviewOut(msgspec.Struct):
    eligible: int
    issued: int
    revoked: int
    notified: int
    online_minutes: int


class CertificateMailingOut(msgspec.Struct):
    id: int
    status: MailingStatus
    done: int
    total: int
    sent: int
    error: str | None


def _items(items: list) -> list[CertificateItemOut]:
    return [CertificateItemOut(i.en, i.ja, i.when) for i in items]


def _mailing(job: CertificateMailing) -> CertificateMailingOut:
    return CertificateMailingOut(
        job.id, cast(MailingStatus, job.status), job.done, job.total, job.sent, job.error
    )


class CertificateApi(Controller):
    path = "/api/v1"
    tags = ["certificates"]

    @get(
        "/me/certificate",
        guards=[requires_login],
        summary="My certificate of attendance: can I have it, and what it names",
    )
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> MyCertificateOut:
        where = await certificates.standing(db_session, current_edition, request.user.id)
        problem = where.problem
        seen = certificates.Attendance()
        if where.registration is not None and where.eligible:
            seen = await certificates.attendance(
                db_session, current_edition, where.registration.id, where.registration.user_id
            )
        cert = where.certificate
        settings = request.app.state.settings
        return MyCertificateOut(
            available=problem is None,
            problem=cast(Problem | None, problem),
            on_site=where.on_site,
            minutes_online=where.minutes,
            minutes_required=where.threshold,
            reference=cert.reference if cert else None,
            verify_url=certificates.verify_url(settings.base_url, cert, settings.secret_key)
            if cert
            else None,
            download="/api/v1/me/certificate.pdf" if problem is None else None,
            sessions=_items(seen.sessions),
            tours=_items(seen.tours),
            meetings=_items(seen.meetings),
        )

    @get(
        "/me/certificate.pdf",
        guards=[requires_login],
        summary="My certificate as a bilingual PDF (issued on first download)",
        media_type="application/pdf",
        responses=errors(
            {
                403: "`not_attended`: neither checked in on site nor watched enough; `revoked`: withdrawn",
                404: "`not_registered`: no confirmed registration in the current edition",
                409: "`not_ended`: certificates are issued after the conference's last day",
            }
        ),
    )
    async def my_pdf(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[bytes]:
        return await certificate_pdf(request, db_session, current_edition)

    @get(
        "/certificates/verify/{code:str}",
        summary="Verify a certificate by the code of its QR (anyone): valid, revoked or unknown",
        cache=False,
    )
    async def verify(
        self, request: Request, db_session: DbSession, code: FromPath[str]
    ) -> CertificateVerifyOut:
        v = await certificates.verify(db_session, code, request.app.state.settings.secret_key)
        if v.status == "unknown":
            return CertificateVerifyOut("unknown")
        return CertificateVerifyOut(
            cast(Verdict, v.status),
            v.reference,
            v.name_latin,
            v.name_local or None,
            v.edition_en,
            v.edition_ja,
            v.issued_at,
            v.revoked_at,
        )

    @get(
        "/organizer/certificates",
        guards=[requires_organizer],
        summary="Certificates: eligible, issued, revoked, mailed",
    )
    async def overview(
        self, db_session: DbSession, current_edition: CurrentEdition
    ) -> CertificateOverviewOut:
        o = await certificates.overview(db_session, current_edition.id, limit=0)
        return CertificateOverviewOut(o.eligible, o.issued, o.revoked, o.notified, o.threshold)

    @put(
        "/organizer/certificates/settings",
        guards=[requires_organizer],
        summary="Set the online minutes that make an online attendee eligible",
        responses=errors({422: "`invalid` (`online_minutes`): a whole number from 1 to 1440"}),
    )
    async def settings(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[CertificateSettingsIn, Body()],
    ) -> CertificateOverviewOut:
        await certificates.set_online_minutes(
            db_session, current_edition.id, data.online_minutes, request.user
        )
        await db_session.commit()
        o = await certificates.overview(db_session, current_edition.id, limit=0)
        return CertificateOverviewOut(o.eligible, o.issued, o.revoked, o.notified, o.threshold)

    @post(
        "/organizer/certificates/{reference:str}/revoke",
        guards=[requires_organizer],
        status_code=200,
        summary="Revoke a certificate with a reason (audited); its verify page then says revoked",
        responses=errors(
            {
                404: "`not_found`: no certificate with this reference in the current edition",
                422: "`invalid` (`reason`, `note`): an unknown reason, or `other` without a note",
            }
        ),
    )
    async def revoke(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        reference: FromPath[str],
        data: Annotated[CertificateRevokeIn, Body()],
    ) -> CertificateRevokedOut:
        cert = await certificates.revoke(
            db_session, current_edition.id, reference, data.reason, data.note, request.user
        )
        await db_session.commit()
        return CertificateRevokedOut(
            cert.reference, cert.revoked_at, cast(Reason | None, cert.revoked_reason)
        )

    @post(
        "/organizer/certificates/mailings",
        guards=[requires_organizer],
        status_code=202,
        summary='Mail "your certificate is ready" to everyone eligible, in the background (each person once)',
        responses=errors({409: "`not_ended`: the conference has not ended"}),
    )
    async def start_mailing(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> CertificateMailingOut:
        job = await mailing.start(db_session, current_edition, request.user)
        await db_session.commit()
        await request.app.state.jobs.start("certificate_mailing", mailing_id=job.id)
        return _mailing(job)

    @get(
        "/organizer/certificates/mailings/{mailing_id:int}",
        guards=[requires_organizer],
        summary="A mailing's progress",
    )
    async def mailing_status(
        self, db_session: DbSession, current_edition: CurrentEdition, mailing_id: FromPath[int]
    ) -> CertificateMailingOut:
        return _mailing(await mailing.get(db_session, current_edition.id, mailing_id))
