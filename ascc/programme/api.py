"""The programme API: the published sessions, tracks and rooms, and my agenda."""

from datetime import datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from ascc.api_contract import errors
from ascc.programme import services as programme
from ascc.programme.routes import schedule_cache
from ascc.programme.schedule import Filters, Item, Schedule, zone
from ascc.security import requires_login
from ascc.web import DbSession

PER_PAGE_MAX = 200
NO_EDITION = {404: "`not_found`: there is no current edition"}

# Closed sets, as the programme's models and schedule name them (tests/test_api_contract.py compares).
SessionStatus = Literal["draft", "published", "cancelled"]
SessionFormat = Literal["in_person", "online", "hybrid"]
SpeakerRole = Literal["speaker", "moderator", "panelist"]
Seat = Literal["confirmed", "waiting"]


class SpeakerOut(msgspec.Struct):
    id: int
    slug: str
    name: str
    name_local: str | None
    affiliation_en: str
    affiliation_ja: str
    role: SpeakerRole


class TrackOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str
    colour: str


class SessionRoomOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str
    floor: str | None
    capacity: int | None
    hybrid: bool


class SessionOut(msgspec.Struct):
    id: int
    status: SessionStatus
    kind: str
    title_en: str
    title_ja: str
    abstract_en: str
    abstract_ja: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    room: SessionRoomOut | None
    track: TrackOut | None
    sdgs: list[str]
    sectors: list[str]
    floor_language: str
    interpretation: list[str]
    format: SessionFormat
    capacity: int | None
    signup_required: bool
    people: list[SpeakerOut]
    url: str


class SessionPage(msgspec.Struct):
    items: list[SessionOut]
    total: int
    page: int
    per_page: int
    release: int | None


class AgendaItemOut(msgspec.Struct):
    session: SessionOut
    seat: Seat | None
    clash: bool


class AgendaOut(msgspec.Struct):
    items: list[AgendaItemOut]
    no_longer_published: list[int]


class SavedOut(msgspec.Struct):
    session_id: int
    saved: bool


class SignupOut(msgspec.Struct):
    session_id: int
    seat: Seat
    waiting_position: int | None  # 1: next to be promoted


def _room_out(room: Any) -> SessionRoomOut:
    return SessionRoomOut(room.id, room.name_en, room.name_ja, room.floor, room.capacity, room.hybrid)


def _room(room: Any) -> SessionRoomOut | None:
    return _room_out(room) if room else None


def _track_out(track: Any) -> TrackOut:
    return TrackOut(track.id, track.name_en, track.name_ja, track.colour)


def _track(track: Any) -> TrackOut | None:
    return _track_out(track) if track else None


def session_out(item: Item, schedule: Schedule, tz_name: str | None, base_url: str) -> SessionOut:
    tz = zone(tz_name) or schedule.zone
    return SessionOut(
        id=item.id,
        status=cast(SessionStatus, item.status),
        kind=item.kind,
        title_en=item.title_en,
        title_ja=item.title_ja,
        abstract_en=item.abstract_en,
        abstract_ja=item.abstract_ja,
        starts_at=item.starts_at.astimezone(tz),
        ends_at=item.ends_at.astimezone(tz),
        timezone=str(tz),
        room=_room(item.room),
        track=_track(item.track),
        sdgs=list(item.sdgs),
        sectors=list(item.sectors),
        floor_language=item.floor_language,
        interpretation=list(item.interpretation),
        format=cast(SessionFormat, item.format),
        capacity=item.capacity,
        signup_required=item.signup,
        people=[
            SpeakerOut(
                r.person.id,
                r.person.slug,
                r.person.name,
                r.person.name_local,
                r.person.affiliation_en,
                r.person.affiliation_ja,
                cast(SpeakerRole, r.role),
            )
            for r in item.people
        ],
        url=f"{base_url}/sessions/{item.id}",
    )


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


# The agenda page's filters (schedule.Filters), as query parameters: an unknown value is ignored, never refused.
One = str | None
Many = list[str] | None
ZONE = "an IANA zone for the times (the conference's own by default)"


class ProgrammeApi(Controller):
    path = "/api/v1"
    tags = ["programme"]

    @get(
        "/sessions",
        summary="Published sessions of the current edition",
        description="Filters as on the agenda page; unknown filter values are ignored.",
        responses=errors(NO_EDITION),
    )
    async def sessions(
        self,
        request: Request,
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = 50,
        day: Annotated[One, QueryParameter(description="YYYY-MM-DD, in the conference's zone")] = None,
        track: Annotated[Many, QueryParameter(description="a track's id")] = None,
        kind: Annotated[Many, QueryParameter(description="keynote, panel, workshop ...")] = None,
        lang: Annotated[One, QueryParameter(description="en or ja: followable in that language")] = None,
        interpretation: Annotated[
            One, QueryParameter(description="1: only sessions with interpretation")
        ] = None,
        format: Annotated[Many, QueryParameter(description="in_person, online or hybrid")] = None,
        sdg: Annotated[Many, QueryParameter(description="a Sustainable Development Goal, 1 to 17")] = None,
        sector: Annotated[Many, QueryParameter(description="a sector, e.g. water")] = None,
        q: Annotated[One, QueryParameter(description="free text: titles, abstracts, speakers")] = None,
        tz: Annotated[One, QueryParameter(description=ZONE)] = None,
    ) -> SessionPage:
        current = await programme.current_programme(schedule_cache(request))
        page, per_page = max(page, 1), min(max(per_page, 1), PER_PAGE_MAX)
        if current.schedule is None:
            return SessionPage([], 0, page, per_page, None)
        given = {"day": day, "lang": lang, "interpretation": interpretation, "q": q}
        query = {name: [value] for name, value in given.items() if value is not None}
        query |= {"track": track or [], "kind": kind or [], "format": format or []}
        query |= {"sdg": sdg or [], "sector": sector or []}
        filters = Filters.parse(query, (t.id for t in current.schedule.tracks))
        items = current.schedule.select(filters)
        tz_name = tz
        chunk = items[(page - 1) * per_page : page * per_page]
        return SessionPage(
            [session_out(i, current.schedule, tz_name, _base(request)) for i in chunk],
            len(items),
            page,
            per_page,
            current.schedule.version,
        )

    @get("/sessions/{session_id:int}", summary="One published session")
    async def session(
        self,
        request: Request,
        session_id: FromPath[int],
        tz: Annotated[One, QueryParameter(description=ZONE)] = None,
    ) -> SessionOut:
        current = await programme.current_programme(schedule_cache(request))
        item = programme.published_item(current, session_id)
        assert current.schedule is not None  # published_item found the session in it
        return session_out(item, current.schedule, tz, _base(request))

    @get(
        "/tracks",
        summary="Tracks (themes) of the current edition's published programme",
        responses=errors(NO_EDITION),
    )
    async def tracks(self, request: Request) -> list[TrackOut]:
        current = await programme.current_programme(schedule_cache(request))
        return [_track_out(t) for t in current.schedule.tracks] if current.schedule else []

    @get("/rooms", summary="Rooms of the current edition's published programme", responses=errors(NO_EDITION))
    async def rooms(self, request: Request) -> list[SessionRoomOut]:
        current = await programme.current_programme(schedule_cache(request))
        return [_room_out(r) for r in current.schedule.rooms] if current.schedule else []


class MyAgendaApi(Controller):
    path = "/api/v1/me"
    tags = ["programme"]
    guards = [requires_login]

    @get(
        "/agenda",
        summary="My agenda: saved and signed-up sessions, with clashes",
        responses=errors(NO_EDITION),
    )
    async def agenda(self, request: Request, db_session: DbSession) -> AgendaOut:
        current = await programme.current_programme(schedule_cache(request))
        lines, gone = await programme.my_agenda(db_session, request.user.id, current)
        schedule = current.schedule  # lines come from it: none without a published schedule
        return AgendaOut(
            [
                AgendaItemOut(
                    session_out(line.item, schedule, None, _base(request)),
                    cast(Seat | None, line.seat),
                    line.clash,
                )
                for line in lines
            ]
            if schedule
            else [],
            [row.id for row in gone],
        )

    @post(
        "/agenda/{session_id:int}",
        summary="Save a session to my agenda (201; 200 when it was there already)",
        status_code=201,
        responses={
            200: ResponseSpec(SavedOut, description="It was in my agenda already", generate_examples=False),
            **errors({409: "`cancelled`: the session is cancelled"}),
        },
    )
    async def save(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Response[SavedOut]:
        current = await programme.current_programme(schedule_cache(request))
        added = await programme.save(db_session, request.user.id, current, session_id)
        return Response(SavedOut(session_id, saved=True), status_code=201 if added else 200)

    @delete(
        "/agenda/{session_id:int}",
        summary="Remove a session from my agenda (gives up a seat held in it)",
        status_code=204,
    )
    async def remove(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> None:
        await programme.remove(db_session, request.user.id, session_id, _base(request))

    @post(
        "/signups/{session_id:int}",
        summary="Sign up for a session with limited places: a seat, or a place on its waiting list",
        status_code=200,
        responses=errors(
            {
                403: "`not_registered`: signing up needs a confirmed registration",
                409: "`no_signup`: the session needs no sign-up; `cancelled`; `over`; "
                "`online_registration`: places are for people registered in person",
            }
        ),
    )
    async def sign_up(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> SignupOut:
        current = await programme.current_programme(schedule_cache(request))
        claim = await programme.sign_up(db_session, request.user.id, current, session_id)
        return SignupOut(session_id, cast(Seat, claim.status), claim.position)

    @delete(
        "/signups/{session_id:int}",
        summary="Give up my seat or my place on the waiting list",
        status_code=204,
    )
    async def cancel(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> None:
        await programme.cancel_signup(db_session, request.user.id, session_id, _base(request))
