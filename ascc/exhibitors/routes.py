"""Marketplace pages everyone reads (directory, exhibitors, solutions, floor plan) and city needs."""

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from ascc.editions import services as editions
from ascc.errors import NotFound, ValidationFailed
from ascc.exhibitors import directory, leads, solutions
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.models import BUDGET_BANDS, FINANCING, TIMELINES, Exhibitor
from ascc.files import services as files
from ascc.front_cache import cacheable
from ascc.i18n import FREQUENT_COUNTRIES
from ascc.registration import services as registration
from ascc.security import requires_login
from ascc.taxonomy import SECTORS
from ascc.web import (
    DbSession,
    FragmentCache,
    file_response,
    form_errors,
    form_text,
    page,
    render,
    request_lang,
    session_turn,
)

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

SDG_GOALS = tuple(str(g) for g in range(1, 18))
NEED_FIELDS = ("title_en", "title_ja", "description_en", "description_ja", "sdgs", "budget_band", "timeline")


async def provide_own_exhibitor(
    request: Request, db_session: DbSession, current_edition: CurrentEdition
) -> Exhibitor:
    """The `own_exhibitor` dependency (app.DEPENDENCIES): the exhibitor the signed-in person administers in
    the current edition, or 403. For the exhibitor's webhook page, in a domain that may not import this one."""
    async with session_turn(db_session):
        exhibitor, _ = await marketplace.require_staff(
            db_session, current_edition.id, request.user.id, admin=True
        )
    return exhibitor


def directory_query(q: str, sector: str, sdg: str, country: str) -> directory.DirectoryQuery:
    """Filters from the address bar; unknown values are dropped rather than refused."""
    return directory.DirectoryQuery(
        q=(q or "")[:200],
        sector=sector if sector in SECTORS else "",
        sdg=sdg if directory.SDG.match(sdg or "") else "",
        country=(country or "").upper()[:2] if (country or "").isalpha() else "",
    )


def choices() -> dict[str, Any]:
    return {
        "market_countries": FREQUENT_COUNTRIES,
        "sectors": SECTORS,
        "sdg_goals": SDG_GOALS,
        "budget_bands": BUDGET_BANDS,
        "timelines": TIMELINES,
        "financing_options": FINANCING,
    }


async def directory_version(app: Any, scope: Any) -> tuple:
    """What the directory shows visitors depends on (ascc.front_cache): the edition and the marketplace's data
    version, as the worker's DirectoryState last read them."""
    edition, data_version = await app.state.directory_state.current()
    return (edition.id, edition.updated_at, data_version) if edition is not None else (None,)


def need_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: form_text(form, name) for name in NEED_FIELDS}
    values["sectors"] = [v for v in form.getall("sectors", []) if isinstance(v, str)]
    values["financing"] = [v for v in form.getall("financing", []) if isinstance(v, str)]
    values["organization"] = form_text(form, "organization")
    return values


class MarketplacePages(Controller):
    path = "/marketplace"
    include_in_schema = False

    @get("/", opt=cacheable("directory"))  # visitors: answered by ascc.front_cache
    async def directory_page(
        self,
        request: Request,
        kind: FromQuery[str] = "solutions",
        q: FromQuery[str] = "",
        sector: FromQuery[str] = "",
        sdg: FromQuery[str] = "",
        country: FromQuery[str] = "",
        offset: FromQuery[int] = 0,
    ) -> Template | Response:
        """The directory. Answers from rendered results when the same question met the same data before;
        only then does it open a database session (the hot path of the marketplace)."""
        state: directory.DirectoryState = request.app.state.directory_state
        edition, data_version = await state.current()
        if edition is None:
            raise NotFound("edition")
        kind = kind if kind in directory.KINDS else "solutions"
        query = directory_query(q, sector, sdg, country)
        htmx = getattr(request, "htmx", None)
        partial = bool(htmx and not htmx.boosted and not htmx.history_restore_request)
        can_post = False
        if request.user is not None:
            async with state.session_maker() as session:
                can_post = request.user.is_organizer or bool(
                    await directory.city_of_poster(session, edition.id, request.user.id)
                )
        cache: FragmentCache = request.app.state.directory_fragments
        key = (
            edition.id,
            data_version,
            kind,
            query,
            max(offset, 0),
            request_lang(request),
            request.user is not None,
            can_post,
            partial,
        )
        results = cache.get(key)
        if results is None:
            found = None
            if kind != "needs" or request.user is not None:  # needs are for signed-in participants
                async with state.session_maker() as session:
                    found = await directory.search(session, edition.id, kind, query, offset=offset)
            results = render(
                request,
                "marketplace/_directory.html",
                kind=kind,
                query=query,
                results=found,
                can_post_needs=can_post,
                partial=partial,
            )
            cache.put(key, results)
        if partial:
            return Response(results, media_type="text/html", headers={"vary": "HX-Request"})
        return page(
            request,
            "marketplace/directory.html",
            edition=edition,
            kind=kind,
            query=query,
            results_html=Markup(results),  # noqa: S704 (our own template, rendered above)
            **choices(),
        )

    @get("/floor-plan")
    async def floor_plan(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        q: FromQuery[str] = "",
        booth: FromQuery[str] = "",
    ) -> Template:
        """The hall with its booths; those matching `q` (or the one numbered `booth`) light up."""
        query = directory_query(q, "", "", "")
        exhibitors = await marketplace.list_exhibitors(db_session, current_edition.id, status="approved")
        highlighted = (
            await directory.matching_exhibitor_ids(db_session, current_edition.id, query)
            if query.terms
            else set()
        )
        if booth:
            highlighted |= {e.id for e in exhibitors if e.booth_number == booth}
        return page(
            request,
            "marketplace/floor_plan.html",
            edition=current_edition,
            halls=await marketplace.list_halls(db_session, current_edition.id),
            exhibitors=exhibitors,
            highlighted=highlighted,
            query=query,
        )

    @get("/exhibitors/{exhibitor_id:int}")
    async def exhibitor(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        exhibitor_id: FromPath[int],
    ) -> Template:
        row = await marketplace.public_exhibitor(db_session, current_edition.id, exhibitor_id)
        return page(
            request,
            "marketplace/exhibitor.html",
            edition=current_edition,
            exhibitor=row,
            packages=await solutions.packages_with(db_session, row.id),
        )

    @get("/exhibitors/{exhibitor_id:int}/logo")
    async def logo(
        self, db_session: DbSession, current_edition: CurrentEdition, exhibitor_id: FromPath[int]
    ) -> Response:
        row = await marketplace.public_exhibitor(db_session, current_edition.id, exhibitor_id)
        if row.logo_id is None:
            raise NotFound("logo")
        return file_response(
            await files.get_file(db_session, row.logo_id), inline=True, cache="public, max-age=300"
        )

    @get("/solutions/{solution_id:int}")
    async def solution(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        solution_id: FromPath[int],
    ) -> Template:
        row = await solutions.get_solution(db_session, current_edition.id, solution_id)
        suggested = (
            await directory.suggestions_for_solution(db_session, current_edition.id, row)
            if request.user is not None
            else None
        )
        return page(
            request, "marketplace/solution.html", edition=current_edition, solution=row, suggested=suggested
        )

    @get("/solutions/{solution_id:int}/brochure")
    async def brochure(
        self, db_session: DbSession, current_edition: CurrentEdition, solution_id: FromPath[int]
    ) -> Response:
        row = await solutions.get_solution(db_session, current_edition.id, solution_id)
        if row.brochure_id is None:
            raise NotFound("brochure")
        return file_response(await files.get_file(db_session, row.brochure_id))


class NeedPages(Controller):
    """City needs: read by signed-in participants, posted by city officials (and organizers)."""

    path = "/marketplace/needs"
    guards = [requires_login]
    include_in_schema = False

    @get("/{need_id:int}")
    async def need(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, need_id: FromPath[int]
    ) -> Template:
        row = await directory.get_need(db_session, current_edition.id, need_id)
        city = await directory.city_of_poster(db_session, current_edition.id, request.user.id)
        return page(
            request,
            "marketplace/need.html",
            edition=current_edition,
            need=row,
            suggested=await directory.suggestions_for_need(db_session, current_edition.id, row),
            can_edit=request.user.is_organizer or (city is not None and city.id == row.organization_id),
        )

    @get("/new")
    async def new_need(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await _need_form(
            request, db_session, current_edition, None, {"sectors": [], "financing": []}, {}
        )

    @post("/")
    async def create_need(self, request: Request, db_session: DbSession) -> Template | Redirect:
        return await _save_need(request, db_session, None)

    @get("/{need_id:int}/edit")
    async def edit_need(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, need_id: FromPath[int]
    ) -> Template:
        row = await directory.get_need(db_session, current_edition.id, need_id)
        city = await directory.city_of_poster(db_session, current_edition.id, request.user.id)
        if not request.user.is_organizer and (city is None or city.id != row.organization_id):
            raise NotFound("need")
        values = {
            **{name: getattr(row, name) or "" for name in NEED_FIELDS},
            "sdgs": ", ".join(row.sdgs),
            "sectors": row.sectors,
            "financing": row.financing,
        }
        return await _need_form(request, db_session, current_edition, row, values, {})

    @post("/{need_id:int}")
    async def update_need(
        self, request: Request, db_session: DbSession, need_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_need(request, db_session, need_id)

    @post("/{need_id:int}/status")
    async def need_status(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, need_id: FromPath[int]
    ) -> Redirect:
        form = await request.form()
        await directory.set_need_status(
            db_session,
            current_edition.id,
            request.user.id,
            need_id,
            form_text(form, "status"),
            is_organizer=request.user.is_organizer,
        )
        return Redirect(f"/marketplace/needs/{need_id}", status_code=303)


async def _need_form(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    need: Any,
    values: dict,
    errors: dict,
    status: int = 200,
) -> Template:
    city = await directory.city_of_poster(db_session, edition.id, request.user.id)
    return page(
        request,
        "marketplace/need_form.html",
        status_code=status,
        edition=edition,
        need=need,
        city=city,
        values=values,
        errors=errors,
        **choices(),
    )


async def _save_need(request: Request, db_session: DbSession, need_id: int | None) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    values = need_values(await request.form())
    try:
        row = await directory.save_need(
            db_session, edition.id, request.user.id, values, need_id, is_organizer=request.user.is_organizer
        )
    except ValidationFailed as exc:
        await db_session.rollback()
        edition = await editions.require_current(db_session)
        need = await directory.get_need(db_session, edition.id, need_id) if need_id else None
        return await _need_form(request, db_session, edition, need, values, form_errors(request, exc), 422)
    return Redirect(f"/marketplace/needs/{row.id}", status_code=303)


class MyScansPages(Controller):
    """An attendee sees which exhibitors scanned their badge, and takes their details back."""

    path = "/me/scans"
    guards = [requires_login]
    include_in_schema = False

    @get("/", name="exhibitors.my_scans")
    async def scans(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        mine = await registration.my_registration(db_session, current_edition.id, request.user.id)
        return page(
            request,
            "marketplace/my_scans.html",
            edition=current_edition,
            registration=mine,
            scans=await leads.scans_of(db_session, current_edition.id, request.user.id),
            tz=ZoneInfo(current_edition.timezone),
        )

    @post("/{lead_id:int}/withdraw")
    async def withdraw(self, request: Request, db_session: DbSession, lead_id: FromPath[int]) -> Redirect:
        await leads.withdraw(db_session, request.user.id, lead_id)
        return Redirect("/me/scans?withdrawn=1", status_code=303)
