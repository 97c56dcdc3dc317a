"""The organizers' visa letter queue: requests with the passport data to review, approved one by one or many at
once, revoked; and the JSON API of visa letters (participants' own, organizers' queue, public verification)."""

from datetime import date, datetime
from typing import Annotated, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound
from ascc.i18n import country_name
from ascc.registration import visa
from ascc.registration.models import VISA_STATUSES, VisaLetter
from ascc.registration.visa_routes import base_url, secret_of
from ascc.security import requires_login, requires_organizer
from ascc.text import as_number
from ascc.web import DbSession, Form, Many, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

VisaStatus = Literal["requested", "approved", "revoked"]  # as registration.models.VISA_STATUSES
VerifyStatus = Literal["valid", "revoked", "unknown"]


class ApproveForm(Form):
    single: str = ""  # a row's own button: the letter's id
    ids: Many = []  # the ticked rows


def _ids(data: ApproveForm) -> list[int]:
    raw = [data.single] if data.single else data.ids
    return [n for n in (as_number(v) for v in raw) if n is not None]


class VisaQueuePages(Controller):
    path = "/organizer/visa-letters"
    guards = [requires_organizer]

    @get("/", name="visa.queue")
    async def queue(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        status: FromQuery[str | None] = None,
    ) -> Template:
        shown = status if status in (*VISA_STATUSES, "all") else "requested"
        letters = await visa.queue(db_session, current_edition.id, None if shown == "all" else shown)
        secret = secret_of(request)
        return page(
            request,
            "registration/visa_queue.html",
            edition=current_edition,
            status=shown,
            statuses=VISA_STATUSES,
            counts=await visa.counts(db_session, current_edition.id),
            rows=[(letter, visa.passport_of(letter, secret)) for letter in letters],
            done=request.query_params.get("done", ""),
            count=as_number(request.query_params.get("n", "")) or 0,
        )

    @post("/approve", name="visa.approve")
    async def approve(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[ApproveForm],
    ) -> Redirect:
        target = request.app.route_reverse("visa.queue")
        try:
            done = await visa.approve(
                db_session, current_edition.id, _ids(data), base_url(request), actor=request.user
            )
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            await db_session.rollback()
            return Redirect(f"{target}?done={exc.code}", status_code=303)
        return Redirect(f"{target}?done=approved&n={done}", status_code=303)

    @post("/{letter_id:int}/revoke", name="visa.revoke")
    async def revoke(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        letter_id: FromPath[int],
    ) -> Redirect:
        target = request.app.route_reverse("visa.queue")
        try:
            await visa.revoke(db_session, current_edition.id, letter_id, actor=request.user)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            await db_session.rollback()
            return Redirect(f"{target}?status=all&done={exc.code}", status_code=303)
        return Redirect(f"{target}?status=revoked&done=revoked", status_code=303)


# --- The API ------------------------------------------------------------------------------------------------


class VisaLetterOut(msgspec.Struct):
    id: int
    reference: str
    status: VisaStatus
    requested_at: datetime
    approved_at: datetime | None
    revoked_at: datetime | None
    passport_on_file: bool  # False once the retention rule deleted it
    download_url: str | None  # the PDF, once approved


class VisaRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    passport_number: str
    date_of_birth: str  # YYYY-MM-DD, a real date in the past
    nationality: str  # ISO 3166 alpha-2 ("PH")


class VisaReviewOut(msgspec.Struct):
    letter: VisaLetterOut
    name: str
    email: str
    registration: str
    registration_status: str
    passport_number: str | None
    date_of_birth: date | None
    nationality: str | None
    nationality_name: str | None


LetterId = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]


class ApproveIn(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[list[LetterId], msgspec.Meta(max_length=1000)]  # the letters to approve


class ApprovedOut(msgspec.Struct):
    approved: int  # how many changed (those already approved or revoked are left as they are)


class VerificationOut(msgspec.Struct):
    reference: str
    status: VerifyStatus
    edition: str | None
    issued_on: date | None


def letter_out(letter: VisaLetter) -> VisaLetterOut:
    return VisaLetterOut(
        id=letter.id,
        reference=letter.reference,
        status=cast(VisaStatus, letter.status),
        requested_at=letter.requested_at,
        approved_at=letter.approved_at,
        revoked_at=letter.revoked_at,
        passport_on_file=letter.passport_data is not None,
        download_url=f"/registration/visa/{letter.reference}/letter.pdf"
        if letter.status == "approved"
        else None,
    )


NO_LETTER = {404: "`not_found`: no registration, or no visa letter asked for in the current edition"}


class MyVisaLetterApi(Controller):
    path = "/api/v1/registrations/me/visa-letter"
    guards = [requires_login]
    tags = ["registration"]

    @get("/", summary="My visa invitation letter in the current edition", responses=errors(NO_LETTER))
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> VisaLetterOut:
        letter = await visa.mine(db_session, current_edition.id, request.user.id)
        if letter is None:
            raise NotFound("visa_letter")
        return letter_out(letter)

    @post(
        "/",
        summary="Ask for a visa invitation letter (an organizer approves it; the PDF is then downloadable)",
        status_code=201,
        responses=errors(
            {
                404: "`not_found`: I have no registration in the current edition",
                409: "`visa_already_requested`: a request is open or approved already; "
                "`visa_needs_confirmed_in_person`: only a confirmed in-person registration can ask",
                422: "`invalid`: passport_number, date_of_birth or nationality refused, each with its reason",
            }
        ),
    )
    async def ask(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[VisaRequestIn, Body()],
    ) -> VisaLetterOut:
        passport = visa.parse(data.passport_number, data.date_of_birth, data.nationality)
        letter = await visa.request_letter(
            db_session, current_edition.id, request.user.id, passport, secret_of(request), base_url(request)
        )
        return letter_out(letter)


class VisaLetterApi(Controller):
    path = "/api/v1/visa-letters"
    guards = [requires_organizer]
    tags = ["registration"]

    @get("/", summary="The current edition's visa letters with the passport data to review (oldest first)")
    async def queue(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        status: FromQuery[VisaStatus | None] = None,
    ) -> list[VisaReviewOut]:
        secret = secret_of(request)
        out = []
        for letter in await visa.queue(db_session, current_edition.id, status):
            passport = visa.passport_of(letter, secret)
            out.append(
                VisaReviewOut(
                    letter=letter_out(letter),
                    name=letter.user.display_name,
                    email=letter.user.email,
                    registration=letter.registration.reference,
                    registration_status=letter.registration.status,
                    passport_number=passport.number if passport else None,
                    date_of_birth=passport.date_of_birth if passport else None,
                    nationality=passport.nationality if passport else None,
                    nationality_name=country_name(passport.nationality, "en") if passport else None,
                )
            )
        return out

    @post(
        "/approve",
        summary="Approve visa letter requests, one or many (each person is mailed once)",
        status_code=200,
        responses=errors(
            {
                404: "`not_found`: a letter is not in the current edition",
                409: "`visa_not_requested`: the one letter named is approved or revoked already",
                422: "`invalid`: `ids` is empty",
            }
        ),
    )
    async def approve(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[ApproveIn, Body()],
    ) -> ApprovedOut:
        done = await visa.approve(
            db_session, current_edition.id, data.ids, base_url(request), actor=request.user
        )
        return ApprovedOut(approved=done)

    @post(
        "/{letter_id:int}/revoke",
        summary="Revoke a visa letter (requested or approved): its public verification then says revoked",
        status_code=200,
        responses=errors({409: "`visa_already_revoked`"}),
    )
    async def revoke(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        letter_id: FromPath[int],
    ) -> VisaLetterOut:
        return letter_out(await visa.revoke(db_session, current_edition.id, letter_id, actor=request.user))


class VisaVerifyApi(Controller):
    path = "/api/v1/visa-letters/verify"
    tags = ["registration"]

    @get(
        "/{reference:str}",
        summary="Verify a visa letter's reference (public): valid, revoked or unknown, with no personal data",
    )
    async def verify(self, db_session: DbSession, reference: FromPath[str]) -> VerificationOut:
        found = await visa.verify(db_session, reference)
        return VerificationOut(
            reference=found.reference,
            status=cast(VerifyStatus, found.status),
            edition=found.edition_en or None,
            issued_on=found.issued_on,
        )
