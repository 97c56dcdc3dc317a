"""Session feedback pages and API: rating a session, a speaker's results, the organizers' results and moderation.

The session page shows the form through a small include (programme/_feedback_slot.html) that loads
`GET /sessions/{id}/feedback` with htmx, so the session page's own route and cache stay as they are.
"""

from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.errors import DomainError
from ascc.i18n import translate
from ascc.programme import feedback, session_editing
from ascc.programme import services as programme
from ascc.programme.routes import schedule_cache
from ascc.security import requires_login, requires_organizer
from ascc.web import DbSession, form_again, form_text, page, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]
CommentStatus = Literal["none", "pending", "approved", "hidden"]


async def _context(
    request: Request, db_session: DbSession, session_id: int, **extra: Any
) -> tuple[programme.Programme, dict[str, Any]]:
    current = await programme.current_programme(schedule_cache(request))
    item = programme.published_item(current, session_id)
    assert current.schedule is not None  # published_item found the session in it
    refused = await feedback.refusal(db_session, request.user.id, current, item)
    mine = await feedback.mine_for(db_session, request.user.id, session_id)
    speaks = session_id in await programme.speaking_ids(db_session, request.user.id, current.edition.id)
    context: dict[str, Any] = {
        "speaks": speaks,  # a speaker of this session is shown the way to their results
        "item": item,
        "edition": current.edition,
        "tz": current.schedule.zone,
        "mine": mine,
        "refusal": translate(request_lang(request), refused.message) if refused else None,
        "values": {"rating": str(mine.rating) if mine else "", "comment": mine.comment if mine else ""},
        "errors": {},
        "saved": request.query_params.get("saved") == "1",
        "last_day": feedback.last_day(current),
        "min_ratings": feedback.MIN_RATINGS,
    }
    context.update(extra)
    return current, context


class FeedbackPages(Controller):
    guards = [requires_login]
    include_in_schema = False

    @get("/sessions/{session_id:int}/feedback")
    async def form(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> Template:
        _, context = await _context(request, db_session, session_id)
        return page(request, "programme/feedback.html", **context)

    @post("/sessions/{session_id:int}/feedback")
    async def rate(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        values = {"rating": form_text(form, "rating"), "comment": form_text(form, "comment")}
        current = await programme.current_programme(schedule_cache(request))
        try:
            await feedback.rate(
                db_session, request.user.id, current, session_id, values["rating"], values["comment"]
            )
        except DomainError as exc:
            if exc.code == "not_found":
                raise

            async def show(refusal: Any) -> Template:
                _, context = await _context(request, db_session, session_id)
                context.update(values=values, errors=refusal.errors)
                return page(request, "programme/feedback.html", status_code=refusal.status_code, **context)

            return await form_again(request, db_session, exc, show)
        return Redirect(f"/sessions/{session_id}/feedback?saved=1", status_code=303)

    @get("/speaker/feedback")
    async def speaker(self, request: Request, db_session: DbSession) -> Template:
        current = await programme.current_programme(schedule_cache(request))
        results = await feedback.speaker_results(db_session, request.user.id, current.edition.id)
        by_id = current.schedule.by_id if current.schedule else {}
        return page(
            request,
            "programme/speaker_feedback.html",
            edition=current.edition,
            results=[(by_id.get(r.session_id), r) for r in results],
            min_ratings=feedback.MIN_RATINGS,
        )


class FeedbackAdminPages(Controller):
    path = "/organizer/feedback"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def overview(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        edition = current_edition
        rows = await session_editing.list_sessions(db_session, edition.id)
        counted = await feedback.summaries(db_session, edition.id)
        return page(
            request,
            "organizer/feedback.html",
            edition=edition,
            tz=ZoneInfo(edition.timezone),
            sessions=[(row, counted[row.id]) for row in rows if row.id in counted],
            tracks=await feedback.track_summaries(db_session, edition.id),
            titles={row.id: row for row in rows},
            comments=await feedback.comments(db_session, edition.id),
        )

    @post("/{feedback_id:int}")
    async def moderate(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        feedback_id: FromPath[int],
    ) -> Redirect:
        form = await request.form()
        await feedback.moderate(
            db_session, current_edition.id, feedback_id, form_text(form, "status"), actor=request.user
        )
        return Redirect(f"/organizer/feedback/#c{feedback_id}", status_code=303)


# --- API ---------------------------------------------------------------------------------------------------


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5, description="1 (poor) to 5 (excellent)")]
    comment: Annotated[str, msgspec.Meta(max_length=feedback.COMMENT_MAX)] = ""


class FeedbackOut(msgspec.Struct):
    session_id: int
    rating: int
    comment: str
    comment_status: CommentStatus  # none (no comment), pending, approved, hidden


def _out(row: Any) -> FeedbackOut:
    return FeedbackOut(row.session_id, row.rating, row.comment, cast(CommentStatus, row.comment_status))


class FeedbackApi(Controller):
    path = "/api/v1"
    tags = ["programme"]
    guards = [requires_login]

    @post(
        "/sessions/{session_id:int}/feedback",
        summary="Rate a session that ended (again: changes my rating; a changed comment waits for moderation)",
        status_code=200,
        responses=errors(
            {
                403: "`not_registered`: rating needs a confirmed registration; `not_attended`: the session is "
                "not in my agenda (in person) or was not streamed (online)",
                404: "`not_found`: no such published session",
                409: "`not_over`: the session has not ended; `closed`: feedback closed "
                f"{feedback.FEEDBACK_DAYS} days after the edition; `cancelled`",
            }
        ),
    )
    async def rate(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        data: Annotated[FeedbackIn, Body()],
    ) -> FeedbackOut:
        current = await programme.current_programme(schedule_cache(request))
        row = await feedback.rate(db_session, request.user.id, current, session_id, data.rating, data.comment)
        return _out(row)

    @get(
        "/me/feedback",
        summary="My ratings of this edition's sessions",
        responses=errors({404: "`not_found`: no current edition"}),
    )
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> list[FeedbackOut]:
        return [_out(r) for r in await feedback.my_feedback(db_session, request.user.id, current_edition.id)]
