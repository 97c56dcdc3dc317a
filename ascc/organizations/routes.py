"""Organizations: the organizers' list and form, and the public API list."""

from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from ascc.api_contract import errors
from ascc.audit import services as audit
from ascc.errors import ValidationFailed
from ascc.organizations import services as organizations
from ascc.security import requires_login, requires_organizer
from ascc.web import DbSession, form_errors, form_text, form_values, page

FIELDS = ("name_en", "name_ja", "kind", "country", "region", "website")


class OrganizationAdminPages(Controller):
    path = "/organizer/organizations"
    guards = [requires_organizer]
    include_in_schema = False

    async def _render(
        self,
        request: Request,
        db_session: DbSession,
        q: str | None,
        kind: str | None,
        values: dict | None = None,
        errors: dict | None = None,
        status_code: int = 200,
        unchecked: bool = False,
        **context: Any,
    ) -> Template:
        items = await organizations.list_all(db_session, q, kind, unchecked=unchecked)
        return page(
            request,
            "organizer/organizations.html",
            status_code=status_code,
            organizations=items,
            people=await organizations.people_counts(db_session, [o.id for o in items]),
            q=q or "",
            kind=kind or "",
            unchecked=unchecked,
            **context,
            kinds=organizations.ORGANIZATION_KINDS,
            values=values or {"kind": "city"},
            errors=errors or {},
        )

    @get("/")
    async def list_page(
        self,
        request: Request,
        db_session: DbSession,
        q: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        unchecked: FromQuery[bool] = False,
    ) -> Template:
        return await self._render(request, db_session, q, kind, unchecked=unchecked)

    @post("/kinds")
    async def set_kinds(self, request: Request, db_session: DbSession) -> Template | Redirect:
        """Classify many organizations at once (the kinds people stated at sign-up, checked)."""
        form = await request.form()
        ids = [int(v) for v in form.getall("ids", []) if isinstance(v, str) and v.isdigit() and len(v) < 12]
        kind = form_text(form, "set_kind")
        try:
            changed = await organizations.set_kind(db_session, ids, kind)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(
                request, db_session, None, None, status_code=422, kind_errors=form_errors(request, exc)
            )
        for organization in changed:
            await audit.record(
                db_session,
                request.user,
                "organization.kind",
                "organization",
                organization.id,
                organization.name_en,
                after={"kind": kind},
            )
        await db_session.commit()
        return await self._render(request, db_session, None, None, kinds_set=len(changed))

    @post("/")
    async def create(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await request.form()
        values = form_values(form, *FIELDS)
        try:
            created = await organizations.create(db_session, organizations.OrganizationInput(**values))
            await _record(db_session, request.user, created)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(request, db_session, None, None, values, form_errors(request, exc), 422)
        return Redirect("/organizer/organizations", status_code=303)


# organizations.models.ORGANIZATION_KINDS (tests/test_api_contract.py compares)
OrganizationKind = Literal[
    "city", "government", "company", "international", "academia", "ngo", "press", "other"
]


class OrganizationOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str | None
    kind: OrganizationKind
    country: str | None
    region: str | None


class OrganizationIn(msgspec.Struct):
    name_en: str
    kind: OrganizationKind
    name_ja: str | None = None
    country: str | None = None
    region: str | None = None
    website: str | None = None


def _out(o: organizations.Organization) -> OrganizationOut:
    return OrganizationOut(
        id=o.id,
        name_en=o.name_en,
        name_ja=o.name_ja,
        kind=cast(OrganizationKind, o.kind),
        country=o.country,
        region=o.region,
    )


class OrganizationApi(Controller):
    path = "/api/v1/organizations"
    tags = ["organizations"]

    @get(
        "/",
        guards=[requires_login],
        summary="Curated organizations: cities, companies, international bodies ...",
    )
    async def list_organizations(
        self,
        db_session: DbSession,
        q: FromQuery[str | None] = None,
        kind: FromQuery[OrganizationKind | None] = None,
    ) -> list[OrganizationOut]:
        """Names typed at sign-up stay out until an organizer has checked their kind (ask kind=other for the
        unclassified ones)."""
        items = await organizations.list_all(db_session, q, kind)
        return [_out(o) for o in items if o.kind_checked or kind == "other"]

    @post(
        "/",
        guards=[requires_organizer],
        summary="Add an organization (organizers)",
        responses=errors({422: "`invalid`: fields refused (a name taken: `name_en`), each with its reason"}),
    )
    async def create(
        self, request: Request, db_session: DbSession, data: Annotated[OrganizationIn, Body()]
    ) -> OrganizationOut:
        created = await organizations.create(
            db_session, organizations.OrganizationInput(**msgspec.structs.asdict(data))
        )
        await _record(db_session, request.user, created)
        return _out(created)


async def _record(
    db_session: DbSession, actor: audit.Actor | None, created: organizations.Organization
) -> None:
    await audit.record(
        db_session,
        actor,
        "organization.create",
        "organization",
        created.id,
        created.name_en,
        after=audit.snapshot(created, ("name_en", "name_ja", "kind", "country", "region", "website")),
    )
