"""The online attendee's pages: now and next, the watch page with the player, the Q&A and polls (also for
phones in the room), the moderators' and the speaker's views, the live event stream and signed links."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Stream, Template

from ascc import clock
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import translate
from ascc.matching import meetings
from ascc.online import links, live, polls, providers, publishing
from ascc.online import questions as live_questions
from ascc.online import services as online
from ascc.programme import services as programme
from ascc.programme.schedule import COMMON_ZONES, zone
from ascc.security import CONTENT_SECURITY_POLICY, requires_login
from ascc.web import DbSession, form_errors, form_text, form_values, page, render, request_lang

CHANNEL_COOKIE = "ascc_channel"  # the viewer's last language channel, remembered for a year


# Online is built on the programme and on matching; what their pages need of it is wired in app.py.
def provide_streamed_channels() -> Callable[..., Awaitable[dict[int, list[str]]]]:
    """Which language channels stream each session, for the programme's session page."""
    return online.channels_by_session


def provide_room_link() -> Callable[[str, int, int, datetime], str]:
    """A short-lived signed link into a business meeting's video room (opened by /online/go), for matching."""
    return online.room_link


async def published(request: Request, session_id: int) -> tuple[programme.Programme, Any]:
    current = await programme.current_programme(request.app.state.schedule_cache)
    return current, programme.published_item(current, session_id)


async def viewer_of(
    request: Request, db_session: DbSession, session_id: int
) -> tuple[Any, Any, online.Viewer]:
    current, item = await published(request, session_id)
    if item.status == "cancelled":
        raise DomainError("error.online_session_cancelled", "cancelled", status=409)
    who = await online.viewer(db_session, current.edition.id, request.user, session_id)
    return current, item, who


def author_of(user: Any) -> str:
    return f"{user.display_name} · {user.organization_name}" if user.organization_name else user.display_name


def _player_policy(stream: Any) -> str:
    """The page's CSP: our own policy, plus the video providers' players and the chosen HLS stream's host."""
    sources = providers.origin(stream.url) if stream.provider == "hls" else ""
    return (
        CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {sources}".rstrip())
        + f"; frame-src {' '.join(providers.FRAME_ORIGINS)}; media-src 'self' blob: {sources}".rstrip()
    )


async def room_context(
    request: Request, db_session: DbSession, current: Any, item: Any, who: online.Viewer
) -> dict[str, Any]:
    """What the watch page and the Q&A page share: questions, polls, the banner, the viewer's votes (the
    questions and polls only for those who may take part)."""
    now = clock.now()
    shown = who.attendee
    settings = await online.settings_of(db_session, item.id)
    audience = replace(who, moderator=False)  # moderators judge on their own page; here they see what all see
    return {
        "item": item,
        "edition": current.edition,
        "tz": current.schedule.zone,
        "who": who,
        "settings": settings,
        # Questions close a quarter of an hour after the session, whatever the setting says.
        "qa_open": settings.qa_open and now <= item.ends_at + online.STREAM_MARGIN,
        "questions": await live_questions.questions_of(db_session, item.id, audience) if shown else [],
        "voted": await live_questions.my_votes(db_session, who.user_id, item.id),
        "polls": await polls.polls_of(db_session, item.id, include_drafts=False) if shown else [],
        "my_polls": await polls.my_poll_votes(db_session, who.user_id, item.id),
        "announcement": await polls.current_announcement(db_session, current.edition.id, now),
        "live_now": item.starts_at <= now < item.ends_at,
        "over": item.ends_at <= now,
        "now": now,
        "now_iso": now.isoformat(),
        "limit": live_questions.QUESTION_MAX,
    }


class OnlinePages(Controller):
    include_in_schema = False

    @get("/now")
    async def now_and_next(
        self, request: Request, db_session: DbSession, tz: FromQuery[str | None] = None
    ) -> Template:
        """What is live and what comes next, in the viewer's own zone (?tz=, chosen from the browser's)."""
        current = await programme.current_programme(request.app.state.schedule_cache)
        now = clock.now()
        schedule = current.schedule
        view_zone = zone(tz) or (schedule.zone if schedule else ZoneInfo(current.edition.timezone))
        found = online.now_and_next(schedule.items if schedule else (), now)
        shown = [i.id for i in (*found.live, *found.next)]
        return page(
            request,
            "online/now.html",
            edition=current.edition,
            found=found,
            channels=await online.channels_by_session(db_session, shown),
            announcement=await polls.current_announcement(db_session, current.edition.id, now),
            tz=view_zone,
            tz_name=tz if zone(tz) else None,
            zone_chosen=tz is not None,  # "conference time" (tz=) is a choice too: no automatic switch then
            zones=COMMON_ZONES,
            now=now,
            now_iso=now.isoformat(),
            _has_partial=False,
        )

    @get("/now/live")
    async def now_stream(self, request: Request, db_session: DbSession) -> Stream:
        """Announcements for the now-and-next page (anyone may read a banner)."""
        current = await programme.current_programme(request.app.state.schedule_cache)
        await db_session.close()  # the stream lives long and needs no database
        return _event_stream(request, [live.announcement_channel(current.edition.id, request_lang(request))])

    @get("/sessions/{session_id:int}/watch", guards=[requires_login])
    async def watch(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        channel: FromQuery[str | None] = None,
    ) -> Template:
        current, item, who = await viewer_of(request, db_session, session_id)
        streams = await online.streams_of(db_session, session_id)
        context = await room_context(request, db_session, current, item, who)
        player = None
        chosen = None
        # Outside its time the stream is not offered (recordings are); people on stage may check it before.
        if who.attendee and streams and (online.stream_open(item, clock.now()) or who.on_stage):
            chosen = online.choose_channel(
                [s.channel for s in streams],
                channel or request.cookies.get(CHANNEL_COOKIE),
                request_lang(request),
                who.interpretation,
            )
            stream = next(s for s in streams if s.channel == chosen)
            settings = request.app.state.settings
            player = {
                "provider": stream.provider,
                "link": online.stream_link(settings.secret_key, stream, request.user.id, clock.now()),
                "channel": chosen,
            }
        response = page(
            request,
            "online/watch.html",
            streams=streams,
            channels=[s.channel for s in streams],
            chosen=chosen,
            player=player,
            materials=await programme.available_materials(db_session, current.edition, session_id),
            opens_at=item.starts_at - online.STREAM_MARGIN,
            _has_partial=False,
            **context,
        )
        if player is not None:
            response.headers["content-security-policy"] = _player_policy(stream)
        response.headers["cache-control"] = "private, no-store"
        if channel in providers.CHANNELS and channel == chosen:
            response.set_cookie(CHANNEL_COOKIE, channel, max_age=365 * 86400, httponly=True, samesite="lax")
        return response

    @get("/sessions/{session_id:int}/watch/open", guards=[requires_login])
    async def open_stream(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        channel: FromQuery[str | None] = None,
    ) -> Redirect:
        """The stream in its own tab (or an external meeting link) through a fresh signed link."""
        _, _, who = await viewer_of(request, db_session, session_id)
        online.require_attendee(who)
        streams = await online.streams_of(db_session, session_id)
        stream = next((s for s in streams if s.channel == channel), streams[0] if streams else None)
        if stream is None:
            raise NotFound("stream")
        settings = request.app.state.settings
        return Redirect(
            online.stream_link(settings.secret_key, stream, request.user.id, clock.now()),
            status_code=303,
        )

    @get("/sessions/{session_id:int}/qa", guards=[requires_login])
    async def qa(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> Template:
        current, item, who = await viewer_of(request, db_session, session_id)
        context = await room_context(request, db_session, current, item, who)
        return page(request, "online/qa.html", _has_partial=False, **context)

    @get("/sessions/{session_id:int}/qa/moderate", guards=[requires_login])
    async def moderate_page(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template:
        current, item, who = await viewer_of(request, db_session, session_id)
        online.require_moderator(who)
        return await _moderate_page(request, db_session, current, item, who)

    @get("/sessions/{session_id:int}/qa/speaker", guards=[requires_login])
    async def speaker_view(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template:
        """Big type for the stage: the approved questions, most votes first, updated live."""
        _current, item, who = await viewer_of(request, db_session, session_id)
        online.require_on_stage(who)
        audience = replace(who, moderator=False)  # what the audience sees, without anyone's pending ones
        questions = [
            q
            for q in await live_questions.questions_of(db_session, session_id, audience)
            if q.status != "pending"
        ]
        return page(request, "online/speaker.html", item=item, questions=questions, _has_partial=False)

    @get("/sessions/{session_id:int}/consent", guards=[requires_login])
    async def consent(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> Template:
        """The speakers' own word on recording the session and publishing each of its materials."""
        current, item, who = await viewer_of(request, db_session, session_id)
        online.require_on_stage(who)
        recording, materials = await programme.assets_of(db_session, current.edition.id, session_id)
        return page(
            request,
            "online/consent.html",
            item=item,
            recording=recording,
            materials=materials,
            saved=request.query_params.get("saved") == "1",
            _has_partial=False,
        )

    @post("/sessions/{session_id:int}/consent", guards=[requires_login])
    async def save_consent(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Redirect:
        current, _, who = await viewer_of(request, db_session, session_id)
        online.require_on_stage(who)
        form = await request.form()
        _, materials = await programme.assets_of(db_session, current.edition.id, session_id)
        await programme.set_speakers_consent(
            db_session,
            current.edition.id,
            session_id,
            form_text(form, "recording") or "allowed",
            {m.id for m in materials if form_text(form, f"publish_{m.id}") == "1"},
        )
        return Redirect(f"/sessions/{session_id}/consent?saved=1", status_code=303)

    @get("/sessions/{session_id:int}/live", guards=[requires_login])
    async def live_stream(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        view: FromQuery[str | None] = None,
    ) -> Stream:
        """The session's events: questions and polls (the moderators' channel with ?view=moderate), and the
        edition's announcements, in the viewer's language."""
        current, _item, who = await viewer_of(request, db_session, session_id)
        online.require_attendee(who)
        lang = request_lang(request)
        if view == "moderate":
            online.require_moderator(who)
            channel = live.moderator_channel(session_id, lang)
        else:
            channel = live.attendee_channel(session_id, lang)
        await db_session.close()  # the stream lives long; each check opens its own database session
        user, moderate = request.user, view == "moderate"

        async def still_allowed() -> bool:
            try:
                latest = await programme.current_programme(request.app.state.schedule_cache)
                async with request.app.state.session_maker() as session:
                    again = await online.viewer(session, current.edition.id, user, session_id)
            except Exception:  # the database away for a moment: keep the viewer, ask again later
                return True
            shown = latest.schedule.by_id.get(session_id) if latest.schedule else None
            if shown is None or shown.status == "cancelled":
                return False
            return again.attendee and (again.moderator or not moderate)

        return _event_stream(
            request, [channel, live.announcement_channel(current.edition.id, lang)], still_allowed
        )

    @post("/sessions/{session_id:int}/questions", guards=[requires_login])
    async def ask(
        self, request: HTMXRequest, db_session: DbSession, session_id: FromPath[int]
    ) -> Response | Redirect:
        """Ask from the page. htmx gets the new question's fragment (or the error text, 4xx); without
        JavaScript the page comes back."""
        _, item, who = await viewer_of(request, db_session, session_id)
        form = await request.form()
        back = (
            f"/sessions/{session_id}/qa"
            if form_text(form, "from") == "qa"
            else f"/sessions/{session_id}/watch"
        )
        try:
            question = await live_questions.ask(
                db_session,
                who,
                session_id,
                form_text(form, "body"),
                bool(form_text(form, "anonymous")),
                author_of(request.user),
                item,
                clock.now(),
            )
        except DomainError as exc:
            await db_session.rollback()
            message = translate(request_lang(request), exc.message, **exc.params)
            if request.htmx:
                return Response(message, status_code=exc.status_code, media_type="text/plain")
            raise
        await db_session.commit()
        await publishing.question_changed(request.app, question, was_shown=False)
        if request.htmx:
            html = render(request, "online/_question.html", q=question, voted=set(), mine=True)
            return Response(html, media_type="text/html", status_code=200)
        return Redirect(f"{back}?asked=1#questions", status_code=303)

    @post("/sessions/{session_id:int}/questions/{question_id:int}/moderate", guards=[requires_login])
    async def moderate(
        self,
        request: HTMXRequest,
        db_session: DbSession,
        session_id: FromPath[int],
        question_id: FromPath[int],
    ) -> Response | Redirect:
        _, _, who = await viewer_of(request, db_session, session_id)
        form = await request.form()
        question = await live_questions.get_question(db_session, question_id)
        if question.session_id != session_id:
            raise NotFound("question")
        answer = form_text(form, "answer") if "answer" in form else None
        was_shown = question.status in publishing.SHOWN
        question = await live_questions.moderate(
            db_session, who, question_id, form_text(form, "action"), answer, clock.now(), request.user
        )
        await db_session.commit()
        await publishing.question_changed(request.app, question, was_shown)
        if request.htmx:
            return Response(
                render(request, "online/_question_mod.html", q=question),
                media_type="text/html",
                status_code=200,
            )
        return Redirect(f"/sessions/{session_id}/qa/moderate#q-{question_id}", status_code=303)

    @post("/sessions/{session_id:int}/polls", guards=[requires_login])
    async def create_poll(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        current, item, who = await viewer_of(request, db_session, session_id)
        form = await request.form()
        values = form_values(form, "question_en", "question_ja", "options")
        try:
            poll = await polls.create_poll(
                db_session, who, session_id, values, open_now=form_text(form, "open") != ""
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _moderate_page(
                request, db_session, current, item, who, form_errors(request, exc), values, exc.status_code
            )
        await db_session.commit()
        await publishing.poll_changed(request.app, poll.id)
        return Redirect(f"/sessions/{session_id}/qa/moderate#poll-{poll.id}", status_code=303)

    @post("/polls/{poll_id:int}/status", guards=[requires_login])
    async def poll_status(
        self, request: HTMXRequest, db_session: DbSession, poll_id: FromPath[int]
    ) -> Response | Redirect:
        poll = await polls.get_poll(db_session, poll_id)
        _, _, who = await viewer_of(request, db_session, poll.session_id)
        form = await request.form()
        poll = await polls.set_poll_status(db_session, who, poll_id, form_text(form, "status"))
        await db_session.commit()
        await publishing.poll_changed(request.app, poll.id)
        if request.htmx:  # the moderators' pages get the change over the stream
            return Response(b"", status_code=204)
        return Redirect(f"/sessions/{poll.session_id}/qa/moderate#poll-{poll.id}", status_code=303)

    @post("/polls/{poll_id:int}/vote", guards=[requires_login])
    async def poll_vote(self, request: Request, db_session: DbSession, poll_id: FromPath[int]) -> Redirect:
        """A vote without JavaScript (the page's script uses the API and stays in place)."""
        poll = await polls.get_poll(db_session, poll_id)
        _, _, who = await viewer_of(request, db_session, poll.session_id)
        form = await request.form()
        await polls.vote_in_poll(db_session, who, poll_id, form_text(form, "option"))
        await db_session.commit()
        publishing.poll_votes_changed(request.app, poll_id)
        back = "qa" if form_text(form, "from") == "qa" else "watch"
        return Redirect(f"/sessions/{poll.session_id}/{back}#poll-{poll_id}", status_code=303)

    @get("/online/go/{token:str}")
    async def go(self, request: Request, db_session: DbSession, token: FromPath[str]) -> Response | Redirect:
        """A signed link: checked, then sent on to the stream or the meeting room (or, asked for JSON, the
        address a player loads). The person must still be allowed in at this moment."""
        now = clock.now()
        try:
            claim = links.verify(request.app.state.settings.secret_key, token, now.timestamp())
        except links.LinkRefused as exc:
            raise DomainError(f"error.link_{exc.reason}", "link_refused", status=403) from None
        # Made for one person: it works only in their own signed-in browser (the player's fetch and the
        # redirect are same-origin, so the session cookie is always there).
        if request.user is None or request.user.id != claim.user_id:
            raise DomainError("error.link_forged", "link_refused", status=403)
        user = request.user
        if claim.kind == "stream":
            stream = await online.stream_by_id(db_session, claim.target_id)
            if stream is None:
                raise DomainError("error.link_forged", "link_refused", status=403)
            current, item = await published(request, stream.session_id)
            if item.status == "cancelled":
                raise DomainError("error.online_session_cancelled", "cancelled", status=403)
            who = await online.viewer(db_session, current.edition.id, user, stream.session_id)
            online.require_attendee(who)
            if not (online.stream_open(item, now) or who.on_stage):
                raise DomainError("error.stream_not_live", "not_live", status=403)
            provider, address = stream.provider, providers.player_url(stream.provider, stream.url)
        elif claim.kind == "room":
            current = await programme.current_programme(request.app.state.schedule_cache)
            provider = "external"
            address = await meetings.room_address(
                db_session, current.edition.id, claim.target_id, user.id, user.is_organizer, now
            )
        else:  # a network meeting's link is opened by /network/go
            raise DomainError("error.link_forged", "link_refused", status=403)
        headers = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
        if "application/json" in request.headers.get("accept", ""):
            return Response({"provider": provider, "url": address}, headers=headers)
        return Redirect(address, status_code=303, headers=headers)


async def _moderate_page(
    request: Request,
    db_session: DbSession,
    current: Any,
    item: Any,
    who: online.Viewer,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "online/moderate.html",
        status_code=status_code,
        item=item,
        edition=current.edition,
        tz=current.schedule.zone,
        who=who,
        settings=await online.settings_of(db_session, item.id),
        questions=await live_questions.questions_of(db_session, item.id, who),
        polls=await polls.polls_of(db_session, item.id, include_drafts=True),
        errors=errors or {},
        values=values or {},
        _has_partial=False,
    )


def _event_stream(request: Request, channels: list[str], still_allowed: Any = None) -> Stream:
    return Stream(
        live.events(request.app, channels, still_allowed),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
