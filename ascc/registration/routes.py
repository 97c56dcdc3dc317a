"""Registration pages for participants (register, my registration, invitations, directory). The delegation
pages are in delegation_routes."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.registration import consents, delegations, forms, joining, registering, windows
from ascc.registration import services as registration
from ascc.registration.letter import render_letter
from ascc.registration.letter_source import letter_data
from ascc.security import requires_login
from ascc.taxonomy import SECTORS
from ascc.text import email_key
from ascc.web import DbSession, Form, Refusal, form_again, form_struct, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

# Privacy notices and the year-round network are built on registration, so what the form needs of them is
# handed in by app.py as dependencies (imports go one way): the notice version a registration records now
# (`privacy_version`), and the separate opt-in to the network (`network_opt_in(session, user_id)`).
PrivacyVersion = NamedDependency[str | None]
NetworkOptIn = NamedDependency[Callable[[AsyncSession, int], Awaitable[Any]]]


async def _form_context(
    db_session: DbSession, edition: editions.Edition, request: Request | None = None
) -> dict[str, Any]:
    settings = await registration.get_settings(db_session, edition.id)
    standing = windows.standing(edition, settings, clock.now())
    organizer = bool(request and request.user and request.user.role == "organizer")
    return {
        "edition": edition,
        "questions": await registration.list_questions(db_session, edition.id),
        "categories": registration.CATEGORIES,
        "sectors": SECTORS,
        "interpretations": registration.INTERPRETATION,
        "settings": settings,
        # Where registration stands (the notice above the form); organizers register whatever the dates.
        "standing": standing,
        "as_organizer": organizer,
        "is_open": organizer or standing.form_open,
    }


def base_url(request: Request) -> str:
    return request.app.state.settings.base_url


# The registration form itself is read by hand (forms.read): its questions are the edition's own, with
# generated field names. These forms have fixed fields.
class ModeForm(Form):
    mode: str = ""


if TYPE_CHECKING:  # a class made at run time is no type to mypy: it checks the handler against Form
    ConsentsForm = Form
else:
    ConsentsForm = form_struct("ConsentsForm", *consents.CONSENTS)


class RegistrationPages(Controller):
    guards = [requires_login]
    include_in_schema = False

    @get("/register", name="registration.register")
    async def form(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        mine = await registration.my_registration(db_session, current_edition.id, request.user.id)
        if mine is not None and mine.status in registration.ACTIVE_STATUSES:
            return Redirect(request.app.route_reverse("registration.mine"), status_code=303)
        values = {
            "organization": request.user.organization_name or "",
            "mode": "in_person",
            "country": request.user.country or "",  # the profile's, to change if need be
            "interpretation": "none",
            "category": "city_official",
        }
        return page(
            request,
            "registration/register.html",
            values=values,
            errors={},
            invite=None,
            **await _form_context(db_session, current_edition, request),
        )

    @post("/register", name="registration.submit")
    async def submit(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        privacy_version: PrivacyVersion,
        network_opt_in: NetworkOptIn,
    ) -> Template | Redirect:
        return await _submit(
            request, db_session, current_edition, privacy_version, network_opt_in, invite_token=None
        )

    @get("/registration", name="registration.mine")
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        mine = await registration.my_registration(db_session, current_edition.id, request.user.id)
        if mine is None:
            return Redirect(request.app.route_reverse("registration.register"), status_code=303)
        return await _my_page(request, db_session, current_edition, mine)

    @post("/registration", name="registration.update")
    async def update(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        mine = await mine_or_404(request, db_session, current_edition)
        questions = await registration.list_questions(db_session, current_edition.id)
        data, values = forms.read(await request.form(), questions)
        try:
            await registering.update_details(db_session, mine, data)
        except ValidationFailed as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _my_page_as_stored(
                    request,
                    db_session,
                    current_edition,
                    values=values,
                    errors=refused.errors,
                    status_code=refused.status_code,
                ),
                reload=[current_edition],
            )
        return Redirect(request.app.route_reverse("registration.mine") + "?done=saved", status_code=303)

    @post("/registration/mode", name="registration.mode")
    async def switch_mode(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[ModeForm],
    ) -> Template | Redirect:
        mine = await mine_or_404(request, db_session, current_edition)
        try:
            await registering.switch_mode(db_session, mine, data.mode, base_url(request))
        except DomainError as exc:
            return await my_page_again(request, db_session, current_edition, exc)
        return Redirect(request.app.route_reverse("registration.mine") + "?done=mode", status_code=303)

    @post("/registration/consents", name="registration.consents")
    async def consents(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[ConsentsForm],
    ) -> Redirect:
        mine = await mine_or_404(request, db_session, current_edition)
        given = {name for name in consents.CONSENTS if getattr(data, name) == "on"}
        await consents.update_consents(db_session, mine, given)
        return Redirect(request.app.route_reverse("registration.mine") + "?done=saved", status_code=303)

    @post("/registration/cancel", name="registration.cancel")
    async def cancel(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Redirect:
        mine = await mine_or_404(request, db_session, current_edition)
        if mine.status in registration.ACTIVE_STATUSES:
            await registering.cancel(db_session, mine, base_url(request))
        return Redirect(request.app.route_reverse("registration.mine") + "?done=cancelled", status_code=303)

    @get("/registration/letter.pdf", name="registration.letter")
    async def letter(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[bytes]:
        mine = await mine_or_404(request, db_session, current_edition)
        if mine.status not in ("confirmed", "waiting", "pending"):
            raise NotFound("registration")
        data = letter_data(mine, current_edition, clock.now().date())
        # About 0.4 s of CPU (font subsetting): in a worker thread, so other requests keep flowing.
        return Response(
            await anyio.to_thread.run_sync(render_letter, data),
            media_type="application/pdf",
            headers={
                "content-disposition": f'inline; filename="{mine.reference}.pdf"',
                "cache-control": "no-store",
            },
        )

    @get("/directory", name="registration.directory")
    async def directory(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        q: FromQuery[str | None] = None,
        country: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        sector: FromQuery[str | None] = None,
    ) -> Template:
        mine = await registration.my_registration(db_session, current_edition.id, request.user.id)
        if request.user.role != "organizer" and (mine is None or mine.status != "confirmed"):
            return page(request, "registration/directory_closed.html", status_code=403)
        people = await consents.directory(db_session, current_edition.id, q, country, category, sector)
        return page(
            request,
            "registration/directory.html",
            people=people,
            edition=current_edition,
            filters={
                "q": q or "",
                "country": country or "",
                "category": category or "",
                "sector": sector or "",
            },
            categories=registration.CATEGORIES,
            sectors=SECTORS,
        )


class InvitationPages(Controller):
    include_in_schema = False

    @get("/invite/{token:str}", name="registration.invitation")
    async def show(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, token: FromPath[str]
    ) -> Template:
        try:
            invite = await registration.find_invite(db_session, token)
        except DomainError as exc:
            return page(
                request, "registration/invite_problem.html", status_code=exc.status_code, problem=exc.message
            )
        if request.user is None:
            return page(
                request,
                "registration/invite_welcome.html",
                invite=invite,
                token=token,
                edition=current_edition,
            )
        if email_key(request.user.email) != invite.email_key:  # say so now, not after the form is filled in
            return page(
                request, "registration/invite_problem.html", status_code=403, problem="error.invite_foreign"
            )
        mine = await registration.my_registration(db_session, current_edition.id, request.user.id)
        if mine is not None and mine.status in registration.ACTIVE_STATUSES:  # registered: join, no new form
            return page(
                request,
                "registration/invite_join.html",
                invite=invite,
                token=token,
                registration=mine,
                edition=current_edition,
            )
        values = {
            "organization": invite.delegation.organization.name_en,
            "mode": "in_person",
            "category": "city_official",
            "interpretation": "none",
            "country": invite.delegation.organization.country or "",
        }
        return page(
            request,
            "registration/register.html",
            values=values,
            errors={},
            invite=invite,
            token=token,
            **await _form_context(db_session, current_edition, request),
        )

    @post("/invite/{token:str}", guards=[requires_login], name="registration.accept_invitation")
    async def accept(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        token: FromPath[str],
        privacy_version: PrivacyVersion,
        network_opt_in: NetworkOptIn,
    ) -> Template | Redirect:
        return await _submit(
            request, db_session, current_edition, privacy_version, network_opt_in, invite_token=token
        )


async def _submit(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    privacy_version: str | None,
    network_opt_in: Callable[[AsyncSession, int], Awaitable[Any]],
    invite_token: str | None,
) -> Template | Redirect:
    context = await _form_context(db_session, edition)
    data, values = forms.read(await request.form(), context["questions"])
    try:
        await registering.register(
            db_session,
            edition.id,
            request.user.id,
            data,
            base_url(request),
            invite_token=invite_token,
            require_open=request.user.role != "organizer",  # organizers register whatever the dates
            privacy_version=privacy_version,
        )
        if values["consent_network"]:  # the separate opt-in to the year-round network, recorded with its date
            await network_opt_in(db_session, request.user.id)
    except DomainError as exc:
        if exc.code == "already_registered":
            await db_session.rollback()
            return Redirect(request.app.route_reverse("registration.mine"), status_code=303)
        return await form_again(
            request,
            db_session,
            exc,
            lambda refused: _register_again(request, db_session, edition, refused, values, invite_token),
            reload=[edition],
            field=exc.field or "_form",
        )
    return Redirect(request.app.route_reverse("registration.mine") + "?new=1", status_code=303)


async def _register_again(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    refused: Refusal,
    values: dict[str, Any],
    invite_token: str | None,
) -> Template:
    """The registration form again with what was entered, each problem beside its field."""
    context = await _form_context(db_session, edition, request)
    invite = None
    if invite_token and refused.error.code not in ("invite_used", "invite_invalid"):
        invite = await registration.find_invite(db_session, invite_token)
    return page(
        request,
        "registration/register.html",
        status_code=refused.status_code,
        values=values,
        errors=refused.errors,
        invite=invite,
        token=invite_token,
        **context,
    )


async def mine_or_404(request: Request, db_session: DbSession, edition: editions.Edition) -> Any:
    """The signed-in person's registration in the edition, with what its pages show, or NotFound."""
    mine = await registration.my_registration(db_session, edition.id, request.user.id)
    if mine is None:
        raise NotFound("registration")
    return await registration.get_registration(db_session, mine.id)


async def _my_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    mine: Any,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    notice: str | None = None,
    problem: str | None = None,
    problem_params: dict | None = None,
    status_code: int = 200,
) -> Template:
    delegation = await delegations.delegation_of_head(db_session, edition.id, request.user.id)
    join = None if delegation else await joining.offer(db_session, mine)
    return page(
        request,
        "registration/mine.html",
        status_code=status_code,
        registration=mine,
        position=await registration.waiting_position(db_session, mine),
        delegation=delegation,
        join=join,
        values=values or forms.values_of(mine),
        errors=errors or {},
        notice=notice,
        problem=problem,
        problem_params=problem_params or {},
        is_new=request.query_params.get("new") == "1",
        **await _form_context(db_session, edition),
    )


async def my_page_again(
    request: Request, db_session: DbSession, edition: editions.Edition, exc: DomainError
) -> Template:
    """My registration page after a refused step (mode, delegation), rolled back, with the reason."""
    return await form_again(
        request,
        db_session,
        exc,
        lambda refused: _my_page_as_stored(
            request,
            db_session,
            edition,
            problem=refused.error.message,
            problem_params=refused.error.params,
            status_code=refused.status_code,
        ),
        reload=[edition],
    )


async def _my_page_as_stored(
    request: Request, db_session: DbSession, edition: editions.Edition, **context: Any
) -> Template:
    """My registration as stored (read again after a refused change was rolled back), with the problem."""
    mine = await mine_or_404(request, db_session, edition)
    return await _my_page(request, db_session, edition, mine, **context)
