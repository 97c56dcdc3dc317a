"""Tour pages for organizers (and check-in staff for roll-calls): tours and courses edited, a ballot's
allocation, each course's manifest (page, CSV, PDF) with people booked in by hand, and the roll-call.
"""

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from ascc import clock, dates
from ascc.csv_export import to_csv
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.registration import services as registration
from ascc.security import requires_role
from ascc.tours import ballot, booking, editing, roll_call
from ascc.tours import services as tours
from ascc.tours.manifest import ManifestPdf, render_manifest
from ascc.tours.routes import _base, _secret
from ascc.web import DbSession, Form, Many, Refusal, form_again, form_struct, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

requires_roll_call = requires_role("organizer", "checkin")
requires_organizer = requires_role("organizer")

# One list of fields per form: these name the fields of the forms, their structs and the values shown again.
# The text fields of the tour form: the edited fields (editing.TOUR_FIELDS) but the checkbox.
TOUR_FIELDS = tuple(f for f in editing.TOUR_FIELDS if f != "keep_delegations")
COURSE_TEXT_FIELDS = (
    "code",
    "theme_en",
    "theme_ja",
    "description_en",
    "description_ja",
    "meeting_point_en",
    "meeting_point_ja",
    "accessibility_en",
    "accessibility_ja",
)

if TYPE_CHECKING:  # a class made at run time is no type to mypy: it checks the handlers against these
    TourForm = Form

    class CourseForm(Form):
        categories: Many

else:
    TourForm = form_struct("TourForm", *TOUR_FIELDS, "deadline_day", "deadline_time", "keep_delegations")
    CourseForm = form_struct(
        "CourseForm",
        *COURSE_TEXT_FIELDS,
        "day",
        "departs",
        "returns",
        "seats",
        "invitation_only",
        "requires_id",
        many=("categories",),
    )


class AllocationForm(Form):
    seed: str = ""
    close_early: str = ""


class AddPersonForm(Form):
    email: str = ""


class MarkForm(Form):
    mark: str = ""


class TourAdminPages(Controller):
    path = "/organizer/tours"
    include_in_schema = False

    @get("/", guards=[requires_organizer], name="tours.organizer")
    async def overview(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await _organizer_page(request, db_session, current_edition)

    @get("/new", guards=[requires_organizer], name="tours.new")
    async def new_tour(self, request: Request, current_edition: CurrentEdition) -> Template:
        return page(
            request,
            "tours/tour_form.html",
            edition=current_edition,
            tour=None,
            values={"mode": "fcfs", "id_retention_days": "14", "keep_delegations": "1"},
            errors={},
        )

    @post("/new", guards=[requires_organizer], name="tours.create")
    async def create_tour(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: URLEncodedBody[TourForm],
    ) -> Template | Redirect:
        return await _save_tour(request, db_session, current_edition, data, None)

    @get("/{tour_id:int}/edit", guards=[requires_organizer], name="tours.edit")
    async def edit_tour(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, tour_id: FromPath[int]
    ) -> Template:
        tour = await tours.get_tour(db_session, tour_id)
        tz = ZoneInfo(current_edition.timezone)
        values = {k: str(getattr(tour, k) if getattr(tour, k) is not None else "") for k in TOUR_FIELDS}
        values["keep_delegations"] = "1" if tour.keep_delegations else ""
        if tour.ballot_deadline:
            values["deadline_day"] = tour.ballot_deadline.astimezone(tz).strftime("%Y-%m-%d")
            values["deadline_time"] = tour.ballot_deadline.astimezone(tz).strftime("%H:%M")
        return page(
            request, "tours/tour_form.html", edition=current_edition, tour=tour, values=values, errors={}
        )

    @post("/{tour_id:int}/edit", guards=[requires_organizer], name="tours.update")
    async def update_tour(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        tour_id: FromPath[int],
        data: URLEncodedBody[TourForm],
    ) -> Template | Redirect:
        return await _save_tour(request, db_session, current_edition, data, tour_id)

    @get("/{tour_id:int}/courses/new", guards=[requires_organizer], name="tours.new_course")
    async def new_course(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, tour_id: FromPath[int]
    ) -> Template:
        tour = await tours.get_tour(db_session, tour_id)
        values = {"day": current_edition.starts_on.isoformat(), "departs": "10:00", "returns": "12:00"}
        return page(
            request,
            "tours/course_form.html",
            edition=current_edition,
            tour=tour,
            course=None,
            values=values,
            chosen=[],
            errors={},
            categories=registration.CATEGORIES,
        )

    @post("/{tour_id:int}/courses/new", guards=[requires_organizer], name="tours.create_course")
    async def create_course(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        tour_id: FromPath[int],
        data: URLEncodedBody[CourseForm],
    ) -> Template | Redirect:
        return await _save_course(request, db_session, current_edition, data, tour_id, None)

    @get("/{tour_id:int}/courses/{course_id:int}/edit", guards=[requires_organizer], name="tours.edit_course")
    async def edit_course(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        tour_id: FromPath[int],
        course_id: FromPath[int],
    ) -> Template:
        tour = await tours.get_tour(db_session, tour_id)
        course = next((c for c in tour.courses if c.id == course_id), None)
        if course is None:
            raise NotFound("course")
        tz = ZoneInfo(current_edition.timezone)
        values = {k: str(getattr(course, k) or "") for k in COURSE_TEXT_FIELDS}
        values.update(
            day=course.departs_at.astimezone(tz).strftime("%Y-%m-%d"),
            departs=course.departs_at.astimezone(tz).strftime("%H:%M"),
            returns=course.returns_at.astimezone(tz).strftime("%H:%M"),
            seats=str(course.seats),
            invitation_only="1" if course.invitation_only else "",
            requires_id="1" if course.requires_id else "",
        )
        return page(
            request,
            "tours/course_form.html",
            edition=current_edition,
            tour=tour,
            course=course,
            values=values,
            chosen=list(course.categories),
            errors={},
            categories=registration.CATEGORIES,
        )

    @post(
        "/{tour_id:int}/courses/{course_id:int}/edit", guards=[requires_organizer], name="tours.update_course"
    )
    async def update_course(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        tour_id: FromPath[int],
        course_id: FromPath[int],
        data: URLEncodedBody[CourseForm],
    ) -> Template | Redirect:
        return await _save_course(request, db_session, current_edition, data, tour_id, course_id)

    @post("/{tour_id:int}/allocate", guards=[requires_organizer], name="tours.allocate")
    async def allocate(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        tour_id: FromPath[int],
        data: URLEncodedBody[AllocationForm],
    ) -> Template | Redirect:
        try:
            await ballot.run_allocation(
                db_session,
                tour_id,
                data.seed,
                _base(request),
                close_early=data.close_early == "1",
                actor=request.user,
            )
        except DomainError as exc:
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _organizer_page(
                    request, db_session, current_edition, refused.message, refused.status_code
                ),
                reload=[current_edition],
            )
        return Redirect(request.app.route_reverse("tours.organizer") + "?notice=allocated", status_code=303)

    @get("/courses/{course_id:int}/manifest", guards=[requires_organizer], name="tours.manifest")
    async def manifest_page(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
    ) -> Template:
        course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
        return page(
            request, "tours/manifest.html", course=course, lines=lines, tz=ZoneInfo(current_edition.timezone)
        )

    @get("/courses/{course_id:int}/manifest.csv", guards=[requires_organizer], name="tours.manifest_csv")
    async def manifest_csv(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Response:
        course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
        header = [
            "status",
            "waiting_position",
            "name_latin",
            "name_local",
            "organization",
            "country",
            "dietary",
            "accessibility",
            "id_kind",
            "id_number",
            "id_missing",
            "present",
        ]
        rows = [
            [
                line.status,
                line.position or "",
                line.name_latin,
                line.name_local or "",
                line.organization,
                line.country or "",
                line.dietary or "",
                line.accessibility or "",
                *(line.id_document or ("", "")),
                "yes" if line.id_missing else "",
                "" if line.present is None else "yes" if line.present else "no",
            ]
            for line in lines
        ]
        return Response(
            to_csv(header, rows),
            media_type="text/csv",
            headers={
                "content-disposition": f'attachment; filename="manifest-{course.code}.csv"',
                "cache-control": "no-store",
            },
        )

    @get("/courses/{course_id:int}/manifest.pdf", guards=[requires_organizer], name="tours.manifest_pdf")
    async def manifest_pdf(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
    ) -> Response:
        course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
        tz = ZoneInfo(current_edition.timezone)
        data = ManifestPdf(
            title=f"{course.code} {course.theme_en} / {course.theme_ja}",
            subtitle=f"{dates.format_range(course.departs_at, course.returns_at, 'en', tz, 'datetime_range')} · "
            f"{course.meeting_point_en}",
            rows=[
                (
                    str(n),
                    line.name_latin,
                    line.name_local or "",
                    line.organization,
                    line.country or "",
                    "; ".join(v for v in (line.dietary, line.accessibility) if v),
                    (
                        f"{line.id_document[0]} {line.id_document[1]}"
                        if line.id_document
                        else ("MISSING" if line.id_missing else "")
                    ),
                    "waiting" if line.status == "waiting" else "",
                )
                for n, line in enumerate(lines, 1)
            ],
        )
        body = await anyio.to_thread.run_sync(render_manifest, data)
        return Response(
            body,
            media_type="application/pdf",
            headers={
                "content-disposition": f'attachment; filename="manifest-{course.code}.pdf"',
                "cache-control": "no-store",
            },
        )

    @get("/roll-calls", guards=[requires_roll_call], name="tours.roll_calls")
    async def roll_calls(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        """Where check-in staff start: every course with its departure, each a link to its roll-call."""
        items = await tours.list_tours(db_session, current_edition.id)
        return page(request, "tours/roll_calls.html", tours=items, tz=ZoneInfo(current_edition.timezone))

    @post("/courses/{course_id:int}/add", guards=[requires_organizer], name="tours.add_person")
    async def add_person(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        course_id: FromPath[int],
        data: URLEncodedBody[AddPersonForm],
    ) -> Template | Redirect:
        """Organizers book a person in, e.g. onto an invitation-only course."""
        try:
            await booking.book_by_email(db_session, data.email, course_id, _base(request), request.user)
        except DomainError as exc:
            if exc.code == "not_found" and exc.field is None:
                raise
            return await form_again(
                request,
                db_session,
                exc,
                lambda refused: _manifest_page(
                    request, db_session, current_edition, course_id, refused.message, refused.status_code
                ),
                reload=[current_edition],
            )
        target = request.app.route_reverse("tours.manifest", course_id=course_id)
        return Redirect(target, status_code=303)

    @get("/courses/{course_id:int}/roll-call", guards=[requires_roll_call], name="tours.roll_call")
    async def roll_call(self, request: Request, db_session: DbSession, course_id: FromPath[int]) -> Template:
        course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
        seated = [line for line in lines if line.status == "confirmed"]
        return page(
            request,
            "tours/roll_call.html",
            course=course,
            lines=seated,
            present=sum(1 for line in seated if line.present),
            _has_partial=False,
        )

    @post("/courses/{course_id:int}/roll-call/{user_id:int}", guards=[requires_roll_call], name="tours.mark")
    async def mark(
        self,
        request: Request,
        db_session: DbSession,
        course_id: FromPath[int],
        user_id: FromPath[int],
        data: URLEncodedBody[MarkForm],
    ) -> Template | Redirect:
        value = {"present": True, "absent": False}.get(data.mark)
        await roll_call.mark(db_session, course_id, user_id, value, request.user)
        if getattr(request, "htmx", None):
            course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
            line = next(line for line in lines if line.user_id == user_id)
            seated = [other for other in lines if other.status == "confirmed"]
            count = (sum(1 for other in seated if other.present), len(seated))
            return Template(
                "tours/_roll_line.html", context={"course": course, "line": line, "oob_count": count}
            )
        target = request.app.route_reverse("tours.roll_call", course_id=course_id)
        return Redirect(f"{target}#p-{user_id}", status_code=303)


async def _save_tour(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    data: Form,
    tour_id: int | None,
) -> Template | Redirect:
    values = data.values()
    try:
        await editing.save_tour(db_session, edition, tour_id, values, request.user)
    except ValidationFailed as exc:

        async def again(refused: Refusal) -> Template:
            tour = await tours.get_tour(db_session, tour_id) if tour_id else None
            return page(
                request,
                "tours/tour_form.html",
                status_code=refused.status_code,
                edition=edition,
                tour=tour,
                values=values,
                errors=refused.errors,
            )

        return await form_again(request, db_session, exc, again, reload=[edition])
    return Redirect(request.app.route_reverse("tours.organizer") + "?notice=tour_saved", status_code=303)


async def _save_course(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    data: CourseForm,
    tour_id: int,
    course_id: int | None,
) -> Template | Redirect:
    values = data.values(
        *COURSE_TEXT_FIELDS, "day", "departs", "returns", "seats", "invitation_only", "requires_id"
    )
    chosen = data.categories
    try:
        course, promoted = await editing.save_course(
            db_session, edition, tour_id, course_id, values, chosen, request.user
        )
    except ValidationFailed as exc:

        async def again(refused: Refusal) -> Template:
            tour = await tours.get_tour(db_session, tour_id)
            course = next((c for c in tour.courses if c.id == course_id), None)
            return page(
                request,
                "tours/course_form.html",
                status_code=refused.status_code,
                edition=edition,
                tour=tour,
                course=course,
                values=values,
                chosen=chosen,
                errors=refused.errors,
                categories=registration.CATEGORIES,
            )

        return await form_again(request, db_session, exc, again, reload=[edition])
    await booking.tell_promoted(db_session, course, promoted, _base(request))
    return Redirect(request.app.route_reverse("tours.organizer") + "?notice=course_saved", status_code=303)


async def _organizer_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    items = await tours.list_tours(db_session, edition.id)
    return page(
        request,
        "tours/organizer.html",
        status_code=status_code,
        edition=edition,
        tours=items,
        figures=await tours.figures(db_session, [c for t in items for c in t.courses]),
        ranked_counts=await ballot.ranked_counts(db_session, [t.id for t in items]),
        tz=ZoneInfo(edition.timezone),
        now=clock.now(),
        notice=request.query_params.get("notice") if error is None else None,
        error=error,
    )


async def _manifest_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    course_id: int,
    error: str,
    status_code: int,
) -> Template:
    course, lines = await roll_call.manifest(db_session, course_id, _secret(request))
    return page(
        request,
        "tours/manifest.html",
        status_code=status_code,
        course=course,
        lines=lines,
        tz=ZoneInfo(edition.timezone),
        error=error,
    )
