"""The programme API: the published sessions, tracks and rooms, and my agenda."""

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery

from ascc.programme import services as programme
from ascc.programme.routes import schedule_cache
from ascc.programme.schedule import Filters, Item, Schedule, zone
from ascc.security import requires_login
from ascc.web import DbSession

PER_PAGE_MAX = 200


class PersonOut(msgspec.Struct):
    id: int
    slug: str
    name: str
    name_local: str | None
    affiliation_en: str
    affiliation_ja: str
    role: str


class TrackOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str
    colour: str


class RoomOut(msgspec.Struct):
    id: int
    name_en: str
    name_ja: str
    floor: str | None
    capacity: int | None
    hybrid: bool


class SessionOut(msgspec.Struct):
    id: int
    status: str
    kind: str
    title_en: str
    title_ja: str
    abstract_en: str
    abstract_ja: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    room: RoomOut | None
    track: TrackOut | None
    sdgs: list[str]
    sectors: list[str]
    floor_language: str
    interpretation: list[str]
    format: str
    capacity: int | None
    signup_required: bool
    people: list[PersonOut]
    url: str


class SessionPage(msgspec.Struct):
    items: list[SessionOut]
    total: int
    page: int
    per_page: int
    release: int | None


class AgendaItemOut(msgspec.Struct):
    session: SessionOut
    seat: str | None
    clash: bool


class AgendaOut(msgspec.Struct):
    items: list[AgendaItemOut]
    no_longer_published: list[int]


def _room_out(room: Any) -> RoomOut:
    return RoomOut(room.id, room.name_en, room.name_ja, room.floor, room.capacity, room.hybrid)


def _room(room: Any) -> RoomOut | None:
    return _room_out(room) if room else None


def _track_out(track: Any) -> TrackOut:
    return TrackOut(track.id, track.name_en, track.name_ja, track.colour)


def _track(track: Any) -> TrackOut | None:
    return _track_out(track) if track else None


def session_out(item: Item, schedule: Schedule, tz_name: str | None, base_url: str) -> SessionOut:
    tz = zone(tz_name) or schedule.zone
    return SessionOut(
        id=item.id,
        status=item.status,
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
        format=item.format,
        capacity=item.capacity,
        signup_required=item.signup,
        people=[
            PersonOut(
                r.person.id,
                r.person.slug,
                r.person.name,
                r.person.name_local,
                r.person.affiliation_en,
                r.person.affiliation_ja,
                r.role,
            )
            for r in item.people
        ],
        url=f"{base_url}/sessions/{item.id}",
    )


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


class ProgrammeApi(Controller):
    path = "/api/v1"
    tags = ["programme"]

    @get(
        "/sessions",
        summary="Published sessions of the current edition",
        description="Filters as on the agenda page: day (YYYY-MM-DD), track (id, repeatable), kind, lang (en|ja: "
        "followable in that language), interpretation=1, format, sdg (goal 1-17), sector, q (free text); tz (IANA "
        "name) for the times. Unknown filter values are ignored.",
    )
    async def sessions(
        self,
        request: Request,
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = 50,
    ) -> SessionPage:
        current = await programme.current_programme(schedule_cache(request))
        page, per_page = max(page, 1), min(max(per_page, 1), PER_PAGE_MAX)
        if current.schedule is None:
            return SessionPage([], 0, page, per_page, None)
        query = {key: request.query_params.getall(key) for key in request.query_params}
        filters = Filters.parse(query, (t.id for t in current.schedule.tracks))
        items = current.schedule.select(filters)
        tz_name = query.get("tz", [None])[0]
        chunk = items[(page - 1) * per_page : page * per_page]
        return SessionPage(
            [session_out(i, current.schedule, tz_name, _base(request)) for i in chunk],
            len(items),
            page,
            per_page,
            current.schedule.version,
        )

    @get("/sessions/{session_id:int}", summary="One published session")
    async def session(self, request: Request, session_id: FromPath[int]) -> SessionOut:
        current = await programme.current_programme(schedule_cache(request))
        item = programme.published_item(current, session_id)
        assert current.schedule is not None  # published_item found the session in it
        return session_out(item, current.schedule, request.query_params.get("tz"), _base(request))

    @get("/tracks", summary="Tracks (themes) of the current edition's published programme")
    async def tracks(self, request: Request) -> list[TrackOut]:
        current = await programme.current_programme(schedule_cache(request))
        return [_track_out(t) for t in current.schedule.tracks] if current.schedule else []

    @get("/rooms", summary="Rooms of the current edition's published programme")
    async def rooms(self, request: Request) -> list[RoomOut]:
        current = await programme.current_programme(schedule_cache(request))
        return [_room_out(r) for r in current.schedule.rooms] if current.schedule else []


class MyAgendaApi(Controller):
    path = "/api/v1/me"
    tags = ["programme"]
    guards = [requires_login]

    @get("/agenda", summary="My agenda: saved and signed-up sessions, with clashes")
    async def agenda(self, request: Request, db_session: DbSession) -> AgendaOut:
        current = await programme.current_programme(schedule_cache(request))
        lines, gone = await programme.my_agenda(db_session, request.user.id, current)
        schedule = current.schedule  # lines come from it: none without a published schedule
        return AgendaOut(
            [
                AgendaItemOut(session_out(line.item, schedule, None, _base(request)), line.seat, line.clash)
                for line in lines
            ]
            if schedule
            else [],
            [row.id for row in gone],
        )

    @post("/agenda/{session_id:int}", summary="Save a session to my agenda", status_code=201)
    async def save(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Response[dict[str, Any]]:
        current = await programme.current_programme(schedule_cache(request))
        added = await programme.save(db_session, request.user.id, current, session_id)
        return Response({"session_id": session_id, "saved": True}, status_code=201 if added else 200)

    @delete(
        "/agenda/{session_id:int}",
        summary="Remove a session from my agenda (gives up a seat held in it)",
        status_code=204,
    )
    async def remove(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> None:
        await programme.remove(db_session, request.user.id, session_id, _base(request))

    @post("/signups/{session_id:int}", summary="Sign up for a session with limited places", status_code=200)
    async def sign_up(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> dict[str, Any]:
        current = await programme.current_programme(schedule_cache(request))
        claim = await programme.sign_up(db_session, request.user.id, current, session_id)
        return {"session_id": session_id, "seat": claim.status, "waiting_position": claim.position}

    @delete(
        "/signups/{session_id:int}",
        summary="Give up my seat or my place on the waiting list",
        status_code=204,
    )
    async def cancel(self, request: Request, db_session: DbSession, session_id: FromPath[int]) -> None:
        await programme.cancel_signup(db_session, request.user.id, session_id, _base(request))
