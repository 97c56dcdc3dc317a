"""Calendar pages, files and the schedule exports; the feed's API."""

import hashlib
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc.calendar import exports
from ascc.calendar import services as calendar
from ascc.editions import services as editions
from ascc.errors import NotFound
from ascc.front_cache import cacheable
from ascc.ical import bilingual
from ascc.matching import meetings
from ascc.programme import services as programme
from ascc.programme.schedule import Schedule
from ascc.security import requires_login
from ascc.web import DbSession, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

ICS = "text/calendar"  # Litestar adds "; charset=utf-8"
FEED_CACHE_SECONDS = 60  # a rebuilt feed is at most this old; calendars poll hourly at best


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _answer(
    request: Request,
    body: bytes,
    media_type: str,
    etag: str | None = None,
    filename: str | None = None,
    public: bool = True,
) -> Response:
    """The body, or 304 when the client already holds this version (If-None-Match)."""
    etag = etag or _etag(body)
    headers = {
        "etag": etag,
        # Public files may sit in shared caches; a personal feed may not.
        "cache-control": "public, max-age=300" if public else "private, max-age=300",
    }
    if filename:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    sent = request.headers.get("if-none-match", "")
    # Weak comparison (RFC 9110 13.1.2): a proxy may have turned the tag into W/"...".
    if etag in {tag.strip().removeprefix("W/") for tag in sent.split(",")} or sent.strip() == "*":
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


async def _current(request: Request) -> programme.Programme:
    return await programme.current_programme(request.app.state.schedule_cache)


async def _export(
    request: Request, kind: str, build: Callable[[programme.Programme, Schedule], bytes]
) -> tuple[bytes, str]:
    """An export of the current release, built once per release and worker (a release never changes)."""
    current = await _current(request)
    if current.schedule is None:
        raise NotFound("programme")
    cache = request.app.state.calendar_exports
    key = (kind, current.release_id, _base(request))
    cached = cache.get(key)
    if cached is None:
        body = build(current, current.schedule)
        cached = (body, _etag(body))
        cache.put(key, cached)
    return cached


class CalendarFiles(Controller):
    """Files calendars and conference apps read; the personal feed needs no sign-in, only its secret."""

    include_in_schema = False

    @get("/calendar/feed/{token:str}/calendar.ics")
    async def feed(self, request: Request, token: FromPath[str]) -> Response:
        store = request.app.stores.get("cache")
        key = calendar.cache_key(token)
        cached = await store.get(key)
        if cached is None:
            async with request.app.state.session_maker() as session:
                user_id = await calendar.user_for_token(session, token)
                if user_id is None:
                    raise NotFoundException()  # unknown, malformed or revoked: the answer of any unknown URL
                current = await _current(request)
                name = bilingual(f"My {current.edition.name_en}", f"{current.edition.name_ja}（マイ予定）")
                body = await calendar.feed_body(session, current, user_id, _base(request), name)
                await session.commit()
            cached = body
            await store.set(key, body, expires_in=FEED_CACHE_SECONDS)
            # A new address may have been committed while this one was being built, after its cache entry
            # was dropped: look again now that ours is stored, so the old address cannot live on in the cache.
            async with request.app.state.session_maker() as session:
                if await calendar.user_for_token(session, token) is None:
                    await store.delete(key)
                    raise NotFoundException()
        return _answer(request, cached, ICS, public=False)

    @get("/calendar/program.ics", opt=cacheable("programme"))  # the release's (ascc.front_cache)
    async def programme_ics(self, request: Request) -> Response:
        body, etag = await _export(
            request, "ics", lambda current, _schedule: calendar.programme_calendar(current, _base(request))
        )
        return _answer(request, body, ICS, etag, filename="ascc-programme.ics")

    @get("/sessions/{session_id:int}/calendar.ics", name="calendar.session_ics")
    async def session_ics(self, request: Request, session_id: FromPath[int]) -> Response:
        current = await _current(request)
        item = programme.published_item(current, session_id)
        body = calendar.one_session(current, item, _base(request))
        return _answer(request, body, ICS, filename=f"session-{session_id}.ics")

    @get("/tours/courses/{course_id:int}/calendar.ics", name="calendar.course_ics")
    async def course_ics(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
    ) -> Response:
        body = await calendar.course_calendar(db_session, current_edition, course_id, _base(request))
        return _answer(request, body, ICS, filename=f"tour-course-{course_id}.ics")

    @get("/matching/meetings/{meeting_id:int}/calendar.ics", guards=[requires_login])
    async def meeting_ics(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        meeting_id: FromPath[int],
    ) -> Response:
        meeting = await meetings.get_meeting(db_session, meeting_id, current_edition.id)
        user = request.user
        if meeting.slot is None or not await meetings.visible_to(
            db_session, meeting, user.id, user.is_organizer
        ):
            raise NotFound("meeting")
        body = await calendar.meeting_calendar(db_session, current_edition, meeting, _base(request))
        return _answer(request, body, ICS, filename=f"meeting-{meeting_id}.ics", public=False)


class ScheduleExports(Controller):
    tags = ["calendar"]

    @get(
        "/schedule.json",
        opt=cacheable("programme"),
        summary="The published programme as c3voc schedule.json v1 (ETag; If-None-Match answers 304)",
        media_type="application/json",
    )
    async def schedule_json(self, request: Request) -> Response:
        def build(current: programme.Programme, schedule: Schedule) -> bytes:
            conference = calendar.conference_of(current.edition, _base(request))
            data = exports.schedule_json(conference, schedule)
            return json.dumps(data, ensure_ascii=False, indent=1).encode()

        body, etag = await _export(request, "json", build)
        return _answer(request, body, "application/json", etag)

    @get(
        "/schedule.xml",
        opt=cacheable("programme"),
        summary="The published programme as frab schedule.xml (ETag; If-None-Match answers 304)",
        media_type="application/xml",
    )
    async def schedule_xml(self, request: Request) -> Response:
        def build(current: programme.Programme, schedule: Schedule) -> bytes:
            return exports.schedule_xml(calendar.conference_of(current.edition, _base(request)), schedule)

        body, etag = await _export(request, "xml", build)
        return _answer(request, body, "application/xml", etag)


class CalendarPages(Controller):
    guards = [requires_login]
    include_in_schema = False

    @get("/calendar")
    async def my_calendar(self, request: Request, db_session: DbSession) -> Template:
        feed = await calendar.feed_of(db_session, request.user.id)
        current = await _current(request)
        items = await calendar.plan_items(db_session, current, request.user.id, _base(request))
        return page(
            request,
            "calendar/mine.html",
            urls=calendar.feed_urls(_base(request), feed.token),
            items=items,
            edition=current.edition,
            tz=ZoneInfo(current.edition.timezone),
            rotated=request.query_params.get("rotated") == "1",
        )

    @post("/calendar/rotate")
    async def rotate(self, request: Request, db_session: DbSession) -> Redirect:
        old, _feed = await calendar.rotate(db_session, request.user.id)
        await _forget(request, db_session, old)
        return Redirect("/calendar?rotated=1", status_code=303)

    @post("/calendar/revoke")
    async def revoke(self, request: Request, db_session: DbSession) -> Redirect:
        await _revoke(request, db_session)
        return Redirect("/calendar/revoked", status_code=303)

    @get("/calendar/revoked")
    async def revoked(self, request: Request) -> Template:
        return page(request, "calendar/revoked.html")


async def _revoke(request: Request, db_session: DbSession) -> None:
    await _forget(request, db_session, await calendar.revoke(db_session, request.user.id))


async def _forget(request: Request, db_session: DbSession, old_token: str | None) -> None:
    """Commit the new state first, then drop the old address's cached feed (see the feed's re-check)."""
    await db_session.commit()
    if old_token:
        await request.app.stores.get("cache").delete(calendar.cache_key(old_token))


class CalendarApi(Controller):
    path = "/api/v1/me/calendar-feed"
    tags = ["calendar"]
    guards = [requires_login]

    @get(summary="My personal calendar feed: its secret https URL and the webcal:// one (made on first use)")
    async def show(self, request: Request, db_session: DbSession) -> dict[str, str]:
        feed = await calendar.feed_of(db_session, request.user.id)
        return calendar.feed_urls(_base(request), feed.token)

    @post(
        "/rotate", status_code=200, summary="Replace the feed's address; the old one answers 404 from now on"
    )
    async def rotate(self, request: Request, db_session: DbSession) -> dict[str, str]:
        old, feed = await calendar.rotate(db_session, request.user.id)
        await _forget(request, db_session, old)
        return calendar.feed_urls(_base(request), feed.token)

    @delete(status_code=204, summary="Revoke the feed: its address answers 404 until a new one is asked for")
    async def revoke(self, request: Request, db_session: DbSession) -> None:
        await _revoke(request, db_session)
