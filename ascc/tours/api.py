"""The tours API: tours with courses and free seats, bookings, ballot preferences, allocation, manifests."""

from datetime import datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.security import requires_login, requires_role
from ascc.tours import ballot, booking, roll_call
from ascc.tours import services as tours
from ascc.tours.routes import _base, _secret
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

# Closed sets, as tours.models and capacity name them (tests/test_api_contract.py compares).
TourMode = Literal["fcfs", "ballot"]  # first come, first served | preference ballot
Seat = Literal["confirmed", "waiting"]
BOOKING_REFUSED = {
    403: "`not_registered`: booking needs a confirmed registration; `invitation_only`; `not_eligible`: "
    "the course is for other categories",
    409: "`online_registration`: courses are for people registered in person",
}


class CourseOut(msgspec.Struct):
    id: int
    code: str
    theme_en: str
    theme_ja: str
    description_en: str
    description_ja: str
    departs_at: datetime
    returns_at: datetime
    meeting_point_en: str
    meeting_point_ja: str
    seats: int
    free_seats: int
    waiting: int
    categories: list[str]
    invitation_only: bool
    requires_id: bool
    accessibility_en: str
    accessibility_ja: str


class TourOut(msgspec.Struct):
    id: int
    code: str
    name_en: str
    name_ja: str
    mode: TourMode
    ballot_deadline: datetime | None
    allocated: bool
    allocation_seed: str | None
    courses: list[CourseOut]


class BookingOut(msgspec.Struct):
    status: Seat
    position: int | None  # on the waiting list, 1 = next to be promoted


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    courses: list[int]


class AllocateIn(msgspec.Struct, forbid_unknown_fields=True):
    seed: str | None = None
    close_early: bool = False  # allocate before the ballot's deadline, closing the ranking now


class PreferencesOut(msgspec.Struct):
    tour_id: int
    courses: list[int]  # as ranked, first choice first


class ManifestLineOut(msgspec.Struct):
    status: Seat
    waiting_position: int | None
    name_latin: str
    name_local: str | None
    organization: str
    country: str | None
    dietary: str | None
    accessibility: str | None
    id_kind: str | None
    id_number: str | None
    id_missing: bool
    present: bool | None


class TourApi(Controller):
    path = "/api/v1/tours"
    tags = ["tours"]

    @get("/", summary="Tours of the current edition with their courses and free seats")
    async def list_tours(self, db_session: DbSession, current_edition: CurrentEdition) -> list[TourOut]:
        items = await tours.list_tours(db_session, current_edition.id)
        figures = await tours.figures(db_session, [c for t in items for c in t.courses])
        return [
            TourOut(
                id=t.id,
                code=t.code,
                name_en=t.name_en,
                name_ja=t.name_ja,
                mode=cast(TourMode, t.mode),
                ballot_deadline=t.ballot_deadline,
                allocated=t.allocated_at is not None,
                allocation_seed=t.allocation_seed,
                courses=[
                    CourseOut(
                        id=c.id,
                        code=c.code,
                        theme_en=c.theme_en,
                        theme_ja=c.theme_ja,
                        description_en=c.description_en,
                        description_ja=c.description_ja,
                        departs_at=c.departs_at,
                        returns_at=c.returns_at,
                        meeting_point_en=c.meeting_point_en,
                        meeting_point_ja=c.meeting_point_ja,
                        seats=c.seats,
                        free_seats=figures[c.id].free,
                        waiting=figures[c.id].waiting,
                        categories=list(c.categories),
                        invitation_only=c.invitation_only,
                        requires_id=c.requires_id,
                        accessibility_en=c.accessibility_en,
                        accessibility_ja=c.accessibility_ja,
                    )
                    for c in t.courses
                ],
            )
            for t in items
        ]

    @post(
        "/courses/{course_id:int}/booking",
        guards=[requires_login],
        status_code=200,
        summary="Book a course: a seat, or a place on its waiting list when it is full",
        responses=errors(
            {
                **BOOKING_REFUSED,
                409: f"{BOOKING_REFUSED[409]}; `ballot`: a ballot tour is ranked, not booked; `departed`; "
                "`already_booked`; `one_course_per_tour`; `same_time`: another booking at that time",
            }
        ),
    )
    async def book(self, request: Request, db_session: DbSession, course_id: FromPath[int]) -> BookingOut:
        claim = await booking.book(db_session, request.user.id, course_id, _base(request))
        return BookingOut(cast(Seat, claim.status), claim.position)

    @delete(
        "/courses/{course_id:int}/booking",
        guards=[requires_login],
        status_code=204,
        summary="Cancel my booking (the next person waiting gets the seat)",
        responses=errors({404: "`not_booked`: no booking of mine", 409: "`departed`"}),
    )
    async def cancel(self, request: Request, db_session: DbSession, course_id: FromPath[int]) -> None:
        await booking.cancel(db_session, request.user.id, course_id, _base(request))

    @put(
        "/{tour_id:int}/preferences",
        guards=[requires_login],
        summary="Rank the courses of a ballot tour",
        responses=errors(
            {
                **BOOKING_REFUSED,
                409: f"{BOOKING_REFUSED[409]}; `not_ballot`; `ballot_closed`",
                422: "`invalid`: a course twice, or one of another tour (`field`: courses)",
            }
        ),
    )
    async def preferences(
        self,
        request: Request,
        db_session: DbSession,
        tour_id: FromPath[int],
        data: Annotated[PreferencesIn, Body()],
    ) -> PreferencesOut:
        chosen = await ballot.set_preferences(db_session, request.user.id, tour_id, data.courses)
        return PreferencesOut(tour_id, chosen)

    @post(
        "/{tour_id:int}/allocate",
        guards=[requires_role("organizer")],
        status_code=200,
        summary="Run the ballot's allocation with a seed (published) and book its results",
        responses=errors(
            {
                409: "`not_ballot`; `already_allocated`; `ballot_open`: before the deadline without close_early; `departed`"
            }
        ),
    )
    async def allocate(
        self,
        request: Request,
        db_session: DbSession,
        tour_id: FromPath[int],
        data: Annotated[AllocateIn | None, Body()] = None,
    ) -> dict[str, Any]:
        result = await ballot.run_allocation(
            db_session,
            tour_id,
            data.seed if data else None,
            _base(request),
            close_early=bool(data and data.close_early),
            actor=request.user,
        )
        tour = await tours.get_tour(db_session, tour_id)
        return {
            "tour_id": tour_id,
            "seed": tour.allocation_seed,
            **{k: v for k, v in result.items() if k != "assigned"},
        }

    @get(
        "/courses/{course_id:int}/manifest",
        guards=[requires_role("organizer")],
        summary="A course's manifest",
    )
    async def manifest(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> list[ManifestLineOut]:
        _course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
        return [
            ManifestLineOut(
                status=cast(Seat, line.status),
                waiting_position=line.position,
                name_latin=line.name_latin,
                name_local=line.name_local,
                organization=line.organization,
                country=line.country,
                dietary=line.dietary,
                accessibility=line.accessibility,
                id_kind=line.id_document[0] if line.id_document else None,
                id_number=line.id_document[1] if line.id_document else None,
                id_missing=line.id_missing,
                present=line.present,
            )
            for line in lines
        ]
