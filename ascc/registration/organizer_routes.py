"""The organizers' registration pages: the list with decisions and export, and the settings."""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.registration import organizer
from ascc.registration import services as registration
from ascc.registration.api import RegistrationOut, registration_out
from ascc.registration.models import CATEGORIES, MODES, QUESTION_KINDS, STATUSES
from ascc.security import requires_organizer
from ascc.text import as_number
from ascc.web import DbSession, form_errors, form_text, page

PER_PAGE = 50


def _base_url(request: Request) -> str:
    return request.app.state.settings.base_url


async def provide_filters(
    status: FromQuery[str | None] = None,
    mode: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    country: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
) -> organizer.Filters:
    """The list's filters from the query string, shared by the page, the CSV and the API."""
    return organizer.Filters(status=status, mode=mode, category=category, country=country, q=q)


FILTERS = {"filters": Provide(provide_filters)}


class RegistrationAdminPages(Controller):
    path = "/organizer/registrations"
    guards = [requires_organizer]
    dependencies = FILTERS
    include_in_schema = False

    @get("/")
    async def list_page(
        self,
        request: Request,
        db_session: DbSession,
        filters: NamedDependency[organizer.Filters],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Template:
        edition = await editions.require_current(db_session)
        rows, total = await organizer.list_registrations(
            db_session, edition.id, filters, PER_PAGE, (page_number - 1) * PER_PAGE
        )
        return page(
            request,
            "organizer/registrations.html",
            edition=edition,
            rows=rows,
            total=total,
            filters=filters,
            page_number=page_number,
            pages=max(1, -(-total // PER_PAGE)),
            statuses=STATUSES,
            modes=MODES,
            categories=CATEGORIES,
            seats=await organizer.seat_counts(db_session, edition.id),
            done=request.query_params.get("done"),
        )

    @get("/export.csv")
    async def export(
        self,
        db_session: DbSession,
        filters: NamedDependency[organizer.Filters],
    ) -> Response[bytes]:
        edition = await editions.require_current(db_session)
        body = await organizer.export_csv(db_session, edition.id, filters)
        return Response(
            body,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="registrations-{edition.slug}.csv"'},
        )

    @post("/decide")
    async def decide(self, request: Request, db_session: DbSession) -> Redirect:
        """Approve or reject the ticked registrations (one, from a row button, or many)."""
        edition = await editions.require_current(db_session)
        form = await request.form()
        single = form_text(form, "single")  # a row's own button: "approve:12"
        if single:
            action, _, raw_id = single.partition(":")
            ids = [number] if (number := as_number(raw_id)) is not None else []
        else:
            numbers = (as_number(v) for v in form.getall("ids", []) if isinstance(v, str))
            ids = [number for number in numbers if number is not None]
            action = form_text(form, "action")
        count = await organizer.decide_many(
            db_session, edition.id, ids, action, _base_url(request), actor=request.user
        )
        back = form_text(form, "back")
        back = back if back.startswith("/organizer/registrations") else "/organizer/registrations"
        separator = "&" if "?" in back else "?"
        return Redirect(f"{back}{separator}done={count}", status_code=303)


class RegistrationSettingsPages(Controller):
    path = "/organizer/registration-settings"
    guards = [requires_organizer]
    include_in_schema = False

    async def _render(
        self,
        request: Request,
        db_session: DbSession,
        status_code: int = 200,
        errors: dict | None = None,
        notice: str | None = None,
        new_code: Any = None,
    ) -> Template:
        edition = await editions.require_current(db_session)
        return page(
            request,
            "organizer/registration_settings.html",
            status_code=status_code,
            edition=edition,
            settings=await registration.get_settings(db_session, edition.id),
            questions=await registration.list_questions(db_session, edition.id),
            codes=await organizer.list_codes(db_session, edition.id),
            quotas=await organizer.list_quotas(db_session, edition.id),
            seats=await organizer.seat_counts(db_session, edition.id),
            categories=CATEGORIES,
            kinds=QUESTION_KINDS,
            errors=errors or {},
            notice=notice,
            new_code=new_code,
        )

    @get("/")
    async def show(self, request: Request, db_session: DbSession) -> Template:
        return await self._render(request, db_session)

    @post("/")
    async def save(self, request: Request, db_session: DbSession) -> Template:
        edition = await editions.require_current(db_session)
        form = await request.form()
        errors: dict = {}
        data = organizer.SettingsInput(
            in_person_capacity=organizer.parse_capacity(
                "in_person_capacity", form_text(form, "in_person_capacity"), errors
            ),
            online_capacity=organizer.parse_capacity(
                "online_capacity", form_text(form, "online_capacity"), errors
            ),
            approval_categories=[v for v in form.getall("approval_categories", []) if isinstance(v, str)],
            invitation_categories=[v for v in form.getall("invitation_categories", []) if isinstance(v, str)],
            privacy_version=form_text(form, "privacy_version"),
        )
        try:
            if errors:
                raise ValidationFailed(errors)
            await organizer.update_settings(db_session, edition.id, data, _base_url(request), request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(request, db_session, 422, form_errors(request, exc))
        return await self._render(request, db_session, notice="form.saved")

    @post("/questions")
    async def add_question(self, request: Request, db_session: DbSession) -> Template:
        edition = await editions.require_current(db_session)
        form = await request.form()
        try:
            await organizer.add_question(
                db_session,
                edition.id,
                form_text(form, "kind"),
                form_text(form, "label_en"),
                form_text(form, "label_ja"),
                form_text(form, "choices"),
                form_text(form, "required") == "on",
                actor=request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(request, db_session, 422, form_errors(request, exc))
        return await self._render(request, db_session, notice="form.saved")

    @post("/questions/{question_id:int}/delete")
    async def delete_question(
        self, request: Request, db_session: DbSession, question_id: FromPath[int]
    ) -> Template:
        edition = await editions.require_current(db_session)
        await organizer.delete_question(db_session, edition.id, question_id, request.user)
        return await self._render(request, db_session, notice="form.saved")

    @post("/codes")
    async def create_code(self, request: Request, db_session: DbSession) -> Template:
        edition = await editions.require_current(db_session)
        form = await request.form()
        expires_raw = form_text(form, "expires_on").strip()
        try:
            # Valid through the whole of that day where the conference is (Asia/Tokyo), not until 00:00 UTC.
            day = date.fromisoformat(expires_raw) if expires_raw else None
            expires = (
                datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(edition.timezone))
                if day
                else None
            )
        except (ValueError, OverflowError):
            return await self._render(
                request,
                db_session,
                422,
                {
                    "expires_on": form_errors(request, ValidationFailed({"x": ("error.date_invalid", {})}))[
                        "x"
                    ]
                },
            )
        try:
            code = await organizer.create_code(
                db_session,
                edition.id,
                [v for v in form.getall("categories", []) if isinstance(v, str)],
                form_text(form, "organization"),
                form_text(form, "single_use") == "on",
                expires,
                form_text(form, "note"),
                actor=request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(request, db_session, 422, form_errors(request, exc))
        return await self._render(request, db_session, notice="registration.code_created", new_code=code)

    @post("/quotas")
    async def set_quota(self, request: Request, db_session: DbSession) -> Template:
        edition = await editions.require_current(db_session)
        form = await request.form()
        try:
            await organizer.set_quota(
                db_session,
                edition.id,
                form_text(form, "organization"),
                form_text(form, "seats"),
                actor=request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(request, db_session, 422, form_errors(request, exc))
        return await self._render(request, db_session, notice="form.saved")


class RegistrationPage(msgspec.Struct):
    items: list[RegistrationOut]
    total: int
    limit: int
    offset: int


class RegistrationAdminApi(Controller):
    path = "/api/v1/registrations"
    guards = [requires_organizer]
    dependencies = FILTERS
    tags = ["registration"]

    @get("/", summary="Registrations of the current edition (organizers): filters and pagination")
    async def list_registrations(
        self,
        db_session: DbSession,
        filters: NamedDependency[organizer.Filters],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> RegistrationPage:
        edition = await editions.require_current(db_session)
        rows, total = await organizer.list_registrations(db_session, edition.id, filters, limit, offset)
        positions = await registration.waiting_positions(db_session, edition.id)
        return RegistrationPage(
            items=[await registration_out(db_session, edition, r, positions) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )
