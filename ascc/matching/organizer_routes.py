"""Business matching for organizers: settings, sessions, the capacity picture, "schedule all" with progress,
meetings (lock, interpreter, check-in, follow-ups) and the table plan."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ascc import dates
from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.i18n import translate
from ascc.matching import meeting_requests, meetings, placement, planning, printouts, tracking
from ascc.matching import services as matching
from ascc.matching.models import FOLLOW_UP_MONTHS, FOLLOW_UPS, STATUSES
from ascc.security import requires_role
from ascc.web import DbSession, form_errors, form_list, form_values, page, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

requires_organizer = requires_role("organizer")
SESSION_FIELDS = (
    "name_en",
    "name_ja",
    "day",
    "starts",
    "ends",
    "slot_minutes",
    "break_minutes",
    "tables",
    "location_en",
    "location_ja",
    "online_rooms",
)


def _meeting_view(meeting: Any) -> dict[str, Any]:
    """What organizers change on a meeting, for the audit log (never the online room's secret name)."""
    view = audit.snapshot(
        meeting, ("status", "locked", "interpreter_needed", "interpreter", "checked_in_at", "place_number")
    )
    view["slot"] = meeting.slot.starts_at if meeting.slot else None
    return audit.changes(None, view)[1] or {}


async def start_run_job(request: Request, run_id: int) -> None:
    """The run goes on after the answer; its progress is in the database for any worker to show."""
    await request.app.state.jobs.start("scheduler_run", run_id=run_id)


async def _overview(
    request: Request,
    db_session: DbSession,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    editing: int | None = None,
) -> Template:
    edition = await editions.require_current(db_session)
    await tracking.sweep_no_shows(db_session, edition.id)
    run = await planning.latest_run(db_session, edition.id)
    return page(
        request,
        "organizer/matching.html",
        status_code=status_code,
        edition=edition,
        settings=await matching.get_settings(db_session, edition.id),
        sessions=await matching.list_sessions(db_session, edition.id),
        picture=await planning.capacity_picture(db_session, edition.id),
        counts=await tracking.status_counts(db_session, edition.id),
        run=run,
        left_out=await _left_out(db_session, run),
        categories=matching.CATEGORIES,
        errors=errors or {},
        values=values or {"slot_minutes": "25", "break_minutes": "5"},
        editing=editing,
    )


async def _left_out(db_session: DbSession, run: Any) -> list[tuple[Any, str]]:
    if run is None or run.status != "done":
        return []
    entries = run.result.get("left_out", [])[:300]
    found = {m.id: m for m in await meetings.meetings_by_ids(db_session, [e["id"] for e in entries])}
    return [
        (found[e["id"]], e["reason"])
        for e in entries
        if e["id"] in found and found[e["id"]].status == "accepted"
    ]


class MatchingAdminPages(Controller):
    path = "/organizer/matching"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def overview(self, request: Request, db_session: DbSession) -> Template:
        return await _overview(request, db_session)

    @post("/settings")
    async def save_settings(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = form_values(
            form, "meeting_limit", "video_base_url", "instant", "requests_open"
        )
        values["pairs"] = form_list(form, "pairs")
        try:
            await matching.save_settings(db_session, current_edition.id, values, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _overview(request, db_session, form_errors(request, exc), status_code=422)
        return Redirect("/organizer/matching", status_code=303)

    @post("/sessions")
    async def create_session(self, request: Request, db_session: DbSession) -> Template | Redirect:
        return await _save_session(request, db_session, None)

    @get("/sessions/{session_id:int}")
    async def edit_session(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        session_id: FromPath[int],
    ) -> Template:
        found = await matching.get_session(db_session, current_edition.id, session_id)
        tz = ZoneInfo(current_edition.timezone)
        values = {k: str(getattr(found, k)) for k in SESSION_FIELDS if hasattr(found, k)}
        values["day"] = found.starts_at.astimezone(tz).strftime("%Y-%m-%d")
        values["starts"] = found.starts_at.astimezone(tz).strftime("%H:%M")
        values["ends"] = found.ends_at.astimezone(tz).strftime("%H:%M")
        return await _overview(request, db_session, values=values, editing=session_id)

    @post("/sessions/{session_id:int}")
    async def update_session(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_session(request, db_session, session_id)

    @post("/sessions/{session_id:int}/delete")
    async def delete_session(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        session_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            await matching.delete_session(db_session, current_edition.id, session_id, request.user)
        except DomainError as exc:
            await db_session.rollback()
            message = translate(request_lang(request), exc.message, **exc.params)
            return await _overview(request, db_session, {"sessions": message}, status_code=exc.status_code)
        return Redirect("/organizer/matching", status_code=303)

    @post("/schedule")
    async def schedule_all(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        try:
            run = await planning.start_run(db_session, current_edition.id, request.user.id, request.user)
        except DomainError as exc:
            await db_session.rollback()
            message = translate(request_lang(request), exc.message, **exc.params)
            return await _overview(request, db_session, {"run": message}, status_code=exc.status_code)
        await db_session.commit()  # the job reads the run from its own session
        await start_run_job(request, run.id)
        return Redirect("/organizer/matching#run", status_code=303)

    @get("/runs/{run_id:int}")
    async def run_status(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, run_id: FromPath[int]
    ) -> Template:
        """The run's box, polled by htmx while it runs (any worker can answer: the progress is stored)."""
        run = await planning.get_run(db_session, current_edition.id, run_id)
        return page(
            request, "organizer/_matching_run.html", run=run, left_out=await _left_out(db_session, run)
        )

    @get("/meetings")
    async def list_meetings(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        status: FromQuery[str] = "",
        page_number: FromQuery[int] = 1,
    ) -> Template:
        size = 200
        found, total = await tracking.list_meetings(
            db_session,
            current_edition.id,
            status if status in STATUSES else None,
            size,
            (max(page_number, 1) - 1) * size,
        )
        ids = [m.id for m in found]
        return page(
            request,
            "organizer/matching_meetings.html",
            edition=current_edition,
            meetings=found,
            total=total,
            status=status,
            statuses=STATUSES,
            page_number=max(page_number, 1),
            pages=(total + size - 1) // size,
            feedback=await tracking.feedback_of(db_session, ids),
            follow_ups=await tracking.follow_ups_of(db_session, ids),
            months=FOLLOW_UP_MONTHS,
            follow_up_statuses=FOLLOW_UPS,
        )

    @post("/meetings/{meeting_id:int}/{action:str}")
    async def act(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        meeting_id: FromPath[int],
        action: FromPath[str],
    ) -> Redirect:
        form = await request.form()
        values = form_values(form, "locked", "needed", "interpreter", "month", "status", "note", "back")
        before = _meeting_view(await meetings.get_meeting(db_session, meeting_id, current_edition.id))
        if action == "lock":
            await tracking.set_locked(db_session, current_edition.id, meeting_id, values["locked"] == "1")
        elif action == "interpreter":
            await tracking.set_interpretation(
                db_session,
                current_edition.id,
                meeting_id,
                values["needed"] == "1",
                values["interpreter"].strip(),
            )
        elif action == "check-in":
            await tracking.mark_held(
                db_session, await meetings.get_meeting(db_session, meeting_id, current_edition.id)
            )
        elif action == "follow-up":
            await tracking.record_follow_up(
                db_session, current_edition.id, meeting_id, request.user.id, values
            )
        elif action == "cancel":
            await meeting_requests.cancel(
                db_session,
                current_edition,
                meeting_id,
                request.user.id,
                True,
                request.app.state.settings.base_url,
            )
        else:
            raise DomainError("error.choice_invalid", "invalid", field="action", status=404)
        await db_session.flush()
        meeting = await meetings.get_meeting(db_session, meeting_id, current_edition.id)
        after = _meeting_view(meeting)
        if action == "follow-up":
            # The note is free text: the log says only that there was one.
            note = " (note)" if values["note"] else ""
            after["follow_up"] = f"{values['month']}: {values['status']}{note}"
        await audit.record(
            db_session,
            request.user,
            "matching.meeting",
            "meeting",
            meeting.id,
            f"{meeting.requester.name_latin} ↔ {meeting.recipient.name_latin} ({action})",
            before=before,
            after=after,
            edition_id=current_edition.id,
        )
        back = (
            values["back"]
            if values["back"].startswith("/organizer/matching")
            else "/organizer/matching/meetings"
        )
        return Redirect(back, status_code=303)

    @get("/table-plan.pdf")
    async def table_plan(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response:
        lang = request_lang(request)
        sections = []
        for slot, held in await tracking.table_plan(db_session, current_edition.id):
            name = slot.session.name_ja if lang == "ja" else slot.session.name_en
            when = dates.format_range(slot.starts_at, slot.ends_at, lang, current_edition.timezone)
            heading = f"{when} · {name}"
            rows = [
                (
                    meetings.place_label(m, "en").split(",")[0],
                    f"{m.requester.name_latin} {m.requester.name_local or ''}".strip(),
                    f"{m.recipient.name_latin} {m.recipient.name_local or ''}".strip(),
                    m.interpreter or ("ja↔en ?" if m.interpreter_needed else ""),
                )
                for m in held
            ]
            sections.append((heading, rows))
        data = await anyio.to_thread.run_sync(  # drawn off the event loop: other requests go on
            printouts.table_plan,
            f"{current_edition.name_en} – {translate(lang, 'matching.table_plan')}",
            current_edition.name_ja,
            sections,
        )
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "content-disposition": 'inline; filename="table-plan.pdf"',
                "cache-control": "private, no-store",
            },
        )


async def _save_session(
    request: Request, db_session: DbSession, session_id: int | None
) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    form = await request.form()
    values = form_values(form, *SESSION_FIELDS)
    before = await matching.get_session(db_session, edition.id, session_id) if session_id else None
    was = (before.location_en, before.location_ja) if before else None
    try:
        saved = await matching.save_session(db_session, edition, session_id, values, request.user)
    except ValidationFailed as exc:
        await db_session.rollback()
        return await _overview(request, db_session, form_errors(request, exc), values, 422, session_id)
    if was and was != (saved.location_en, saved.location_ja):
        await placement.tell_place_changed(db_session, edition, saved.id, request.app.state.settings.base_url)
    return Redirect("/organizer/matching#sessions", status_code=303)
