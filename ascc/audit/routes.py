"""The audit log for organizers: the page (filters applied in place with htmx, shareable URLs, pages), its CSV
and `GET /api/v1/audit`. Exhibitors and everyone else are refused; only organizers read the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Template

from ascc.api_contract import errors
from ascc.audit import actions as known
from ascc.audit import filters as audit_filters
from ascc.audit import services as audit
from ascc.csv_export import to_csv
from ascc.errors import ValidationFailed
from ascc.security import requires_organizer
from ascc.text import clean_line
from ascc.web import DbSession, form_errors, page, request_lang

if TYPE_CHECKING:
    from ascc.editions.models import Edition

PER_PAGE = 50
API_PER_PAGE_MAX = 500


# Editions are built on the audit log (they record into it), so the current edition is handed in by app.py
# (editions.routes.provide_current_edition_if_any): the edition or None.
CurrentEditionIfAny = NamedDependency[Any]


def _zone(edition: Edition) -> ZoneInfo:
    """Times are read and shown where the conference is (the current edition's zone)."""
    return ZoneInfo(edition.timezone if edition else "Asia/Tokyo")


async def _filters(request: Request, db_session: DbSession) -> audit_filters.Filters:
    words = await audit.vocabulary(db_session)
    return audit_filters.parse(request.query_params, words.domains, words.actions, words.target_types)


class AuditPages(Controller):
    path = "/organizer/audit"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/", cache=False, name="audit.log")
    async def log(
        self, request: Request, db_session: DbSession, current_edition_if_any: CurrentEditionIfAny
    ) -> Template:
        tz = _zone(current_edition_if_any)
        words = await audit.vocabulary(db_session)
        lang = request_lang(request)
        errors: dict[str, str] = {}
        rows: list[Any] = []
        total, page_number = 0, 1
        try:
            filters = audit_filters.parse(
                request.query_params, words.domains, words.actions, words.target_types
            )
            page_number = audit_filters.page_number(request.query_params.get("page"))
            rows, total = await audit.search(db_session, filters, tz, PER_PAGE, (page_number - 1) * PER_PAGE)
        except ValidationFailed as exc:
            errors = form_errors(request, exc)
            filters = audit_filters.Filters()
        raw = {name: clean_line(request.query_params.get(name, "")) for name in audit_filters.PARAMS}
        return page(
            request,
            "organizer/audit.html",
            status_code=422 if errors else 200,
            rows=[
                (row, audit_filters.changes(lang, row.before, row.after, tz, row.target_type)) for row in rows
            ],
            total=total,
            filters=filters,
            raw=raw,
            errors=errors,
            page_number=page_number,
            pages=max(1, -(-total // PER_PAGE)),
            tz=tz,
            people=await audit.actors(db_session),
            domains=sorted(words.domains),
            actions=sorted(words.actions),
            target_types=sorted(words.target_types),
            action_label=audit_filters.action_label,
            target_label=audit_filters.target_label,
            domain_label=audit_filters.domain_label,
            role_label=audit_filters.role_label,
            lang=lang,
        )

    @get("/export.csv", cache=False)
    async def export(
        self, request: Request, db_session: DbSession, current_edition_if_any: CurrentEditionIfAny
    ) -> Response[bytes]:
        tz = _zone(current_edition_if_any)
        filters = await _filters(request, db_session)
        lang = request_lang(request)
        rows = await audit.all_matching(db_session, filters, tz)
        body = to_csv(audit_filters.CSV_HEADER, (audit_filters.csv_row(lang, row, tz) for row in rows))
        return Response(
            body,
            media_type="text/csv",
            headers={
                "content-disposition": 'attachment; filename="audit-log.csv"',
                "cache-control": "no-store",
            },
        )


# --- JSON API ---------------------------------------------------------------------------------------------


class ActorOut(msgspec.Struct):
    id: int | None
    name: str
    role: str


class TargetOut(msgspec.Struct):
    type: str
    id: int | None
    label: str


class AuditEntryOut(msgspec.Struct):
    id: int
    at: str
    edition_id: int | None
    actor: ActorOut
    action: str
    domain: str
    target: TargetOut
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(msgspec.Struct):
    items: list[AuditEntryOut]
    total: int
    page: int
    per_page: int
    pages: int


# The query parameters the audit page reads (audit.filters), as the API's document states them.
API_PARAMETERS = {
    name: Parameter(str | None, description=description, required=False)
    for name, description in {
        "actor": "an account's id, or a name or e-mail address",
        "domain": "registration, programme, tours ... (audit.actions)",
        "action": "an action's name, e.g. registration.decide",
        "target_type": "what was changed, e.g. registration",
        "target_id": "its id",
        "from": "YYYY-MM-DD, in the conference's zone",
        "to": "YYYY-MM-DD, in the conference's zone",
        "q": "free text",
        "page": "from 1",
        "per_page": f"1 to {API_PER_PAGE_MAX}",
    }.items()
}


class AuditApi(Controller):
    path = "/api/v1/audit"
    guards = [requires_organizer]
    tags = ["audit"]
    parameters = API_PARAMETERS  # documented (and read as text) here; parsed by audit.filters

    @get(
        "/",
        summary="The audit log (organizers): newest first; filters actor, domain, action, target_type, "
        "target_id, from, to (YYYY-MM-DD in the conference's zone), q; paging with page and per_page",
        cache=False,
        responses=errors({422: "`invalid`: an unknown query parameter (`field`)"}),
    )
    async def entries(
        self, request: Request, db_session: DbSession, current_edition_if_any: CurrentEditionIfAny
    ) -> AuditPage:
        tz = _zone(current_edition_if_any)
        filters = await _filters(request, db_session)
        page_number = audit_filters.page_number(request.query_params.get("page"))
        per_page = (
            audit_filters.page_number(request.query_params.get("per_page"), "per_page", API_PER_PAGE_MAX)
            if request.query_params.get("per_page")
            else PER_PAGE
        )
        unknown = sorted(set(request.query_params) - {*audit_filters.PARAMS, "page", "per_page"})
        if unknown:
            raise ValidationFailed({unknown[0]: ("audit.error.unknown_parameter", {})})
        rows, total = await audit.search(db_session, filters, tz, per_page, (page_number - 1) * per_page)
        return AuditPage(
            items=[
                AuditEntryOut(
                    id=row.id,
                    at=row.created_at.isoformat(),
                    edition_id=row.edition_id,
                    actor=ActorOut(row.actor_id, row.actor_name, row.actor_role),
                    action=row.action,
                    domain=known.domain_of(row.action),
                    target=TargetOut(row.target_type, row.target_id, row.target_label),
                    before=row.before,
                    after=row.after,
                )
                for row in rows
            ],
            total=total,
            page=page_number,
            per_page=per_page,
            pages=max(1, -(-total // per_page)),
        )
