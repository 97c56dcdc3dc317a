"""The organizers' online desk: announcements, each session's streams and Q&A settings, and attendance
(online viewers minute by minute beside the door's check-ins, viewing time per person, CSV)."""

from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import clock
from ascc.badges import figures
from ascc.csv_export import to_csv
from ascc.errors import ValidationFailed
from ascc.i18n import translate
from ascc.online import charts, polls, providers, publishing, viewing
from ascc.online import services as online
from ascc.programme import services as programme
from ascc.programme.schedule import Item
from ascc.security import requires_organizer
from ascc.web import DbSession, form_errors, form_text, form_values, page, request_lang


async def _current(request: Request) -> programme.Programme:
    return await programme.current_programme(request.app.state.schedule_cache)


def _item(current: programme.Programme, session_id: int) -> Item:
    return programme.published_item(current, session_id)


async def _overview(
    request: Request, db_session: DbSession, errors: dict[str, str] | None = None, values: dict | None = None
) -> Template:
    current = await _current(request)
    items = list(current.schedule.items) if current.schedule else []
    ids = [i.id for i in items]
    return page(
        request,
        "organizer/online.html",
        status_code=422 if errors else 200,
        edition=current.edition,
        items=items,
        tz=current.schedule.zone if current.schedule else None,
        channels=await online.channels_by_session(db_session, ids),
        figures=await viewing.figures(db_session, ids),
        at_door=await figures.session_check_ins(db_session, current.edition.id),
        announcement=await polls.current_announcement(db_session, current.edition.id, clock.now()),
        announcements=await polls.recent_announcements(db_session, current.edition.id),
        now=clock.now(),
        errors=errors or {},
        values=values or {"minutes": "15"},
        _has_partial=False,
    )


async def _session_page(
    request: Request,
    db_session: DbSession,
    session_id: int,
    errors: dict[str, str] | None = None,
    values: dict | None = None,
    status_code: int = 200,
) -> Template:
    current = await _current(request)
    item = _item(current, session_id)
    assert current.schedule is not None  # _item found the session in it
    streams = await online.streams_of(db_session, session_id)
    lang = request_lang(request)
    arrivals = await figures.arrivals(db_session, current.edition.id, session_id)
    recording, _ = await programme.assets_of(db_session, current.edition.id, session_id)
    svg = charts.attendance_svg(
        item.starts_at,
        item.ends_at,
        current.edition.timezone,
        await viewing.viewers_per_minute(db_session, session_id),
        arrivals,
        (translate(lang, "online.watching_online"), translate(lang, "online.checked_in_room")),
    )
    return page(
        request,
        "organizer/online_session.html",
        status_code=status_code,
        edition=current.edition,
        item=item,
        tz=current.schedule.zone,
        streams={s.channel: s for s in streams},
        channels=providers.CHANNELS,
        settings=await online.settings_of(db_session, session_id),
        recording=recording,
        figures=(await viewing.figures(db_session, [session_id]))[session_id],
        at_door=len(arrivals),
        watchers=await viewing.watchers(db_session, current.edition.id, session_id),
        chart=svg,
        errors=errors or {},
        values=values or {f"stream_{s.channel}": s.url for s in streams},
        _has_partial=False,
    )


class OnlineAdminPages(Controller):
    path = "/organizer/online"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def overview(self, request: Request, db_session: DbSession) -> Template:
        return await _overview(request, db_session)

    @post("/announcements")
    async def announce(self, request: Request, db_session: DbSession) -> Template | Redirect:
        current = await _current(request)
        values = form_values(await request.form(), "text_en", "text_ja", "minutes")
        try:
            await polls.announce(
                db_session, current.edition.id, request.user.id, values, clock.now(), request.user
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _overview(request, db_session, form_errors(request, exc), values)
        await db_session.commit()
        await publishing.announcement_changed(request.app, current.edition.id)
        return Redirect("/organizer/online/?notice=announced", status_code=303)

    @post("/announcements/{announcement_id:int}/withdraw")
    async def withdraw(
        self, request: Request, db_session: DbSession, announcement_id: FromPath[int]
    ) -> Redirect:
        current = await _current(request)
        await polls.withdraw(db_session, current.edition.id, announcement_id, clock.now(), request.user)
        await db_session.commit()
        await publishing.announcement_changed(request.app, current.edition.id)
        return Redirect("/organizer/online/", status_code=303)

    @get("/sessions/{session_id:int}")
    async def session(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> Template:
        return await _session_page(request, db_session, session_id)

    @post("/sessions/{session_id:int}/streams")
    async def save_streams(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        current = await _current(request)
        item = _item(current, session_id)
        form = await request.form()
        values = form_values(form, *(f"stream_{c}" for c in providers.CHANNELS))
        try:
            await online.save_streams(
                db_session,
                session_id,
                {c: values[f"stream_{c}"] for c in providers.CHANNELS},
                request.user,
                current.edition.id,
                item.title_en,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _session_page(
                request, db_session, session_id, form_errors(request, exc), values, 422
            )
        return Redirect(f"/organizer/online/sessions/{session_id}?notice=saved", status_code=303)

    @post("/sessions/{session_id:int}/settings")
    async def save_settings(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Redirect:
        current = await _current(request)
        item = _item(current, session_id)
        form = await request.form()
        await online.save_settings(
            db_session,
            session_id,
            qa_open=bool(form_text(form, "qa_open")),
            qa_moderated=bool(form_text(form, "qa_moderated")),
            actor=request.user,
            edition_id=current.edition.id,
            label=item.title_en,
        )
        await programme.set_recording_consent(
            db_session, current.edition.id, session_id, form_text(form, "recording") or "allowed"
        )
        await db_session.commit()
        await publishing.qa_state_changed(request.app, session_id, bool(form_text(form, "qa_open")))
        return Redirect(f"/organizer/online/sessions/{session_id}?notice=saved", status_code=303)

    @get("/sessions/{session_id:int}/attendance.csv")
    async def attendance_csv(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Response:
        current = await _current(request)
        item = _item(current, session_id)
        assert current.schedule is not None  # _item found the session in it
        tz = current.schedule.zone

        def local(moment: datetime) -> str:
            return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

        rows = [
            [w.name, w.organization, w.mode, str(w.minutes), local(w.first), local(w.last)]
            for w in await viewing.watchers(db_session, current.edition.id, session_id)
        ]
        body = to_csv(["name", "organization", "registration", "minutes", "first_seen", "last_seen"], rows)
        return Response(
            body,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="viewing-session-{item.id}.csv"'},
        )
