"""Tour pages for participants: browse tours and courses, book and cancel, rank a ballot's courses, give the
ID data a facility requires. The organizers' pages are ascc.tours.organizer_routes.
"""

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from ascc import clock
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.security import requires_login
from ascc.text import as_number
from ascc.tours import ballot, booking, id_documents
from ascc.tours import services as tours
from ascc.web import DbSession, Form, form_again, form_struct, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key


async def _tours_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    error: str | None = None,
    status_code: int = 200,
    errors: dict | None = None,
    typed: dict | None = None,
) -> Template:
    items = await tours.list_tours(db_session, edition.id)
    courses = [c for tour in items for c in tour.courses]
    mine: list[tours.MyBooking] = []
    preferences: dict[int, list[int]] = {}
    blocked = None
    if request.user is not None:
        blocked = await booking.who_may_not_join(db_session, edition.id, request.user.id)
        mine = await tours.my_bookings(db_session, request.user.id, edition.id)
        for tour in items:
            if tour.mode == "ballot":
                preferences[tour.id] = await tours.my_preferences(db_session, request.user.id, tour.id)
    return page(
        request,
        "tours/tours.html",
        status_code=status_code,
        edition=edition,
        tours=items,
        figures=await tours.figures(db_session, courses),
        mine={b.course.id: b for b in mine},
        preferences=preferences,
        tz=ZoneInfo(edition.timezone),
        now=clock.now(),
        error=error,
        errors=errors or {},
        notice=request.query_params.get("notice"),
        id_kinds=id_documents.ID_KINDS,
        id_on_file={
            b.course.id: on_file
            for b in mine
            if (on_file := id_documents.id_on_file(b.id_document, _secret(request))) is not None
        },
        typed=typed or {},
        blocked=blocked,
    )


async def _tours_again(
    request: Request, db_session: DbSession, edition: editions.Edition, exc: DomainError
) -> Template:
    """The tours page again after a refused booking, cancellation, ranking or ID document, the refusal on top."""
    return await form_again(
        request,
        db_session,
        exc,
        lambda refused: _tours_page(request, db_session, edition, refused.message, refused.status_code),
        reload=[edition],
    )


RANKS = tuple(f"rank_{n}" for n in range(1, 9))  # a ballot ranks up to eight courses
if TYPE_CHECKING:  # a class made at run time is no type to mypy: it checks the handler against Form
    RankingForm = Form
else:
    RankingForm = form_struct("RankingForm", *RANKS)


class IdDocumentForm(Form):
    id_kind: str = ""
    id_number: str = ""


class TourPages(Controller):
    include_in_schema = False

    @get("/tours", name="tours.list")
    async def list_page(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await _tours_page(request, db_session, current_edition)

    @post("/tours/courses/{course_id:int}/book", guards=[requires_login], name="tours.book")
    async def book(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            claim = await booking.book(db_session, request.user.id, course_id, _base(request))
        except DomainError as exc:
            if exc.code == "not_found":
                raise
            return await _tours_again(request, db_session, current_edition, exc)
        target = request.app.route_reverse("tours.list")
        return Redirect(f"{target}?notice=booked_{claim.status}#course-{course_id}", status_code=303)

    @post("/tours/courses/{course_id:int}/cancel", guards=[requires_login], name="tours.cancel")
    async def cancel(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            await booking.cancel(db_session, request.user.id, course_id, _base(request))
        except DomainError as exc:
            return await _tours_again(request, db_session, current_edition, exc)
        return Redirect(request.app.route_reverse("tours.list") + "?notice=cancelled", status_code=303)

    @post("/tours/{tour_id:int}/preferences", guards=[requires_login], name="tours.rank")
    async def rank(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        tour_id: FromPath[int],
        data: URLEncodedBody[RankingForm],
    ) -> Template | Redirect:
        chosen = [getattr(data, name) for name in RANKS]
        course_ids = [n for n in map(as_number, chosen) if n is not None]
        try:
            if any(v and as_number(v) is None for v in chosen):
                raise ValidationFailed({"courses": ("error.ranking_invalid", {})})
            await ballot.set_preferences(db_session, request.user.id, tour_id, course_ids)
        except ValidationFailed as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _tours_page(
                    request, db_session, current_edition, refused.errors["courses"], refused.status_code
                ),
                reload=[current_edition],
            )
        except DomainError as exc:
            return await _tours_again(request, db_session, current_edition, exc)
        target = request.app.route_reverse("tours.list")
        return Redirect(f"{target}?notice=ranked#tour-{tour_id}", status_code=303)

    @post("/tours/courses/{course_id:int}/id-document", guards=[requires_login], name="tours.id_document")
    async def id_document(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
        data: URLEncodedBody[IdDocumentForm],
    ) -> Template | Redirect:
        try:
            await id_documents.set_id_document(
                db_session,
                request.user.id,
                course_id,
                data.id_kind,
                data.id_number,
                _secret(request),
            )
        except ValidationFailed as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _tours_page(
                    request,
                    db_session,
                    current_edition,
                    None,
                    422,
                    errors={course_id: refused.errors},
                    typed={course_id: data.values()},
                ),
                reload=[current_edition],
            )
        except DomainError as exc:
            return await _tours_again(request, db_session, current_edition, exc)
        target = request.app.route_reverse("tours.list")
        return Redirect(f"{target}?notice=id_saved#course-{course_id}", status_code=303)
