"""The business matching API: recommendations, requests and answers, my meetings, and scheduler runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.matching import meeting_requests, meetings, people, planning, tracking
from ascc.matching.invitations import join_url
from ascc.matching.organizer_routes import start_run_job
from ascc.security import requires_login, requires_role
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

# Closed sets, as matching.models names them (tests/test_api_contract.py compares).
Priority = Literal["must", "would_like"]
MeetingFormat = Literal["in_person", "online", "hybrid"]
MeetingStatus = Literal["requested", "accepted", "scheduled", "held", "no_show", "declined", "cancelled"]
Place = Literal["table", "room"]
RunStatus = Literal["queued", "running", "done", "failed"]
ANSWER_REFUSED = {
    403: "`not_yours`: the request is not to me",
    404: "`not_found`: there is no current edition",
    409: "`already_answered`; `changed_meanwhile`: the meeting changed since it was read",
}


class ParticipantOut(msgspec.Struct):
    user_id: int
    name: str
    name_local: str | None
    organization: str
    position: str
    category: str
    country: str | None
    sectors: list[str]


class RecommendationReasonOut(msgspec.Struct):
    sectors: list[str]
    phrases_en: list[str]
    phrases_ja: list[str]
    need: (
        dict[str, Any] | None
    )  # {"id", "title_en", "title_ja"}: a need of one fitting a solution of the other
    solution: dict[str, Any] | None


class RecommendationOut(msgspec.Struct):
    person: ParticipantOut
    score: float
    reason: RecommendationReasonOut


class RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    recipient_id: int
    message: str = ""
    priority: Priority = "would_like"
    format: MeetingFormat | None = None  # default from both registrations
    interpreter_needed: bool = False


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: int | None = None  # instant mode: the slot to meet in (from `free_slots` of the meeting)
    answer: str = ""


class SlotOut(msgspec.Struct):
    id: int
    starts_at: datetime
    ends_at: datetime


class MeetingOut(msgspec.Struct):
    id: int
    status: MeetingStatus
    priority: Priority
    format: MeetingFormat
    requester: ParticipantOut | None
    recipient: ParticipantOut | None
    requester_id: int
    recipient_id: int
    message: str
    answer: str
    slot: SlotOut | None
    place: Place | None
    place_number: int | None
    location_en: str | None
    location_ja: str | None
    online_room_url: str | None
    interpreter_needed: bool
    interpreter: str
    locked: bool


class MyMeetingsOut(msgspec.Struct):
    incoming: list[MeetingOut]  # requests waiting for my answer
    outgoing: list[MeetingOut]  # my requests waiting for theirs
    accepted: list[MeetingOut]  # accepted, not yet given a time
    scheduled: list[MeetingOut]  # in time order
    past: list[MeetingOut]


class RunOut(msgspec.Struct):
    id: int
    status: RunStatus
    progress: float
    stage: str
    scheduled: int | None
    waiting: int | None
    weight: float | None
    bound: float | None
    quality: float | None
    proven_optimal: bool | None
    seconds: float | None
    left_out: list[dict[str, Any]]
    error: str


def _person(card: people.Card | None) -> ParticipantOut | None:
    if card is None:
        return None
    return ParticipantOut(**people.card_dict(card))


def meeting_out(base_url: str, cards: dict[int, people.Card], m: Any) -> MeetingOut:
    session_info = m.slot.session if m.slot is not None else None
    return MeetingOut(
        id=m.id,
        status=cast(MeetingStatus, m.status),
        priority=cast(Priority, m.priority),
        format=cast(MeetingFormat, m.format),
        requester=_person(cards.get(m.requester_id)),
        recipient=_person(cards.get(m.recipient_id)),
        requester_id=m.requester_id,
        recipient_id=m.recipient_id,
        message=m.message,
        answer=m.answer,
        slot=SlotOut(m.slot.id, m.slot.starts_at, m.slot.ends_at) if m.slot is not None else None,
        place=cast(Place | None, m.place),
        place_number=m.place_number,
        location_en=session_info.location_en if session_info and m.place == "table" else None,
        location_ja=session_info.location_ja if session_info and m.place == "table" else None,
        # Our join page, which checks who asks and when; the room's own address is never handed out.
        online_room_url=join_url(base_url, m.id)
        if m.format != "in_person" and m.status in ("scheduled", "held")
        else None,
        interpreter_needed=m.interpreter_needed,
        interpreter=m.interpreter,
        locked=m.locked,
    )


async def _one_meeting(request: Request, db_session: DbSession, m: Any) -> MeetingOut:
    return meeting_out(request.app.state.settings.base_url, await people.cards(db_session, m.edition_id), m)


def _run_out(run: Any) -> RunOut:
    result = run.result or {}
    return RunOut(
        id=run.id,
        status=cast(RunStatus, run.status),
        progress=run.progress,
        stage=run.stage,
        scheduled=result.get("scheduled"),
        waiting=result.get("waiting"),
        weight=result.get("weight"),
        bound=result.get("bound"),
        quality=result.get("quality"),
        proven_optimal=result.get("proven_optimal"),
        seconds=result.get("seconds"),
        left_out=result.get("left_out", []),
        error=run.error,
    )


class MatchingApi(Controller):
    path = "/api/v1"
    tags = ["matching"]

    @get(
        "/matching/recommendations", guards=[requires_login], summary="People I should meet, with the reason"
    )
    async def recommendations(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> list[RecommendationOut]:
        found = await people.recommendations(db_session, current_edition.id, request.user.id)
        return [
            RecommendationOut(
                person=ParticipantOut(**people.card_dict(card)),
                score=r.score,
                reason=RecommendationReasonOut(
                    list(r.sectors),
                    list(r.phrases_en),
                    list(r.phrases_ja),
                    {"id": r.need.id, "title_en": r.need.title_en, "title_ja": r.need.title_ja}
                    if r.need
                    else None,
                    {"id": r.solution.id, "title_en": r.solution.title_en, "title_ja": r.solution.title_ja}
                    if r.solution
                    else None,
                ),
            )
            for card, r in found
        ]

    @post(
        "/meetings/requests",
        guards=[requires_login],
        status_code=201,
        summary="Ask someone for a meeting",
        responses=errors(
            {
                403: "`not_registered`: asking needs a confirmed registration; `categories`: these two "
                "categories do not meet",
                404: "`unknown_person`: no confirmed participant in the directory with this id",
                409: "`requests_closed`; `limit_reached`; `already_open`: a request between the two is open",
                422: "`invalid`: fields refused, each with its reason (`extra`)",
            }
        ),
    )
    async def send_request(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[RequestIn, Body()],
    ) -> MeetingOut:
        m = await meeting_requests.send_request(
            db_session,
            current_edition,
            request.user.id,
            msgspec.structs.asdict(data),
            request.app.state.settings.base_url,
        )
        return await _one_meeting(request, db_session, await meetings.get_meeting(db_session, m.id))

    @post(
        "/meetings/requests/{meeting_id:int}/accept",
        guards=[requires_login],
        status_code=200,
        summary="Accept a request (with `slot_id`, meet in that slot at once when instant mode is on)",
        responses=errors(
            {
                **ANSWER_REFUSED,
                409: f"{ANSWER_REFUSED[409]}; `not_instant`; `slot_not_free` / `slot_taken`: take another slot",
            }
        ),
    )
    async def accept(
        self,
        request: Request,
        db_session: DbSession,
        meeting_id: FromPath[int],
        data: Annotated[AnswerIn | None, Body()] = None,
    ) -> MeetingOut:
        return await self._answer(request, db_session, meeting_id, "accept", data)

    @post(
        "/meetings/requests/{meeting_id:int}/decline",
        guards=[requires_login],
        status_code=200,
        summary="Decline a request (`answer` may say why)",
        responses=errors(ANSWER_REFUSED),
    )
    async def decline(
        self,
        request: Request,
        db_session: DbSession,
        meeting_id: FromPath[int],
        data: Annotated[AnswerIn | None, Body()] = None,
    ) -> MeetingOut:
        return await self._answer(request, db_session, meeting_id, "decline", data)

    async def _answer(
        self, request: Request, db_session: DbSession, meeting_id: int, action: str, data: AnswerIn | None
    ) -> MeetingOut:
        edition = await editions.require_current(db_session)
        values = msgspec.structs.asdict(data) if data else {}
        m = await meeting_requests.answer(
            db_session,
            edition,
            meeting_id,
            request.user.id,
            action,
            values,
            request.app.state.settings.base_url,
        )
        return await _one_meeting(request, db_session, m)

    @get(
        "/meetings/mine",
        guards=[requires_login],
        summary="My requests and meetings, scheduled ones in time order",
    )
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> MyMeetingsOut:
        await tracking.sweep_no_shows(db_session, current_edition.id)
        lists = await tracking.mine(db_session, current_edition.id, request.user.id)
        everyone = await people.cards(db_session, current_edition.id)
        base_url = request.app.state.settings.base_url
        return MyMeetingsOut(
            **{
                name: [meeting_out(base_url, everyone, m) for m in getattr(lists, name)]
                for name in MyMeetingsOut.__struct_fields__
            }
        )

    @post(
        "/matching/schedule",
        guards=[requires_role("organizer")],
        status_code=202,
        summary="Start a 'schedule all' run; poll GET /api/v1/matching/runs/{id}",
        responses=errors({409: "`run_under_way`: one run at a time"}),
    )
    async def schedule(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> RunOut:
        run = await planning.start_run(db_session, current_edition.id, request.user.id, request.user)
        await db_session.commit()
        await start_run_job(request, run.id)
        return _run_out(run)

    @get(
        "/matching/runs/{run_id:int}",
        guards=[requires_role("organizer")],
        summary="A run's progress and result",
    )
    async def run(
        self, db_session: DbSession, current_edition: CurrentEdition, run_id: FromPath[int]
    ) -> RunOut:
        return _run_out(await planning.get_run(db_session, current_edition.id, run_id))

    @get(
        "/matching/capacity",
        guards=[requires_role("organizer")],
        summary="Accepted meetings against slots and tables, before scheduling",
    )
    async def capacity(self, db_session: DbSession, current_edition: CurrentEdition) -> dict[str, Any]:
        return await planning.capacity_picture(db_session, current_edition.id)
