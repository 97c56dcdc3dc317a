"""The organizers' cockpit pages: the live dashboard (refreshed in place with htmx), the edition report with
its comparison between editions as a printable page, PDF, CSV and Excel, and the report API."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from ascc import clock, dates
from ascc.api_contract import errors
from ascc.csv_export import to_csv
from ascc.editions import services as editions
from ascc.errors import NotFound, ValidationFailed
from ascc.i18n import country_name, pick, translate
from ascc.pdf_tables import Section, TablePdf, render_tables
from ascc.reports import charts, figures, workbook
from ascc.reports import services as reports
from ascc.security import requires_organizer
from ascc.site import services as site
from ascc.web import DbSession, form_errors, form_values, page, request_lang

REFRESH_SECONDS = 30
RECORDED_FIELDS = ("number", "label", "name_en", "name_ja", "note", *figures.KEYS)


def _charts(board: reports.Dashboard, lang: str) -> dict[str, str]:
    def t(key: str) -> str:
        return translate(lang, key)

    other = t("report.other")
    return {
        "mode": charts.bar_chart(
            t("report.by_mode"), [(t(f"registration.mode.{k}"), v) for k, v in board.by_mode.items()]
        ),
        "category": charts.bar_chart(
            t("report.by_category"), [(t(f"category.{k}"), v) for k, v in board.by_category.items()]
        ),
        "country": charts.bar_chart(
            t("report.by_country"), [(country_name(k, lang) if k else other, v) for k, v in board.by_country]
        ),
        "city": charts.bar_chart(t("report.by_city"), [(k or other, v) for k, v in board.by_city]),
        "hours": charts.bar_chart(t("report.check_ins_by_hour"), board.check_ins_by_hour),
        "tours": charts.fill_bars(
            t("report.tour_fill"), [(c.label, c.confirmed, c.seats) for c in board.courses]
        ),
        "funnel": charts.funnel(
            t("report.meeting_funnel"), [(t(f"report.funnel.{k}"), v) for k, v in board.funnel]
        ),
        "outcomes": charts.bar_chart(
            t("report.outcomes"), [(t(f"matching.outcome.{k}"), v) for k, v in board.outcomes.items()]
        ),
    }


async def _dashboard_context(request: Request, db_session: DbSession) -> dict[str, Any]:
    cache = request.app.state.dashboard_cache
    edition = await editions.current(db_session)
    board = (
        await cache.get(("board", edition.id), lambda: reports.dashboard(db_session, edition))
        if edition
        else None
    )
    return {
        "edition": edition,
        "board": board,
        "charts": _charts(board, request_lang(request)) if board else {},
        "overview": await cache.get("overview", lambda: site.overview(db_session)),
        "refresh": REFRESH_SECONDS,
    }


async def _edition(db_session: DbSession, slug: str | None) -> Any:
    """The edition asked for; else the current one; else the latest (between editions the report still
    opens)."""
    if slug:
        if len(slug) > 40 or not slug.isprintable():
            raise NotFound("edition")
        return await editions.get_by_slug(db_session, slug)
    edition = await editions.current(db_session)
    if edition is None:
        known = await editions.list_editions(db_session, include_drafts=True)
        if not known:
            raise NotFound("edition")
        edition = max(known, key=lambda e: e.starts_on)
    return edition


async def _report(
    db_session: DbSession, slug: str | None
) -> tuple[Any, figures.EditionFigures, list[figures.EditionFigures]]:
    """The edition, its report, and every edition to compare it with (counted once each)."""
    edition = await _edition(db_session, slug)
    compared = await reports.all_editions(db_session)
    report = next((e for e in compared if e.slug == edition.slug), None)
    if report is None:  # a draft or a future edition, chosen by hand
        report = await reports.report_of(db_session, edition)
        compared = sorted([*compared, report], key=lambda e: (e.number, e.label))
    return edition, report, compared


def _labels(lang: str) -> Any:
    return lambda key, **params: translate(lang, key, **params)


def _ordered(known: list[Any]) -> list[Any]:
    """The report's edition choice: the current one, then the others newest first, drafts last."""
    return sorted(known, key=lambda e: (not e.is_current, e.status == "draft", -e.starts_on.toordinal()))


def _shown(value: object, lang: str) -> str:
    """A PDF cell: whole numbers with thousands separators (and a sign for a change), the rest as text."""
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    return format_decimal(value, locale=lang)


def _download(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


class DashboardPages(Controller):
    guards = [requires_organizer]
    include_in_schema = False

    @get("/organizer", cache=False)
    async def dashboard(self, request: Request, db_session: DbSession) -> Template:
        # With Redis, background work waits for `ascc worker`: say so when none is listening.
        no_worker = await request.app.state.jobs.workers() == 0
        context = await _dashboard_context(request, db_session)
        return page(request, "organizer/home.html", no_worker=no_worker, **context)

    @get("/organizer/dashboard/figures", cache=False)
    async def figures_fragment(self, request: Request, db_session: DbSession) -> Template:
        """What the dashboard's htmx refresh swaps in every REFRESH_SECONDS."""
        return page(request, "organizer/_dashboard.html", **await _dashboard_context(request, db_session))


class ReportPages(Controller):
    path = "/organizer/reports"
    guards = [requires_organizer]
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        db_session: DbSession,
        slug: str | None,
        errors: dict | None = None,
        values: dict | None = None,
    ) -> Template:
        edition, report, compared = await _report(db_session, slug)
        return page(
            request,
            "organizer/report.html",
            status_code=422 if errors else 200,
            edition=edition,
            report=report,
            compared=compared,
            comparison=figures.comparison(compared),
            keys=figures.KEYS,
            editions=_ordered(await editions.list_editions(db_session, include_drafts=True)),
            recorded=await reports.recorded_editions(db_session),
            unchecked_kinds=await reports.unchecked_organizations(db_session, edition.id),
            generated_at=clock.now(),
            errors=errors or {},
            values=values or {},
        )

    @get("/edition", cache=False)
    async def edition_report(
        self,
        request: Request,
        db_session: DbSession,
        edition: FromQuery[str | None] = None,
        record: FromQuery[int | None] = None,
    ) -> Template:
        """`?record=N` fills the form with the recorded figures of the N-th edition, to correct them."""
        values = await reports.recorded_values(db_session, record) if record and 0 < record < 1000 else None
        return await self._page(request, db_session, edition, values=values)

    @get("/edition.csv", cache=False)
    async def edition_csv(
        self,
        request: Request,
        db_session: DbSession,
        edition: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        found, _, compared = await _report(db_session, edition)
        label = _labels(request_lang(request))
        rows = figures.comparison_rows(compared, label)
        return _download(to_csv(rows[0], rows[1:]), "text/csv", f"ascc-report-{found.slug}.csv")

    @get("/edition.xlsx", cache=False)
    async def edition_xlsx(
        self,
        request: Request,
        db_session: DbSession,
        edition: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        found, report, compared = await _report(db_session, edition)
        label = _labels(request_lang(request))
        body = workbook.workbook(
            [
                (label("report.tab_figures"), figures.figure_rows(report, label)),
                (label("report.tab_comparison"), figures.comparison_rows(compared, label)),
                (label("report.tab_organizations"), figures.organization_rows(report, label)),
            ]
        )
        return _download(
            body,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"ascc-report-{found.slug}.xlsx",
        )

    @get("/edition.pdf", cache=False)
    async def edition_pdf(
        self,
        request: Request,
        db_session: DbSession,
        edition: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        found, report, compared = await _report(db_session, edition)
        lang = request_lang(request)
        label = _labels(lang)
        figure_table = figures.figure_rows(report, label)
        comparison_table = figures.comparison_rows(compared, label)
        organizations = figures.organization_rows(
            report, label, lambda code: country_name(code, lang) if code else ""
        )
        columns = len(comparison_table[0])
        zone = ZoneInfo(found.timezone)
        provisional = found.is_current or found.ends_on >= clock.now().astimezone(zone).date()
        notes = " / ".join(f"{label('report.nth', number=e.number)}: {e.note}" for e in compared if e.note)
        first = 70.0
        rest = (272 - first) / max(columns - 1, 1)
        # Drawing CJK pages takes about a second: in a thread, so other requests go on meanwhile.
        body = await asyncio.to_thread(
            render_tables,
            TablePdf(
                pick(found, "name", lang),
                f"{label('report.title')} · {dates.date_range(found.starts_on, found.ends_on, lang)}"
                f" · {pick(found, 'venue_name', lang)} · {translate(lang, 'report.generated')} "
                f"{dates.format_moment(clock.now(), lang, zone, 'datetime')}"
                + (f" · {translate(lang, 'report.provisional')}" if provisional else ""),
                [
                    Section(
                        label("report.sheet_figures"),
                        tuple(map(str, figure_table[0])),
                        (120, 40),
                        [tuple(_shown(cell, lang) for cell in row) for row in figure_table[1:]],
                    ),
                    Section(
                        label("report.sheet_comparison"),
                        tuple(map(str, comparison_table[0])),
                        (first, *([rest] * (columns - 1))),
                        [tuple(_shown(cell, lang) for cell in row) for row in comparison_table[1:]],
                        note=notes,
                    ),
                    Section(
                        label("report.sheet_organizations"),
                        tuple(map(str, organizations[0])),
                        (80, 60, 24, 70, 20),
                        [tuple(_shown(cell, lang) for cell in row) for row in organizations[1:]],
                    ),
                ],
                page_per_section=True,
            ),
        )
        return _download(body, "application/pdf", f"ascc-report-{found.slug}.pdf")

    @post("/recorded")
    async def save_recorded(self, request: Request, db_session: DbSession) -> Template | Redirect:
        values = form_values(await request.form(), *RECORDED_FIELDS)
        try:
            await reports.save_recorded(db_session, request.user, values)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._page(request, db_session, None, form_errors(request, exc), values)
        await db_session.commit()
        return Redirect("/organizer/reports/edition#comparison", status_code=303)


class ReportsApi(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [requires_organizer]

    @get(
        "/edition",
        summary="The edition report's figures, with every edition to compare (organizers)",
        cache=False,
        responses=errors({404: "`not_found`: no such edition, or no current one"}),
    )
    async def edition_report(
        self,
        db_session: DbSession,
        edition: Annotated[
            str | None, QueryParameter(description="an edition's slug; the current one if absent")
        ] = None,
    ) -> dict[str, Any]:
        _, report, compared = await _report(db_session, edition)

        def as_json(e: figures.EditionFigures) -> dict[str, Any]:
            return {
                "number": e.number,
                "label": e.label,
                "name_en": e.name_en,
                "name_ja": e.name_ja,
                "source": e.source,
                "slug": e.slug,
                "figures": {key: e.get(key) for key in figures.KEYS},
            }

        return {
            "edition": as_json(report),
            "overseas_organizations": [
                {
                    "name_en": o.name_en,
                    "name_ja": o.name_ja,
                    "country": o.country,
                    "kind": o.kind,
                    "people": o.people,
                }
                for o in report.organizations
            ],
            "countries": dict(report.countries),
            "meeting_outcomes": dict(report.outcomes),
            "comparison": [as_json(e) for e in compared],
            "generated_at": clock.now().isoformat(),
        }
