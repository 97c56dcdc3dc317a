"""Delegation pages: leading one (start, the roster, invitations, answering requests to join), asking to join
one that already has a head, and joining from an invitation when already registered."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.registration import delegations, joining, on_behalf
from ascc.registration.import_api import member_input
from ascc.registration.models import CATEGORIES
from ascc.registration.routes import CurrentEdition, PrivacyVersion, base_url, mine_or_404, my_page_again
from ascc.security import requires_login
from ascc.web import DbSession, Form, form_again, form_text, page

# What a redirect back to the delegation page says (?done=...).
DONE = {"accepted": "delegation.join.accepted_notice", "declined": "delegation.join.declined_notice"}
# The head's form to register a member (named member_<field> on the page, beside the invitation's email field).
MEMBER_FIELDS = (
    "email",
    "name_latin",
    "name_local",
    "position",
    "mode",
    "category",
    "country",
    "city",
    "lang",
)


class DelegationInviteForm(Form):
    email: str = ""
    lang: str = ""


class DelegationPages(Controller):
    guards = [requires_login]
    include_in_schema = False

    @post("/delegation/start", name="registration.start_delegation")
    async def start_delegation(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        mine = await mine_or_404(request, db_session, current_edition)
        try:
            await delegations.start_delegation(db_session, mine)
        except DomainError as exc:
            return await my_page_again(request, db_session, current_edition, exc)
        return Redirect(request.app.route_reverse("registration.delegation"), status_code=303)

    @get("/delegation", name="registration.delegation")
    async def delegation(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        done: FromQuery[str | None] = None,
    ) -> Template:
        return await _delegation_page(request, db_session, current_edition, notice=DONE.get(done or ""))

    @post("/delegation/invite", name="registration.invite")
    async def invite(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[DelegationInviteForm],
    ) -> Template:
        delegation = await delegations.delegation_of_head(db_session, current_edition.id, request.user.id)
        if delegation is None:
            raise NotFound("delegation")
        try:
            invite = await delegations.invite_member(
                db_session,
                delegation,
                data.email,
                base_url(request),
                data.lang or request.user.preferred_lang,
            )
        except ValidationFailed as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _delegation_page(
                    request,
                    db_session,
                    current_edition,
                    errors=refused.errors,
                    email=data.email,
                    status_code=refused.status_code,
                ),
                reload=[current_edition],
            )
        return await _delegation_page(
            request,
            db_session,
            current_edition,
            notice="delegation.invited_to",
            notice_params={"email": invite.email},  # the same answer whether the address has an account
        )

    @post("/delegation/members", name="delegation.register_member")
    async def register_member(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        privacy_version: PrivacyVersion,
    ) -> Template:
        """The head registers a member directly (on_behalf.register_member: the same rules and the same mails)."""
        form = await request.form()
        values = {name: form_text(form, f"member_{name}") for name in MEMBER_FIELDS}
        values["privacy_accepted"] = "on" if form_text(form, "member_privacy_accepted") == "on" else ""
        person = on_behalf.Person(
            values["email"], values["name_latin"], values["name_local"] or None, values["lang"]
        )
        try:
            outcome = await on_behalf.register_member(
                db_session,
                current_edition.id,
                request.user,
                person,
                member_input(
                    values["position"] or None,
                    values["mode"],
                    values["category"],
                    values["country"] or None,
                    values["city"] or None,
                    values["privacy_accepted"] == "on",
                ),
                base_url(request),
                privacy_version,
            )
        except DomainError as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _delegation_page(
                    request,
                    db_session,
                    current_edition,
                    member_errors={f"member_{k}": v for k, v in refused.errors.items()},
                    member_values={f"member_{k}": v for k, v in values.items()},
                    status_code=refused.status_code,
                ),
                reload=[current_edition],
                field="_form",
            )
        return await _delegation_page(
            request,
            db_session,
            current_edition,
            notice=f"delegation.member_{outcome}",
            notice_params={"email": person.email},
        )

    @post("/delegation/requests/{request_id:int}/accept", name="delegation.accept_request")
    async def accept_request(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        request_id: FromPath[int],
    ) -> Template | Redirect:
        return await _answer(request, db_session, current_edition, request_id, accept=True)

    @post("/delegation/requests/{request_id:int}/decline", name="delegation.decline_request")
    async def decline_request(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        request_id: FromPath[int],
    ) -> Template | Redirect:
        return await _answer(request, db_session, current_edition, request_id, accept=False)

    @post("/delegation/join", name="delegation.ask")
    async def ask(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        """Ask to join one's organization's delegation, which someone else leads."""
        mine = await mine_or_404(request, db_session, current_edition)
        try:
            await joining.ask(db_session, mine, base_url(request))
        except DomainError as exc:
            return await my_page_again(request, db_session, current_edition, exc)
        return Redirect(request.app.route_reverse("registration.mine") + "?done=join_asked", status_code=303)

    @post("/delegation/join/withdraw", name="delegation.withdraw")
    async def withdraw(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Redirect:
        mine = await mine_or_404(request, db_session, current_edition)
        withdrawn = await joining.withdraw(db_session, mine)
        done = "join_withdrawn" if withdrawn else "join_answered"  # answered meanwhile: the page shows how
        return Redirect(request.app.route_reverse("registration.mine") + f"?done={done}", status_code=303)

    @post("/invite/{token:str}/join", name="delegation.join_by_invite")
    async def join_by_invite(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, token: FromPath[str]
    ) -> Template | Redirect:
        """An invitation accepted by someone already registered: they join the delegation."""
        try:
            await joining.join_by_invite(db_session, current_edition.id, request.user.id, token)
        except DomainError as exc:
            await db_session.rollback()
            return page(
                request,
                "registration/invite_problem.html",
                status_code=exc.status_code,
                problem=exc.message,
            )
        return Redirect(request.app.route_reverse("registration.mine") + "?done=joined", status_code=303)


async def _answer(
    request: Request, db_session: DbSession, edition: editions.Edition, request_id: int, accept: bool
) -> Template | Redirect:
    try:
        await joining.answer(db_session, edition.id, request.user.id, request_id, accept, base_url(request))
    except NotFound:
        raise
    except DomainError as exc:
        return await form_again(
            request,
            db_session,
            exc,
            lambda refused: _delegation_page(
                request,
                db_session,
                edition,
                problem=refused.error.message,
                status_code=refused.status_code,
            ),
            reload=[edition],
        )
    done = "accepted" if accept else "declined"
    return Redirect(request.app.route_reverse("registration.delegation") + f"?done={done}", status_code=303)


async def _delegation_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    *,
    errors: dict | None = None,
    email: str = "",
    notice: str | None = None,
    notice_params: dict[str, Any] | None = None,
    problem: str | None = None,
    member_errors: dict[str, str] | None = None,
    member_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The head's page: the roster, the open requests to join, the invitation form, the member form."""
    delegation = await delegations.delegation_of_head(db_session, edition.id, request.user.id)
    if delegation is None:
        raise NotFound("delegation")
    return page(
        request,
        "registration/delegation.html",
        status_code=status_code,
        delegation=delegation,
        roster=await delegations.roster(db_session, delegation),
        requests=await joining.open_requests(db_session, delegation),
        errors=errors or {},
        values={"email": email},
        notice=notice,
        notice_params=notice_params or {},
        problem=problem,
        edition=edition,
        member_errors=member_errors or {},
        member_values=member_values or {"member_mode": "in_person", "member_category": "city_official"},
        categories=CATEGORIES,
    )
