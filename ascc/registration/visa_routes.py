"""Visa invitation letters for participants: ask for one with passport data, follow it, download the approved
letter (oneself, the head of one's delegation, organizers); and the public page where a consulate verifies a
letter's reference. The rules are ascc.registration.visa; the organizers' queue is visa_organizer_routes."""

from typing import Any
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.editions import services as editions
from ascc.errors import DomainError
from ascc.i18n import country_name
from ascc.registration import services as registration
from ascc.registration import visa
from ascc.registration.letter import VisaDetails, render_letter
from ascc.registration.letter_source import letter_data
from ascc.registration.models import VisaLetter
from ascc.security import requires_login
from ascc.web import DbSession, form_again, form_struct, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

VisaForm = form_struct("VisaForm", *visa.FIELDS)


def secret_of(request: Request) -> str:
    return request.app.state.settings.secret_key


def base_url(request: Request) -> str:
    return request.app.state.settings.base_url


def verify_url(base: str, reference: str) -> str:
    return f"{base}/letters/verify/{reference}"


def passport_shown(letter: VisaLetter | None, secret: str) -> dict[str, Any] | None:
    """What the holder is shown of their passport data: the number's last two characters, the rest as typed."""
    found = visa.passport_of(letter, secret) if letter is not None else None
    if found is None:
        return None
    return {
        "ending": found.number[-2:],
        "date_of_birth": found.date_of_birth,
        "nationality": found.nationality,
    }


async def _page(
    request: Request,
    db_session: AsyncSession,
    edition: editions.Edition,
    status_code: int = 200,
    **context: Any,
) -> Template:
    user_id = request.user.id
    mine = await registration.my_registration(db_session, edition.id, user_id)
    letter = await visa.mine(db_session, edition.id, user_id)
    return page(
        request,
        "registration/visa.html",
        status_code=status_code,
        edition=edition,
        registration=mine,
        letter=letter,
        passport=passport_shown(letter, secret_of(request)),
        can_request=(
            mine is not None
            and mine.status == "confirmed"
            and mine.mode == "in_person"
            and (letter is None or letter.status not in visa.OPEN)
        ),
        members=await visa.delegation_letters(db_session, edition.id, user_id),
        done=request.query_params.get("done", ""),
        errors=context.pop("errors", {}),
        values=context.pop("values", {}),
        **context,
    )


async def letter_pdf(db_session: AsyncSession, letter: VisaLetter, base: str, secret: str) -> bytes:
    """The approved letter as PDF bytes: the registration letter with the passport data and the reference."""
    passport = visa.passport_of(letter, secret)
    if passport is None:
        raise DomainError("visa.error_data_deleted", "visa_data_deleted", status=409)
    edition = await editions.get_by_id(db_session, letter.edition_id)
    mine = await registration.get_registration(db_session, letter.registration_id)
    issued = (letter.approved_at or clock.now()).astimezone(ZoneInfo(edition.timezone)).date()
    data = letter_data(
        mine,
        edition,
        issued,
        visa=VisaDetails(
            letter_reference=letter.reference,
            passport_number=passport.number,
            date_of_birth=passport.date_of_birth,
            nationality_en=country_name(passport.nationality, "en"),
            nationality_ja=country_name(passport.nationality, "ja"),
            verify_url=verify_url(base, letter.reference),
        ),
    )
    # About 0.4 s of CPU (font subsetting): in a worker thread, so other requests keep flowing.
    return await anyio.to_thread.run_sync(render_letter, data)


def pdf_response(pdf: bytes, reference: str) -> Response[bytes]:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="visa-letter-{reference}.pdf"',
            "cache-control": "no-store",
        },
    )


class VisaPages(Controller):
    guards = [requires_login]

    @get("/registration/visa", name="visa.mine")
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await _page(request, db_session, current_edition)

    @post("/registration/visa", name="visa.request")
    async def ask(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[VisaForm],  # type: ignore[valid-type]
    ) -> Template | Redirect:
        values = {name: getattr(data, name) for name in visa.FIELDS}
        try:
            passport = visa.parse(**values)
            await visa.request_letter(
                db_session,
                current_edition.id,
                request.user.id,
                passport,
                secret_of(request),
                base_url(request),
            )
        except DomainError as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _page(
                    request,
                    db_session,
                    current_edition,
                    refused.status_code,
                    errors=refused.errors,
                    values=values,
                    problem=refused.message if not refused.error.field else "",
                ),
                reload=[current_edition],
            )
        return Redirect(request.app.route_reverse("visa.mine") + "?done=requested", status_code=303)

    @get("/registration/visa/{reference:str}/letter.pdf", name="visa.letter")
    async def letter(
        self, request: Request, db_session: DbSession, reference: FromPath[str]
    ) -> Response[bytes]:
        """The person's own letter, a member's (for the head of their delegation), anyone's (organizers)."""
        found = await visa.letter_to_download(
            db_session, reference, request.user.id, request.user.role == "organizer"
        )
        return pdf_response(
            await letter_pdf(db_session, found, base_url(request), secret_of(request)), found.reference
        )


class VerifyPages(Controller):
    """Public: a consulate types or scans a letter's reference. Valid, revoked or unknown; no personal data."""

    @get("/letters/verify", name="visa.verify_form")
    async def form(
        self, request: Request, db_session: DbSession, reference: FromQuery[str | None] = None
    ) -> Template:
        result = await visa.verify(db_session, reference) if reference else None
        return page(request, "registration/visa_verify.html", result=result, reference=reference or "")

    @get("/letters/verify/{reference:str}", name="visa.verify")
    async def verify(self, request: Request, db_session: DbSession, reference: FromPath[str]) -> Template:
        result = await visa.verify(db_session, reference)
        return page(request, "registration/visa_verify.html", result=result, reference=result.reference)
