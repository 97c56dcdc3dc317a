"""Public programme pages (agenda, sessions, speakers, what changed) and the personal agenda."""

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, dates
from ascc.errors import DomainError, NotFound
from ascc.files import services as files
from ascc.front_cache import cacheable, keep_while
from ascc.i18n import translate
from ascc.notifications import services as notifications
from ascc.programme import (
    agenda,
    editing,
    materials,
    my_agenda_page,
    personal_pages,
    releases,
    session_editing,
)
from ascc.programme import services as programme
from ascc.programme.agenda import AgendaMeeting
from ascc.programme.change_details import describe
from ascc.programme.personal_pages import CSRF_SLOT
from ascc.programme.schedule import (
    COMMON_ZONES,
    FORMATS,
    KINDS,
    LANGUAGES,
    SDG_GOALS,
    Filters,
    Item,
    Schedule,
    zone,
)
from ascc.security import requires_login
from ascc.taxonomy import SECTORS
from ascc.text import safe_next_path
from ascc.tours import services as tours
from ascc.web import DbSession, FragmentCache, file_response, form_text, page, render, request_lang

# Online streaming is built on the programme: which channels stream a session comes in from app.py
# (online.routes.provide_streamed_channels), called as streamed_channels(session, [session ids]).
StreamedChannels = NamedDependency[Callable[[AsyncSession, list[int]], Awaitable[dict[int, list[str]]]]]
# Business matching is built on the programme: a person's meetings with a time come in from app.py
# (matching.routes.provide_agenda_meetings), called as agenda_meetings(session, edition id, user id).
AgendaMeetings = NamedDependency[Callable[[AsyncSession, int, int], Awaitable[list[AgendaMeeting]]]]


def schedule_cache(request: Request) -> programme.ScheduleCache:
    return request.app.state.schedule_cache


class AgendaView:
    """What the agenda templates need: the filtered items grouped by start time, in the chosen zone."""

    def __init__(self, schedule: Schedule, filters: Filters, all_days: bool, tz_name: str | None) -> None:
        self.schedule = schedule
        self.filters = filters
        self.all_days = all_days
        self.tz_name = tz_name  # None: edition time
        self.tz = zone(tz_name) or schedule.zone

    @property
    def searching(self) -> bool:
        """A search covers every day; the chosen day is kept (in links and the form) to go back to."""
        return bool(self.filters.q) and not self.all_days

    @property
    def spans_days(self) -> bool:
        """The results are grouped by day: all days were chosen, or a search is on."""
        return self.all_days or self.searching

    # Computed only when the page is rendered, not when a cached copy answers.
    @cached_property
    def items(self) -> list[Item]:
        if self.searching:
            return self.schedule.select(Filters(**{**vars(self.filters), "day": None}))
        return self.schedule.select(self.filters)

    @cached_property
    def groups(self) -> list[tuple[date, str, list[Item]]]:
        groups: OrderedDict[tuple[date, str], list[Item]] = OrderedDict()
        for item in self.items:
            local = item.starts_at.astimezone(self.tz)
            groups.setdefault((local.date(), self.hm(item.starts_at)), []).append(item)
        return [(day, start, items) for (day, start), items in groups.items()]

    def hm(self, moment: datetime) -> str:
        return dates.format_moment(moment, "en", self.tz, "time")  # the same "14:00" in both languages

    def link(self, day: date | None = None, all_days: bool = False) -> str:
        pairs = self.filters.query_pairs(day=day, include_day=not all_days)
        if all_days:
            pairs.insert(0, ("day", "all"))
        if self.tz_name:
            pairs.append(("tz", self.tz_name))
        return "/agenda" + ("?" + urlencode(pairs) if pairs else "")

    def day_only_link(self, drop_search: bool = False) -> str:
        """The agenda on the chosen day (or all days) without the other filters ("Clear filters"), or, with
        `drop_search`, without the search only."""
        day = self.filters.day
        if drop_search:
            pairs = Filters(**{**vars(self.filters), "q": ""}).query_pairs()
        elif self.all_days:
            pairs = [("day", "all")]
        else:
            pairs = [("day", day.isoformat())] if day else []
        if self.tz_name:
            pairs.append(("tz", self.tz_name))
        return "/agenda" + ("?" + urlencode(pairs) if pairs else "")

    @property
    def zone_label(self) -> str:
        return self.tz_name or self.schedule.timezone


def _default_day(schedule: Schedule) -> date:
    today = clock.now().astimezone(schedule.zone).date()
    return today if today in schedule.days else schedule.days[0]


def _agenda_view(request: Request, schedule: Schedule) -> AgendaView:
    query = {key: request.query_params.getall(key) for key in request.query_params}
    filters = Filters.parse(query, (t.id for t in schedule.tracks))
    raw_day = query.get("day", [""])[0]
    all_days = raw_day == "all"
    if not all_days and (filters.day is None or filters.day not in schedule.days):
        filters = Filters(**{**vars(filters), "day": _default_day(schedule)})
    if all_days:
        filters = Filters(**{**vars(filters), "day": None})
    tz_name = query.get("tz", [""])[0]
    tz_name = tz_name if tz_name != schedule.timezone and zone(tz_name) else None
    return AgendaView(schedule, filters, all_days, tz_name)


def _personal_agendas(request: Request) -> FragmentCache:
    """Signed-in people's agendas as last rendered (a few hundred kB each with a large programme: few kept)."""
    cache = getattr(request.app.state, "personal_agendas", None)
    if cache is None:
        cache = request.app.state.personal_agendas = FragmentCache(size=64)
    return cache


VARY = {"vary": "Accept-Language, Cookie"}
_csrf_token = personal_pages.csrf_token
_for_every_visitor = personal_pages.for_every_visitor


def _agenda_html(
    request: Request,
    current: programme.Programme,
    view: AgendaView,
    mine: tuple[set[int], set[int]],
    partial_only: bool,
    token: str,
) -> str:
    """The agenda's results, or the whole page around them, with `token` as the CSRF token.

    `mine` is the viewer's saved sessions and those they hold a seat in (empty for visitors).
    """
    here = quote(view.link(view.filters.day, view.all_days), safe="/")
    extra = {
        "csrf_token": lambda: token,
        "csrf_input": Markup('<input type="hidden" name="_csrf_token" value="{}">').format(token),
        # The language switch returns to this agenda as the URL names it, not as the first visitor typed it.
        "lang_url": lambda lang: f"/lang/{lang}?next={here}",
    }
    saved, seats = mine
    results = render(
        request,
        "programme/_agenda.html",
        view=view,
        edition=current.edition,
        saved=saved,
        seats=seats,
        partial=partial_only,
        **extra,
    )
    if partial_only:
        return results
    return render(
        request,
        "programme/agenda.html",
        view=view,
        edition=current.edition,
        results=Markup(results),  # noqa: S704 (our own template, rendered just above)
        **AGENDA_CHOICES,
        **extra,
    )


# The agenda's filter choices (the same for every visitor).
AGENDA_CHOICES: dict[str, Any] = {
    "kinds": KINDS,
    "formats": FORMATS,
    "languages": LANGUAGES,
    "sdg_goals": SDG_GOALS,
    "sectors": SECTORS,
    "zones": COMMON_ZONES,
}


class ProgrammePages(Controller):
    include_in_schema = False

    @get("/agenda", opt=cacheable("programme"))  # visitors: answered by ascc.front_cache
    async def agenda(self, request: Request) -> Template | Response:
        current = await programme.current_programme(schedule_cache(request))
        if current.schedule is None:
            return page(request, "programme/agenda_empty.html", edition=current.edition)
        view = _agenda_view(request, current.schedule)
        htmx = getattr(request, "htmx", None)
        partial_only = bool(htmx and not htmx.boosted and not htmx.history_restore_request)
        if request.user is None:
            # Every visitor sees the same HTML for the same release, language and query: render it once.
            # Only the CSRF token differs per visitor; it is filled into the cached page at the end.
            cache: FragmentCache = request.app.state.agenda_fragments
            key = (
                current.release_id,
                current.edition.updated_at,  # the page shows the edition's name
                request_lang(request),
                view.link(view.filters.day, view.all_days),
                partial_only,
            )
            html = cache.get(key)
            if html is None:
                html = _agenda_html(request, current, view, (set(), set()), partial_only, CSRF_SLOT)
                cache.put(key, html)
            token = _csrf_token(request)
            return Response(html.replace(CSRF_SLOT, token), media_type="text/html", headers=VARY)
        mine = await _mine(request, current)
        # A signed-in person's agenda differs from the visitors' only by who they are and their marks (saved,
        # seat): rendered again when any of these, the release or the query changes, else reused.
        personal = _personal_agendas(request)
        mine_key = (
            request.user,
            current.release_id,
            current.edition.updated_at,
            request_lang(request),
            view.link(view.filters.day, view.all_days),
            partial_only,
            frozenset(mine[0]),
            frozenset(mine[1]),
        )
        html = personal.get(mine_key)
        if html is None:
            html = _agenda_html(request, current, view, mine, partial_only, CSRF_SLOT)
            personal.put(mine_key, html)
        html = html.replace(CSRF_SLOT, _csrf_token(request))
        return Response(html, media_type="text/html", headers={"cache-control": "private, no-cache"})

    @get("/sessions/{session_id:int}", opt=cacheable("session"))
    async def session_page(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        streamed_channels: StreamedChannels,
    ) -> Template | Response:
        if request.user is None:
            return await _visitor_session_page(request, streamed_channels, session_id)
        return await _session_page(request, db_session, streamed_channels, session_id)

    @get("/sessions/{session_id:int}/materials/{material_id:int}")
    async def material(
        self, request: Request, db_session: DbSession, session_id: FromPath[int], material_id: FromPath[int]
    ) -> Response | Redirect:
        current = await programme.current_programme(schedule_cache(request))
        programme.published_item(current, session_id)
        row = await session_editing.get_session(db_session, current.edition.id, session_id)
        material = next((m for m in row.materials if m.id == material_id), None)
        today = clock.now().astimezone(ZoneInfo(current.edition.timezone)).date()
        if material is None or not materials.is_available(material, today):
            raise NotFound("material")
        if material.url:
            return Redirect(material.url, status_code=303)
        if material.file_id is None:  # its file was deleted
            raise NotFound("file")
        stored = await files.get_file(db_session, material.file_id)
        return file_response(stored)

    @get("/speakers", opt=cacheable("programme"))
    async def speakers(self, request: Request) -> Template | Response:
        current = await programme.current_programme(schedule_cache(request))
        people = current.schedule.people if current.schedule else ()
        if request.user is not None:
            return page(request, "programme/speakers.html", people=people, edition=current.edition)
        # Visitors: rendered once per release and language (hundreds of speakers), like the agenda.
        cache: FragmentCache = request.app.state.agenda_fragments
        key = ("speakers", current.release_id, current.edition.updated_at, request_lang(request))
        html = cache.get(key)
        if html is None:
            html = render(
                request,
                "programme/speakers.html",
                people=people,
                edition=current.edition,
                **_for_every_visitor("/speakers"),
            )
            cache.put(key, html)
        return Response(html.replace(CSRF_SLOT, _csrf_token(request)), media_type="text/html", headers=VARY)

    @get("/speakers/{slug:str}")
    async def speaker(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Template:
        current = await programme.current_programme(schedule_cache(request))
        person = current.schedule.people_by_slug.get(slug) if current.schedule else None
        if current.schedule is None or person is None:
            raise NotFound("speaker")
        row = await editing.speaker_by_slug(db_session, current.edition.id, slug)
        return page(
            request,
            "programme/speaker.html",
            person=person,
            row=row,
            sessions=current.schedule.sessions_of(person.id),
            tz=current.schedule.zone,
        )

    @get("/speakers/{slug:str}/photo")
    async def speaker_photo(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Response:
        current = await programme.current_programme(schedule_cache(request))
        row = await editing.speaker_by_slug(db_session, current.edition.id, slug)
        if row is None or row.photo_id is None:
            raise NotFound("photo")
        return file_response(await files.get_file(db_session, row.photo_id), inline=True)

    @get("/programme/tracks.css")
    async def track_colours(self, request: Request) -> Response:
        """Track colours as classes: the CSP allows no inline styles. Colours are #rrggbb, checked on save."""
        current = await programme.current_programme(schedule_cache(request))
        tracks = current.schedule.tracks if current.schedule else ()
        css = "".join(
            f".track-{t.id}{{border-left-color:{t.colour}}}.swatch.track-{t.id}{{background:{t.colour}}}"
            for t in tracks
        )
        return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=60"})

    @get("/programme/changes")
    async def changes(self, request: Request, db_session: DbSession) -> Template:
        current = await programme.current_programme(schedule_cache(request))
        items = await releases.list_releases(db_session, current.edition.id)
        lang, tz = request_lang(request), ZoneInfo(current.edition.timezone)
        return page(
            request,
            "programme/changes.html",
            releases=items,
            edition=current.edition,
            tz=tz,
            details={c.id: describe(c.change, c.details, lang, tz) for _, changes in items for c in changes},
        )


async def _session_context(
    db_session: AsyncSession, streamed_channels: Any, current: programme.Programme, item: Item
) -> dict[str, Any]:
    """What everyone sees of a published session: the release's item, and its seats, materials and streams."""
    assert current.schedule is not None  # the item was found in it
    return {
        "item": item,
        "edition": current.edition,
        "materials": await programme.available_materials(db_session, current.edition, item.id),
        "counts": await programme.seats_left(db_session, item.id) if item.signup else None,
        "tz": current.schedule.zone,
        "over": item.ends_at <= clock.now(),
        "streamed": (await streamed_channels(db_session, [item.id])).get(item.id, []),
        "saved": False,
        "seat": None,
        "refusal": None,
        "clashes": [],
        "error": None,
    }


async def _visitor_session_page(request: Request, streamed_channels: Any, session_id: int) -> Response:
    """A session as visitors who are not signed in see it: rendered once per release, language and day, and
    again when its seats, materials and streams were read more than 2 seconds ago (one short database session
    then, none otherwise). The visitor's CSRF token is filled in; a browser holding this version gets 304."""
    current = await programme.current_programme(schedule_cache(request))
    item = programme.published_item(current, session_id)
    now = clock.now()
    key = (
        current.release_id,
        current.edition.updated_at,  # the page shows the edition's name
        request_lang(request),
        session_id,
        now.astimezone(ZoneInfo(current.edition.timezone)).date(),  # materials are public by the day
        item.ends_at <= now,
    )

    async def build() -> tuple[str, str]:
        async with schedule_cache(request).session_maker() as session:
            context = await _session_context(session, streamed_channels, current, item)
        html = render(
            request,
            "programme/session.html",
            **context,
            **_for_every_visitor(f"/sessions/{session_id}"),
        )
        return html, hashlib.blake2b(html.encode(), digest_size=12).hexdigest()

    html, digest = await request.app.state.visitor_pages.get(key, build)
    keep_while(request.scope, request.app.state.visitor_pages.still(key))  # the front cache: no longer
    token = _csrf_token(request)
    etag = f'"{digest}-{hashlib.blake2b(token.encode(), digest_size=6).hexdigest()}"'
    headers = {**VARY, "etag": etag, "cache-control": "private, no-cache"}
    held = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in held:  # weak comparison (RFC 9110 13.1.2), as the calendar files do
        return Response(b"", status_code=304, headers=headers)
    return Response(html.replace(CSRF_SLOT, token), media_type="text/html", headers=headers)


async def visitor_version(app: Any, scope: Any) -> tuple:
    """What the programme's pages and exports for visitors depend on (ascc.front_cache): the release, the
    edition (its name, its dates) and the day where it takes place (the agenda's default day, the home
    page's headline). Read from the worker's schedule cache: no database session but every few seconds."""
    current = await app.state.schedule_cache.current()
    if current is None:
        return (None,)
    today = clock.now().astimezone(ZoneInfo(current.edition.timezone)).date()
    return (current.release_id, current.edition.id, current.edition.updated_at, today)


async def session_visitor_version(app: Any, scope: Any) -> tuple:
    """A session's page for visitors: the programme's version and whether the session is over."""
    version = await visitor_version(app, scope)
    current = await app.state.schedule_cache.current()
    item = (
        current.schedule.by_id.get(scope["path_params"].get("session_id"))
        if current and current.schedule
        else None
    )
    return (*version, item is not None and item.ends_at <= clock.now())


async def _session_page(
    request: Request,
    db_session: DbSession,
    streamed_channels: Any,
    session_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """A published session with what the signed-in viewer can do in it: save it, take a seat, see clashes."""
    current = await programme.current_programme(schedule_cache(request))
    item = programme.published_item(current, session_id)
    return await personal_pages.session_page(
        request, db_session, streamed_channels, current, item, error=error, status_code=status_code
    )


async def _mine(request: Request, current: programme.Programme) -> tuple[set[int], set[int]]:
    """Saved sessions and seats of the signed-in viewer (the agenda opens no request session of its own)."""
    async with schedule_cache(request).session_maker() as session:
        return await programme.saved_and_signed_up(session, request.user.id, current.edition.id)


class MyAgendaPages(Controller):
    guards = [requires_login]
    include_in_schema = False

    @get("/my-agenda")
    async def my_agenda(
        self, request: Request, db_session: DbSession, agenda_meetings: AgendaMeetings
    ) -> Template:
        return await _my_agenda(request, db_session, agenda_meetings, "programme/my_agenda.html")

    @get("/my-agenda/print")
    async def print_view(
        self, request: Request, db_session: DbSession, agenda_meetings: AgendaMeetings
    ) -> Template:
        return await _my_agenda(request, db_session, agenda_meetings, "programme/my_agenda_print.html")

    @post("/my-agenda/notifications/read")
    async def read_notifications(self, request: Request, db_session: DbSession) -> Redirect:
        await notifications.mark_all_read(db_session, request.user.id)
        return Redirect("/my-agenda", status_code=303)

    @post("/sessions/{session_id:int}/save")
    async def save(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        current = await programme.current_programme(schedule_cache(request))
        await programme.save(db_session, request.user.id, current, session_id)
        return await _after_change(request, session_id, saved=True)

    @post("/sessions/{session_id:int}/remove")
    async def remove(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        await programme.remove(db_session, request.user.id, session_id, request.app.state.settings.base_url)
        return await _after_change(request, session_id, saved=False)

    @post("/sessions/{session_id:int}/signup")
    async def sign_up(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        streamed_channels: StreamedChannels,
    ) -> Response:
        current = await programme.current_programme(schedule_cache(request))
        try:
            await programme.sign_up(db_session, request.user.id, current, session_id)
        except DomainError as exc:
            if exc.code == "not_found":
                raise
            await db_session.rollback()
            message = translate(request_lang(request), exc.message, **exc.params)
            return await _session_page(
                request, db_session, streamed_channels, session_id, error=message, status_code=exc.status_code
            )
        return Redirect(f"/sessions/{session_id}", status_code=303)

    @post("/sessions/{session_id:int}/cancel-signup")
    async def cancel_signup(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Redirect:
        await programme.cancel_signup(
            db_session, request.user.id, session_id, request.app.state.settings.base_url
        )
        return Redirect(f"/sessions/{session_id}", status_code=303)


async def _after_change(request: Request, session_id: int, saved: bool) -> Template | Redirect:
    """For htmx, the new state of the button; otherwise back to the page the form was on."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return Template("programme/_save_button.html", context={"session_id": session_id, "saved": saved})
    form = await request.form()
    return Redirect(safe_next_path(form_text(form, "next"), f"/sessions/{session_id}"), status_code=303)


async def _my_agenda(
    request: Request, db_session: DbSession, agenda_meetings: AgendaMeetings, template: str
) -> Template:
    """Saved sessions, booked site visits and business meetings by day; anything overlapping another is a clash."""
    current = await programme.current_programme(schedule_cache(request))
    lines, gone = await programme.my_agenda(db_session, request.user.id, current)
    bookings = await tours.my_bookings(db_session, request.user.id, current.edition.id)
    meetings = await agenda_meetings(db_session, current.edition.id, request.user.id)
    unread = await notifications.unread(db_session, request.user.id)
    tz = current.schedule.zone if current.schedule else ZoneInfo(current.edition.timezone)
    combined = agenda.combine(lines, bookings, meetings, tz)
    days: list[Any] = combined.days
    if template == "programme/my_agenda.html":  # the page people wait on: its lines' HTML reused
        days = my_agenda_page.lines_html(request, current.release_id, tz, days)
    return page(
        request,
        template,
        edition=current.edition,
        days=days,
        gone=gone,
        clash_count=combined.clash_count,
        notifications=unread,
        tz=tz,
    )
