"""Edition pages (public), the organizers' edition management, and the editions API."""

from datetime import date
from typing import Any, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import clock
from ascc.api_contract import errors
from ascc.audit import services as audit
from ascc.editions import phases
from ascc.editions import services as editions
from ascc.errors import NotFound, ValidationFailed
from ascc.security import requires_organizer
from ascc.web import DbSession, form_errors, form_values, page, session_turn

EDITION_FIELDS = ("slug", *editions.EDITABLE_FIELDS)


async def provide_current_edition(db_session: DbSession) -> editions.Edition:
    """The `current_edition` dependency: the current edition, or NotFound (404, a page or JSON) when there is
    none, as a page about "this year's" anything answers. Handlers declare it instead of looking it up."""
    async with session_turn(db_session):
        return await editions.require_current(db_session)


async def provide_current_edition_if_any(db_session: DbSession) -> editions.Edition | None:
    """The current edition or None, for pages of the domains editions is built on, such as the audit log;
    wired in app.py, so those domains never import editions."""
    async with session_turn(db_session):
        return await editions.current(db_session)


def _is_organizer(request: Request) -> bool:
    return bool(request.user and request.user.role == "organizer")


class EditionPages(Controller):
    path = "/editions"
    include_in_schema = False

    @get("/")
    async def list_page(self, request: Request, db_session: DbSession) -> Template:
        items = await editions.list_editions(db_session, include_drafts=_is_organizer(request))
        now = clock.now()
        headlines = {e.slug: phases.headline(phases.timeline_of(e), now) for e in items}
        return page(request, "editions/list.html", editions=items, headlines=headlines)

    @get("/{slug:str}")
    async def detail(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Template:
        edition = await editions.get_by_slug(db_session, slug, with_rooms=True)
        if edition.status == "draft" and not _is_organizer(request):
            raise NotFound("edition")
        headline = phases.headline(phases.timeline_of(edition), clock.now())
        return page(request, "editions/detail.html", edition=edition, headline=headline)


class EditionAdminPages(Controller):
    path = "/organizer/editions"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def list_page(self, request: Request, db_session: DbSession) -> Template:
        items = await editions.list_editions(db_session, include_drafts=True)
        return page(request, "organizer/editions.html", editions=items)

    @get("/new")
    async def new_form(self, request: Request) -> Template:
        values = {"timezone": "Asia/Tokyo", "status": "draft"}
        return page(
            request,
            "organizer/edition_form.html",
            values=values,
            errors={},
            edition=None,
            statuses=editions.EDITION_STATUSES,
        )

    @post("/new")
    async def create(self, request: Request, db_session: DbSession) -> Template | Redirect:
        values = await _values(request)
        try:
            edition = await editions.create(db_session, editions.EditionInput(**values))
            await audit.record(
                db_session,
                request.user,
                "edition.create",
                "edition",
                edition.id,
                edition.name_en,
                after=audit.snapshot(edition, ("slug", *editions.EDITABLE_FIELDS)),
                edition_id=edition.id,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return page(
                request,
                "organizer/edition_form.html",
                status_code=422,
                values=values,
                edition=None,
                errors=form_errors(request, exc),
                statuses=editions.EDITION_STATUSES,
            )
        return Redirect(f"/organizer/editions/{edition.slug}", status_code=303)

    @get("/{slug:str}")
    async def edit_form(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Template:
        edition = await editions.get_by_slug(db_session, slug)
        values = {name: getattr(edition, name) or "" for name in EDITION_FIELDS}
        values["starts_on"], values["ends_on"] = edition.starts_on.isoformat(), edition.ends_on.isoformat()
        return page(
            request,
            "organizer/edition_form.html",
            values=values,
            errors={},
            edition=edition,
            statuses=editions.EDITION_STATUSES,
            saved=request.query_params.get("saved") == "1",
        )

    @post("/{slug:str}")
    async def update(
        self, request: Request, db_session: DbSession, slug: FromPath[str]
    ) -> Template | Redirect:
        values = await _values(request)
        try:
            before = audit.snapshot(await editions.get_by_slug(db_session, slug), editions.EDITABLE_FIELDS)
            edition = await editions.update_edition(db_session, slug, editions.EditionInput(**values))
            await audit.record(
                db_session,
                request.user,
                "edition.update",
                "edition",
                edition.id,
                edition.name_en,
                before=before,
                after=audit.snapshot(edition, editions.EDITABLE_FIELDS),
                edition_id=edition.id,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            edition = await editions.get_by_slug(db_session, slug)
            return page(
                request,
                "organizer/edition_form.html",
                status_code=422,
                values=values,
                edition=edition,
                errors=form_errors(request, exc),
                statuses=editions.EDITION_STATUSES,
            )
        return Redirect(f"/organizer/editions/{slug}?saved=1", status_code=303)

    @post("/{slug:str}/current")
    async def make_current(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Redirect:
        previous = await editions.current(db_session)
        edition = await editions.set_current(db_session, slug)
        await audit.record(
            db_session,
            request.user,
            "edition.set_current",
            "edition",
            edition.id,
            edition.name_en,
            before={"current": previous.name_en if previous else None},
            after={"current": edition.name_en},
            edition_id=edition.id,
        )
        return Redirect("/organizer/editions", status_code=303)


async def _values(request: Request) -> dict[str, Any]:
    form = await request.form()
    return form_values(form, *EDITION_FIELDS)


class RoomOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str
    floor: str | None
    capacity: int | None
    hybrid: bool


EditionStatus = Literal["draft", "registration_open", "live", "closed"]  # editions.models.EDITION_STATUSES


class EditionOut(msgspec.Struct):
    slug: str
    name_en: str
    name_ja: str
    starts_on: date
    ends_on: date
    timezone: str
    venue_name_en: str
    venue_name_ja: str
    venue_address_en: str
    venue_address_ja: str
    status: EditionStatus
    is_current: bool
    rooms: list[RoomOut] | None = None
    registration_opens_on: date | None = None
    registration_closes_on: date | None = None
    meeting_requests_close_on: date | None = None
    # Now: "registration_opens", "registration_open", "registration_open_until", "registration_closed",
    # "registration_closed_on", "live", "ended" or "draft"; and each window's state (not_yet, open, closed, ended).
    phase: str = ""
    registration: str = ""
    meeting_requests: str = ""


def _edition_out(edition: editions.Edition, rooms: bool = False) -> EditionOut:
    timeline, now = phases.timeline_of(edition), clock.now()
    return EditionOut(
        registration_opens_on=edition.registration_opens_on,
        registration_closes_on=edition.registration_closes_on,
        meeting_requests_close_on=edition.meeting_requests_close_on or edition.ends_on,
        phase=phases.headline(timeline, now).key.removeprefix("phase."),
        registration=phases.registration(timeline, now).state,
        meeting_requests=phases.meeting_requests(timeline, now).state,
        slug=edition.slug,
        name_en=edition.name_en,
        name_ja=edition.name_ja,
        starts_on=edition.starts_on,
        ends_on=edition.ends_on,
        timezone=edition.timezone,
        venue_name_en=edition.venue_name_en,
        venue_name_ja=edition.venue_name_ja,
        venue_address_en=edition.venue_address_en,
        venue_address_ja=edition.venue_address_ja,
        status=cast(EditionStatus, edition.status),
        is_current=edition.is_current,
        rooms=[
            RoomOut(
                id=r.id,
                name_en=r.name_en,
                name_ja=r.name_ja,
                floor=r.floor,
                capacity=r.capacity,
                hybrid=r.hybrid,
            )
            for r in edition.rooms
        ]
        if rooms
        else None,
    )


class EditionApi(Controller):
    path = "/api/v1/editions"
    tags = ["editions"]

    # Organizers also see drafts: a token is optional here, and changes the answer.
    @get("/", summary="Published editions, newest first", opt={"auth": "optional"})
    async def list_editions(self, request: Request, db_session: DbSession) -> list[EditionOut]:
        items = await editions.list_editions(db_session, include_drafts=_is_organizer(request))
        return [_edition_out(e) for e in items]

    @get(
        "/current",
        summary="The current edition with its rooms",
        responses=errors({404: "`not_found`: there is no current edition"}),
    )
    async def current(self, db_session: DbSession) -> EditionOut:
        edition = await editions.current(db_session)
        if edition is None:
            raise NotFound("edition")
        return _edition_out(await editions.get_by_slug(db_session, edition.slug, with_rooms=True), rooms=True)

    @get("/{slug:str}", summary="One edition with its rooms", opt={"auth": "optional"})
    async def detail(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> EditionOut:
        edition = await editions.get_by_slug(db_session, slug, with_rooms=True)
        if edition.status == "draft" and not _is_organizer(request):
            raise NotFound("edition")
        return _edition_out(edition, rooms=True)
