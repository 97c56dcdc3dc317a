"""The organizers' registration pages: the list with decisions and export, and the settings."""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.registration import decisions, organizer, windows
from ascc.registration import services as registration
from ascc.registration.api import RegistrationOut, registration_out
from ascc.registration.models import CATEGORIES, MODES, QUESTION_KINDS, STATUSES
from ascc.security import requires_organizer
from ascc.text import as_number
from ascc.web import DbSession, Form, Many, form_again, form_errors, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

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


class DecisionForm(Form):
    single: str = ""  # a row's own button: "approve:12"
    ids: Many = []  # the ticked rows, for the action below the list
    action: str = ""
    back: str = ""  # the list as it was filtered
    reason: str = ""  # for the person, in the mail (the confirmation step asks for it)


def _chosen(data: DecisionForm) -> tuple[str, list[int]]:
    """The decision and the registrations it is for: a row's own button, or the ticked rows."""
    if data.single:
        action, _, raw_id = data.single.partition(":")
        return action, [number] if (number := as_number(raw_id)) is not None else []
    numbers = (as_number(v) for v in data.ids)
    return data.action, [number for number in numbers if number is not None]


def _back(request: Request, data: DecisionForm) -> str:
    the_list = request.app.route_reverse("registrations.list")
    return data.back if data.back.startswith(the_list) else the_list


class SettingsForm(Form):
    in_person_capacity: str = ""
    online_capacity: str = ""
    approval_categories: Many = []
    invitation_categories: Many = []
    privacy_version: str = ""


class QuestionForm(Form):
    kind: str = ""
    label_en: str = ""
    label_ja: str = ""
    choices: str = ""
    required: str = ""


class CodeForm(Form):
    expires_on: str = ""
    categories: Many = []
    organization: str = ""
    single_use: str = ""
    note: str = ""
    late: str = ""  # also admits after registration has closed


class DatesForm(Form):
    registration_opens_on: str = ""
    registration_closes_on: str = ""
    meeting_requests_close_on: str = ""


class QuotaForm(Form):
    organization: str = ""
    seats: str = ""


class RegistrationAdminPages(Controller):
    path = "/organizer/registrations"
    guards = [requires_organizer]
    dependencies = FILTERS
    include_in_schema = False

    @get("/", name="registrations.list")
    async def list_page(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        filters: NamedDependency[organizer.Filters],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Template:
        rows, total = await organizer.list_registrations(
            db_session, current_edition.id, filters, PER_PAGE, (page_number - 1) * PER_PAGE
        )
        return page(
            request,
            "organizer/registrations.html",
            edition=current_edition,
            rows=rows,
            total=total,
            filters=filters,
            page_number=page_number,
            pages=max(1, -(-total // PER_PAGE)),
            statuses=STATUSES,
            modes=MODES,
            categories=CATEGORIES,
            seats=await organizer.seat_counts(db_session, current_edition.id),
            done=request.query_params.get("done"),
            left=as_number(request.query_params.get("left")),
        )

    @get("/export.csv", name="registrations.export")
    async def export(
        self,
        db_session: DbSession,
        current_edition: CurrentEdition,
        filters: NamedDependency[organizer.Filters],
    ) -> Response[bytes]:
        body = await organizer.export_csv(db_session, current_edition.id, filters)
        return Response(
            body,
            media_type="text/csv",
            headers={
                "content-disposition": f'attachment; filename="registrations-{current_edition.slug}.csv"'
            },
        )

    async def _confirmation(
        self,
        request: Request,
        db_session: DbSession,
        edition: editions.Edition,
        data: DecisionForm,
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        action, ids = _chosen(data)
        chosen = await decisions.preview(db_session, edition.id, ids, action)
        return page(
            request,
            "organizer/registration_decision.html",
            status_code=status_code,
            edition=edition,
            preview=chosen,
            back=_back(request, data),
            values={"reason": data.reason},
            errors=errors or {},
            seats=await organizer.seat_counts(db_session, edition.id),
        )

    @post("/confirm", name="registrations.confirm")
    async def confirm(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[DecisionForm],
    ) -> Template:
        """The step before a decision: whom it reaches and how many, and a reason for their mail. Changes
        nothing; works without JavaScript."""
        return await self._confirmation(request, db_session, current_edition, data)

    @post("/decide", name="registrations.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[DecisionForm],
    ) -> Template | Redirect:
        """Approve, reject, cancel or reopen the confirmed registrations (one, or many), with the reason."""
        action, ids = _chosen(data)
        try:
            count = await decisions.decide_many(
                db_session,
                current_edition.id,
                ids,
                action,
                _base_url(request),
                actor=request.user,
                reason=data.reason,
            )
        except ValidationFailed as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: self._confirmation(
                    request, db_session, current_edition, data, refused.errors, refused.status_code
                ),
                reload=[current_edition],
            )
        back = _back(request, data)
        separator = "&" if "?" in back else "?"
        left = len(set(ids)) - count  # selected, but not in a status the decision fits (or no quota left)
        return Redirect(f"{back}{separator}done={count}" + (f"&left={left}" if left else ""), status_code=303)


class RegistrationSettingsPages(Controller):
    path = "/organizer/registration-settings"
    guards = [requires_organizer]
    include_in_schema = False

    async def _render(
        self,
        request: Request,
        db_session: DbSession,
        edition: editions.Edition,
        status_code: int = 200,
        errors: dict | None = None,
        notice: str | None = None,
        new_code: Any = None,
        dates: dict[str, str] | None = None,
    ) -> Template:
        settings = await registration.get_settings(db_session, edition.id)
        return page(
            request,
            "organizer/registration_settings.html",
            status_code=status_code,
            edition=edition,
            settings=settings,
            # The dates card: as stored, or as entered when a date was refused.
            dates=dates or windows.dates_values(edition, settings),
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

    async def _again(
        self, request: Request, db_session: DbSession, edition: editions.Edition, exc: ValidationFailed
    ) -> Template:
        """The settings again after a refused change, rolled back, with each message beside its field."""
        return await form_again(
            request,
            db_session,
            exc,
            lambda refused: self._render(request, db_session, edition, refused.status_code, refused.errors),
            reload=[edition],
        )

    @get("/", name="registration_settings.show")
    async def show(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await self._render(request, db_session, current_edition)

    @post("/", name="registration_settings.save")
    async def save(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[SettingsForm],
    ) -> Template:
        errors: dict = {}
        settings = organizer.SettingsInput(
            in_person_capacity=organizer.parse_capacity(
                "in_person_capacity", data.in_person_capacity, errors
            ),
            online_capacity=organizer.parse_capacity("online_capacity", data.online_capacity, errors),
            approval_categories=data.approval_categories,
            invitation_categories=data.invitation_categories,
            privacy_version=data.privacy_version,
        )
        try:
            if errors:
                raise ValidationFailed(errors)
            await organizer.update_settings(
                db_session, current_edition.id, settings, _base_url(request), request.user
            )
        except ValidationFailed as exc:
            return await self._again(request, db_session, current_edition, exc)
        return await self._render(request, db_session, current_edition, notice="form.saved")

    @post("/questions", name="registration_settings.add_question")
    async def add_question(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[QuestionForm],
    ) -> Template:
        try:
            await organizer.add_question(
                db_session,
                current_edition.id,
                data.kind,
                data.label_en,
                data.label_ja,
                data.choices,
                data.required == "on",
                actor=request.user,
            )
        except ValidationFailed as exc:
            return await self._again(request, db_session, current_edition, exc)
        return await self._render(request, db_session, current_edition, notice="form.saved")

    @post("/questions/{question_id:int}/delete", name="registration_settings.delete_question")
    async def delete_question(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        question_id: FromPath[int],
    ) -> Template:
        await organizer.delete_question(db_session, current_edition.id, question_id, request.user)
        return await self._render(request, db_session, current_edition, notice="form.saved")

    @post("/codes", name="registration_settings.create_code")
    async def create_code(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[CodeForm],
    ) -> Template:
        expires_raw = data.expires_on.strip()
        try:
            # Valid through the whole of that day where the conference is (Asia/Tokyo), not until 00:00 UTC.
            day = date.fromisoformat(expires_raw) if expires_raw else None
            expires = (
                datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(current_edition.timezone))
                if day
                else None
            )
        except (ValueError, OverflowError):
            return await self._render(
                request,
                db_session,
                current_edition,
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
                current_edition.id,
                data.categories,
                data.organization,
                data.single_use == "on",
                expires,
                data.note,
                actor=request.user,
                late=data.late == "on",
            )
        except ValidationFailed as exc:
            return await self._again(request, db_session, current_edition, exc)
        return await self._render(
            request, db_session, current_edition, notice="registration.code_created", new_code=code
        )

    @post("/dates", name="registration_settings.dates")
    async def save_dates(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[DatesForm],
    ) -> Template:
        """Registration opens and closes (a category may close on its own day), meeting requests close."""
        form = await request.form()
        own = {category: str(form.get(f"close_{category}") or "") for category in CATEGORIES}
        try:
            await windows.save_dates(
                db_session,
                current_edition,
                windows.DatesInput(
                    data.registration_opens_on,
                    data.registration_closes_on,
                    data.meeting_requests_close_on,
                    own,
                ),
                actor=request.user,
            )
        except ValidationFailed as exc:
            entered = {**msgspec.structs.asdict(data), **{f"close_{c}": v for c, v in own.items()}}
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: self._render(
                    request,
                    db_session,
                    current_edition,
                    refused.status_code,
                    refused.errors,
                    dates=entered,
                ),
                reload=[current_edition],
            )
        return await self._render(request, db_session, current_edition, notice="form.saved")

    @post("/quotas", name="registration_settings.set_quota")
    async def set_quota(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[QuotaForm],
    ) -> Template:
        try:
            await organizer.set_quota(
                db_session,
                current_edition.id,
                data.organization,
                data.seats,
                actor=request.user,
            )
        except ValidationFailed as exc:
            return await self._again(request, db_session, current_edition, exc)
        return await self._render(request, db_session, current_edition, notice="form.saved")


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
        current_edition: CurrentEdition,
        filters: NamedDependency[organizer.Filters],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> RegistrationPage:
        rows, total = await organizer.list_registrations(
            db_session, current_edition.id, filters, limit, offset
        )
        positions = await registration.waiting_positions(db_session, current_edition.id)
        return RegistrationPage(
            items=[await registration_out(db_session, current_edition, r, positions) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )
