"""The registration import as JSON, for organizers (rows -> a preview naming each row's problems -> confirm ->
progress), and a delegation head registering a member of their delegation."""

from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.i18n import translate
from ascc.registration import importing, on_behalf
from ascc.registration.import_routes import start_import
from ascc.registration.registering import RegistrationInput
from ascc.registration.routes import PrivacyVersion, base_url
from ascc.security import requires_login, requires_organizer
from ascc.web import DbSession, request_lang

CurrentEdition = NamedDependency[editions.Edition]
ImportStatus = Literal["preview", "importing", "done", "failed"]
RowOutcome = Literal["ready", "problem", "imported", "skipped"]
NO_IMPORT = {404: "`not_found`: no import with this id in the current edition"}


class ImportRowIn(msgspec.Struct, forbid_unknown_fields=True):
    """One person, as a row of the template file (bulk_import.COLUMNS); empty choices take their default."""

    email: str = ""
    name_latin: str = ""
    name_local: str = ""
    organization: str = ""
    position: str = ""
    country: str = ""  # ISO code or the country's name in English or Japanese
    city: str = ""
    category: str = ""  # default city_official
    mode: str = ""  # in_person (default) or online
    lang: str = ""  # en (default) or ja: the language of the person's mails


class ImportIn(msgspec.Struct, forbid_unknown_fields=True):
    rows: list[ImportRowIn]


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    privacy_accepted: bool  # the organizer confirms the people on the list accepted the privacy notice


class ProblemOut(msgspec.Struct):
    field: str
    reason: str  # a message catalogue key, e.g. import.problem.duplicate_in_file
    message: str  # the reason in the request's language


class ImportRowOut(msgspec.Struct):
    line: int
    values: dict[str, str]
    problems: list[ProblemOut]
    outcome: RowOutcome


class ImportOut(msgspec.Struct):
    id: int
    status: ImportStatus
    total: int
    valid: int
    imported: int
    skipped: int
    rows: list[ImportRowOut]


def _problem(lang: str, name: str, key: str, params: dict[str, Any]) -> ProblemOut:
    return ProblemOut(field=name, reason=key, message=translate(lang, key, **params))


def import_out(request: Request, batch: Any) -> ImportOut:
    lang = request_lang(request)
    outcomes = {r["line"]: r for r in batch.results or []}
    rows = []
    for row in batch.rows:
        problems = [_problem(lang, name, key, params) for name, (key, params) in row["problems"].items()]
        outcome = outcomes.get(row["line"])
        if outcome and outcome["reason"]:
            key, params = outcome["reason"]
            problems.append(_problem(lang, params.get("field", "_row"), key, params))
        state = outcome["outcome"] if outcome else ("problem" if row["problems"] else "ready")
        rows.append(
            ImportRowOut(
                line=row["line"], values=row["values"], problems=problems, outcome=cast(RowOutcome, state)
            )
        )
    return ImportOut(
        id=batch.id,
        status=batch.status,
        total=batch.total,
        valid=batch.valid,
        imported=batch.imported,
        skipped=batch.skipped,
        rows=rows,
    )


class ImportApi(Controller):
    path = "/api/v1/registrations/imports"
    guards = [requires_organizer]
    tags = ["registration"]

    @post(
        "/",
        summary="Preview an import of people (organizers): every row's problems, nothing registered yet",
        status_code=201,
        responses=errors({422: "`invalid`: no rows, or more than the limit (`rows`)"}),
    )
    async def preview(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[ImportIn, Body()],
    ) -> ImportOut:
        batch = await importing.preview_rows(
            db_session,
            current_edition.id,
            [msgspec.structs.asdict(row) for row in data.rows],
            request.user,
            base_url(request),
            request_lang(request),
        )
        return import_out(request, batch)

    @get(
        "/{import_id:int}", summary="An import: its rows, problems and progress", responses=errors(NO_IMPORT)
    )
    async def show(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        import_id: FromPath[int],
    ) -> ImportOut:
        return import_out(request, await importing.get_batch(db_session, current_edition.id, import_id))

    @post(
        "/{import_id:int}/confirm",
        summary="Import the previewed rows without problems; registrations and mails follow in the background",
        status_code=202,
        responses=errors(
            {
                **NO_IMPORT,
                409: "`already_confirmed`: this import was confirmed before (once only); "
                "`nothing_valid`: every row has a problem",
                422: "`invalid`: `privacy_accepted` must be true",
            }
        ),
    )
    async def confirm(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        import_id: FromPath[int],
        data: Annotated[ConfirmIn, Body()],
    ) -> ImportOut:
        batch = await importing.confirm(
            db_session, current_edition.id, import_id, data.privacy_accepted, request.user
        )
        out = import_out(request, batch)
        await db_session.commit()  # the job reads the batch from its own session
        await start_import(request, import_id)
        return out


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    name_latin: str
    privacy_accepted: bool  # the member accepted the privacy notice
    name_local: str | None = None
    position: str | None = None
    mode: Literal["in_person", "online"] = "in_person"
    category: str = "city_official"
    country: str | None = None
    city: str | None = None
    lang: Literal["en", "ja"] = "en"


class MemberOut(msgspec.Struct):
    email: str
    outcome: Literal["registered", "invited"]


class DelegationMemberApi(Controller):
    path = "/api/v1/delegation/members"
    guards = [requires_login]
    tags = ["registration"]

    @post(
        "/",
        summary="Register a member of my delegation (heads); an address with an account is invited instead",
        status_code=201,
        responses=errors(
            {
                404: "`not_found`: I lead no delegation in the current edition",
                409: "`already_registered`; `quota_full`: the delegation's in-person seats are taken; "
                "`registration_closed`: outside the registration dates",
                422: "`invalid`: fields refused, each with its reason (`extra`)",
            }
        ),
    )
    async def register_member(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[MemberIn, Body()],
        privacy_version: PrivacyVersion,
    ) -> MemberOut:
        person = on_behalf.Person(data.email, data.name_latin, data.name_local, data.lang)
        outcome = await on_behalf.register_member(
            db_session,
            current_edition.id,
            request.user,
            person,
            member_input(
                data.position, data.mode, data.category, data.country, data.city, data.privacy_accepted
            ),
            base_url(request),
            privacy_version,
        )
        return MemberOut(email=person.email, outcome=outcome)  # type: ignore[arg-type]


def member_input(
    position: str | None, mode: str, category: str, country: str | None, city: str | None, privacy: bool
) -> RegistrationInput:
    """A member's registration as the head gives it (the organization is the delegation's)."""
    return RegistrationInput(
        mode=mode, category=category, position=position, country=country, city=city, privacy_accepted=privacy
    )
