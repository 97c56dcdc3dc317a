"""The marketplace API: exhibitors, solutions, city needs with their suggestions, and exhibitors' leads."""

from collections.abc import Callable
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, FromQuery

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound
from ascc.exhibitors import directory, leads
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.routes import directory_query
from ascc.i18n import translate
from ascc.security import requires_login
from ascc.web import DbSession, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]
# Whom a scanned badge names, judged as at the check-in door (badges, above this domain: app.DEPENDENCIES).
BadgeHolder = NamedDependency[leads.BadgeHolder]

# Closed sets, as exhibitors.models names them (tests/test_api_contract.py compares).
ExhibitorKind = Literal["company", "public_body"]
BudgetBand = Literal["under_1m", "1m_10m", "10m_50m", "over_50m"]
Timeline = Literal["within_1_year", "1_3_years", "over_3_years"]
Financing = Literal["city_budget", "jica", "adb", "world_bank", "jcm", "ppp", "other"]
NeedStatus = Literal["open", "closed"]
NO_EDITION = {404: "`not_found`: there is no current edition"}
NOT_STAFF = "`not_exhibitor_staff`: only an exhibitor's staff"


class BoothOut(msgspec.Struct):
    hall: str
    number: str
    x: int
    y: int
    w: int
    h: int


class PartnerOut(msgspec.Struct):
    exhibitor_id: int
    name_en: str
    name_ja: str
    role_en: str
    role_ja: str


class SolutionOut(msgspec.Struct):
    id: int
    exhibitor_id: int
    exhibitor_name_en: str
    exhibitor_name_ja: str
    title_en: str
    title_ja: str
    summary_en: str
    summary_ja: str
    sectors: list[str]
    sdgs: list[str]
    countries: list[str]
    reference_projects_en: str
    reference_projects_ja: str
    brochure_url: str | None
    is_package: bool
    partners: list[PartnerOut]


class ExhibitorOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str
    kind: ExhibitorKind
    home_city: str
    country: str | None
    description_en: str
    description_ja: str
    website: str | None
    video_url: str | None
    logo_url: str | None
    booth: BoothOut | None
    solutions: list[SolutionOut] | None = None  # in the detail only


class NeedOut(msgspec.Struct):
    id: int
    organization: str
    city: str
    country: str | None
    title_en: str
    title_ja: str
    description_en: str
    description_ja: str
    sectors: list[str]
    sdgs: list[str]
    budget_band: BudgetBand | None
    timeline: Timeline | None
    financing: list[Financing]
    status: NeedStatus


class NeedIn(msgspec.Struct, forbid_unknown_fields=True):
    sectors: list[str]
    title_en: str = ""
    title_ja: str = ""
    description_en: str = ""
    description_ja: str = ""
    sdgs: list[str] = []
    budget_band: BudgetBand | None = None
    timeline: Timeline | None = None
    financing: list[Financing] = []
    organization: str | None = None  # organizers posting for a city name it


class SuggestionReasonOut(msgspec.Struct):
    sectors: list[str]
    sdgs: list[str]
    phrases_en: list[str]
    phrases_ja: list[str]
    country: str | None


class SuggestionOut(msgspec.Struct):
    score: float
    reason: SuggestionReasonOut
    solution: SolutionOut


class ExhibitorPage(msgspec.Struct):
    items: list[ExhibitorOut]
    total: int
    offset: int
    limit: int


class SolutionPage(msgspec.Struct):
    items: list[SolutionOut]
    total: int
    offset: int
    limit: int


class NeedPage(msgspec.Struct):
    items: list[NeedOut]
    total: int
    offset: int
    limit: int


class LeadIn(msgspec.Struct, forbid_unknown_fields=True):
    # The badge's QR text (as a camera reads it) or the short code printed under it (ABCD-EFGH).
    code: Annotated[str, msgspec.Meta(max_length=512)]


class ScanOut(msgspec.Struct):
    outcome: Literal["recorded", "already"]
    lead: leads.LeadView


def _booth(e: Any) -> BoothOut | None:
    if e.hall is None or e.booth_x is None:
        return None
    return BoothOut(e.hall.code, e.booth_number or "", e.booth_x, e.booth_y, e.booth_w, e.booth_h)


def solution_out(s: Any, base_url: str, exhibitor: Any = None) -> SolutionOut:
    """`exhibitor` when the caller loaded the solutions from it (the back reference is not loaded then)."""
    exhibitor = exhibitor or s.exhibitor
    brochure = s.brochure_url or (
        f"{base_url}/marketplace/solutions/{s.id}/brochure" if s.brochure_id else None
    )
    return SolutionOut(
        id=s.id,
        exhibitor_id=s.exhibitor_id,
        exhibitor_name_en=exhibitor.name_en,
        exhibitor_name_ja=exhibitor.name_ja,
        title_en=s.title_en,
        title_ja=s.title_ja,
        summary_en=s.summary_en,
        summary_ja=s.summary_ja,
        sectors=list(s.sectors),
        sdgs=list(s.sdgs),
        countries=list(s.countries),
        reference_projects_en=s.reference_projects_en,
        reference_projects_ja=s.reference_projects_ja,
        brochure_url=brochure,
        is_package=s.is_package,
        partners=[
            PartnerOut(p.exhibitor_id, p.exhibitor.name_en, p.exhibitor.name_ja, p.role_en, p.role_ja)
            for p in s.partners
        ],
    )


def exhibitor_out(e: Any, base_url: str, with_solutions: bool = False) -> ExhibitorOut:
    return ExhibitorOut(
        id=e.id,
        name_en=e.name_en,
        name_ja=e.name_ja,
        kind=cast(ExhibitorKind, e.kind),
        home_city=e.home_city,
        country=e.country,
        description_en=e.description_en,
        description_ja=e.description_ja,
        website=e.website,
        video_url=e.video_url,
        logo_url=f"{base_url}/marketplace/exhibitors/{e.id}/logo" if e.logo_id else None,
        booth=_booth(e),
        solutions=[solution_out(s, base_url, e) for s in e.solutions] if with_solutions else None,
    )


def need_out(n: Any) -> NeedOut:
    return NeedOut(
        id=n.id,
        organization=n.organization.name_en,
        city=n.city,
        country=n.country,
        title_en=n.title_en,
        title_ja=n.title_ja,
        description_en=n.description_en,
        description_ja=n.description_ja,
        sectors=list(n.sectors),
        sdgs=list(n.sdgs),
        budget_band=cast(BudgetBand | None, n.budget_band),
        timeline=cast(Timeline | None, n.timeline),
        financing=cast(list[Financing], list(n.financing)),
        status=cast(NeedStatus, n.status),
    )


async def _search_page(
    request: Request, kind: str, query: Any, offset: int, limit: int, convert: Callable[[Any], Any]
) -> tuple[list[Any], int, int, int]:
    """One page of the directory's search (limit 1 to 200): items, total, offset, limit.

    Kept per worker beside the HTML directory's results, under the same marketplace version
    (directory.DirectoryState): a question asked before about the same data needs no database session."""
    state: directory.DirectoryState = request.app.state.directory_state
    edition, data_version = await state.current()
    if edition is None:
        raise NotFound("edition")
    limit = min(max(limit, 1), 200)
    cache = request.app.state.directory_fragments
    key = ("api", edition.id, data_version, kind, query, offset, limit)
    answer = cache.get(key)
    if answer is None:
        async with state.session_maker() as session:
            found = await directory.search(session, edition.id, kind, query, offset, limit)
            answer = ([convert(item) for item in found.items], found.total, found.offset, found.limit)
        cache.put(key, answer)
    return answer


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


class MarketplaceApi(Controller):
    path = "/api/v1"
    tags = ["marketplace"]

    @get("/exhibitors", responses=errors(NO_EDITION))
    async def exhibitors(
        self,
        request: Request,
        q: FromQuery[str] = "",
        sector: FromQuery[str] = "",
        sdg: FromQuery[str] = "",
        country: FromQuery[str] = "",
        offset: FromQuery[int] = 0,
        limit: FromQuery[int] = 50,
    ) -> ExhibitorPage:
        """Approved exhibitors, filtered like the directory (free text in any language, sector, SDG, country)."""
        query = directory_query(q, sector, sdg, country)
        return ExhibitorPage(
            *await _search_page(
                request,
                "exhibitors",
                query,
                offset,
                limit,
                lambda item: exhibitor_out(item, _base(request)),
            )
        )

    @get("/exhibitors/{exhibitor_id:int}")
    async def exhibitor(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        exhibitor_id: FromPath[int],
    ) -> ExhibitorOut:
        row = await marketplace.public_exhibitor(db_session, current_edition.id, exhibitor_id)
        return exhibitor_out(row, _base(request), with_solutions=True)

    @get("/solutions", responses=errors(NO_EDITION))
    async def solutions(
        self,
        request: Request,
        q: FromQuery[str] = "",
        sector: FromQuery[str] = "",
        sdg: FromQuery[str] = "",
        country: FromQuery[str] = "",
        offset: FromQuery[int] = 0,
        limit: FromQuery[int] = 50,
    ) -> SolutionPage:
        """Solutions of approved exhibitors, filtered like the directory."""
        query = directory_query(q, sector, sdg, country)
        return SolutionPage(
            *await _search_page(
                request, "solutions", query, offset, limit, lambda item: solution_out(item, _base(request))
            )
        )

    @get("/needs", guards=[requires_login], responses=errors(NO_EDITION))
    async def needs(
        self,
        request: Request,
        q: FromQuery[str] = "",
        sector: FromQuery[str] = "",
        sdg: FromQuery[str] = "",
        country: FromQuery[str] = "",
        offset: FromQuery[int] = 0,
        limit: FromQuery[int] = 50,
    ) -> NeedPage:
        """Open city needs (signed-in participants only)."""
        query = directory_query(q, sector, sdg, country)
        return NeedPage(*await _search_page(request, "needs", query, offset, limit, need_out))

    @post(
        "/needs",
        guards=[requires_login],
        status_code=201,
        responses=errors(
            {
                403: "`needs_city_official`: only a city's officials (and organizers) post needs",
                422: "`invalid`: fields refused, each with its reason (`extra`)",
            }
        ),
    )
    async def post_need(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[NeedIn, Body()],
    ) -> NeedOut:
        """A city official posts a need of their city (organizers: for the city named in `organization`)."""
        values = {f: getattr(data, f) for f in NeedIn.__struct_fields__}
        row = await directory.save_need(
            db_session, current_edition.id, request.user.id, values, is_organizer=request.user.is_organizer
        )
        return need_out(row)

    @get("/needs/{need_id:int}", guards=[requires_login])
    async def need(
        self, db_session: DbSession, current_edition: CurrentEdition, need_id: FromPath[int]
    ) -> NeedOut:
        return need_out(await directory.get_need(db_session, current_edition.id, need_id))

    @get("/needs/{need_id:int}/suggestions", guards=[requires_login])
    async def suggestions(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        need_id: FromPath[int],
        limit: FromQuery[int] = 5,
    ) -> list[SuggestionOut]:
        """The solutions that best answer the need, best first, each with the reason."""
        row = await directory.get_need(db_session, current_edition.id, need_id)
        found = await directory.suggestions_for_need(
            db_session, current_edition.id, row, min(max(limit, 1), 20)
        )
        return [
            SuggestionOut(
                score=s.score,
                reason=SuggestionReasonOut(
                    list(s.sectors), list(s.sdgs), list(s.phrases_en), list(s.phrases_ja), s.country
                ),
                solution=solution_out(solution, _base(request)),
            )
            for solution, s in found
        ]

    @post(
        "/leads",
        guards=[requires_login],
        responses={
            200: ResponseSpec(ScanOut, description="A lead known already", generate_examples=False),
            **errors(
                {
                    403: f"{NOT_STAFF}; `exhibitor_not_approved`; `not_shared`: the attendee did not opt in "
                    "(nothing is stored)",
                    404: "`badge_unknown`: no badge has this code",
                    422: "`badge_invalid`: the QR code is not a genuine, current badge of this conference "
                    "(forged, expired, another conference's); `badge_revoked`: the badge was replaced "
                    "(lost, stolen, damaged, new category) or its registration cancelled. Nothing is stored.",
                }
            ),
        },
    )
    async def scan(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        badge_holder: BadgeHolder,
        data: Annotated[LeadIn, Body()],
    ) -> Response[ScanOut]:
        """Exhibitor staff record a badge: `code` is its QR text (signed; checked as at the check-in door) or
        its short code. 201: a new lead; 200: known already; 403 `not_shared`: the attendee did not opt in;
        404 `badge_unknown`; 422 `badge_invalid`, `badge_revoked` (nothing stored in any of these)."""
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        result = await leads.record(db_session, exhibitor, request.user.id, data.code, badge_holder)
        if result.outcome == "unknown":
            raise DomainError("error.badge_unknown", "badge_unknown", field="code", status=404)
        if result.outcome == "not_shared":
            raise DomainError("error.not_shared", "not_shared", field="code", status=403)
        if result.outcome in ("invalid", "revoked"):
            why = translate(request_lang(request), f"checkin.reason.{result.reason or 'unknown'}")
            code = f"badge_{result.outcome}"
            raise DomainError(f"error.{code}", code, field="code", status=422, reason=why)
        assert result.lead is not None  # recorded or already: the lead exists
        [view] = await leads.list_leads(db_session, exhibitor, lead_id=result.lead.id)
        return Response(
            ScanOut("recorded" if result.outcome == "recorded" else "already", view),
            status_code=201 if result.outcome == "recorded" else 200,
        )

    @get("/leads", guards=[requires_login], responses=errors({403: NOT_STAFF}))
    async def list_leads(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> list[leads.LeadView]:
        """The leads of the caller's exhibitor, newest first."""
        exhibitor, _ = await marketplace.require_staff(db_session, current_edition.id, request.user.id)
        return await leads.list_leads(db_session, exhibitor)
