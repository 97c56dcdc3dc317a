"""The organizers' "Register a person" page: registration for someone with an account, whatever the dates."""

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from ascc.editions import services as editions
from ascc.errors import DomainError
from ascc.registration import forms, on_behalf
from ascc.registration import services as registration
from ascc.security import requires_organizer
from ascc.taxonomy import SECTORS
from ascc.web import DbSession, form_again, form_text, page

CurrentEdition = NamedDependency[editions.Edition]
PrivacyVersion = NamedDependency[str | None]


class RegisterPersonPages(Controller):
    path = "/organizer/register-person"
    guards = [requires_organizer]
    include_in_schema = False

    async def _render(
        self,
        request: Request,
        db_session: DbSession,
        edition: editions.Edition,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "organizer/register_person.html",
            status_code=status_code,
            edition=edition,
            values=values,
            errors=errors or {},
            invite=None,
            questions=await registration.list_questions(db_session, edition.id),
            categories=registration.CATEGORIES,
            sectors=SECTORS,
            interpretations=registration.INTERPRETATION,
            settings=await registration.get_settings(db_session, edition.id),
        )

    @get("/", name="registrations.register_person")
    async def form(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        values = {"mode": "in_person", "category": "city_official", "interpretation": "none", "country": ""}
        return await self._render(request, db_session, current_edition, values)

    @post("/", name="registrations.register_person_submit")
    async def submit(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        privacy_version: PrivacyVersion,
    ) -> Template | Redirect:
        form = await request.form()
        questions = await registration.list_questions(db_session, current_edition.id)
        data, values = forms.read(form, questions)
        values["email"] = form_text(form, "email")
        try:
            created = await on_behalf.register_for(
                db_session,
                current_edition.id,
                values["email"],
                data,
                request.app.state.settings.base_url,
                actor=request.user,
                privacy_version=privacy_version,
            )
        except DomainError as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: self._render(
                    request, db_session, current_edition, values, refused.errors, refused.status_code
                ),
                reload=[current_edition],
            )
        # The list, narrowed to the person: their row shows the status the registration got.
        the_list = request.app.route_reverse("registrations.list")
        return Redirect(f"{the_list}?q={quote(created.user.email)}", status_code=303)
