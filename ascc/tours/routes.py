"""Tour pages for participants (browse, book, rank, ID data) and organizers (fill, allocation, manifest, roll-call)."""

from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import clock
from ascc.csv_export import to_csv
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import translate
from ascc.registration import services as registration
from ascc.security import requires_login, requires_role
from ascc.text import as_number
from ascc.tours import services as tours
from ascc.tours.manifest import ManifestPdf, render_manifest
from ascc.web import DbSession, form_errors, form_text, form_values, page, request_lang

requires_roll_call = requires_role("organizer", "checkin")
requires_organizer = requires_role("organizer")


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key


async def _tours_page(
    request: Request,
    db_session: DbSession,
    error: str | None = None,
    status_code: int = 200,
    errors: dict | None = None,
) -> Template:
    edition = await editions.require_current(db_session)
    items = await tours.list_tours(db_session, edition.id)
    courses = [c for tour in items for c in tour.courses]
    mine: list[tours.MyBooking] = []
    preferences: dict[int, list[int]] = {}
    blocked = None
    if request.user is not None:
        blocked = await tours.who_may_not_join(db_session, edition.id, request.user.id)
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
        id_kinds=tours.ID_KINDS,
        blocked=blocked,
    )


def _message(request: Request, exc: DomainError) -> str:
    return translate(request_lang(request), exc.message, **exc.params)


class TourPages(Controller):
    include_in_schema = False

    @get("/tours")
    async def list_page(self, request: Request, db_session: DbSession) -> Template:
        return await _tours_page(request, db_session)

    @post("/tours/courses/{course_id:int}/book", guards=[requires_login])
    async def book(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Template | Redirect:
        try:
            claim = await tours.book(db_session, request.user.id, course_id, _base(request))
        except DomainError as exc:
            if exc.code == "not_found":
                raise
            await db_session.rollback()
            return await _tours_page(request, db_session, _message(request, exc), exc.status_code)
        return Redirect(f"/tours?notice=booked_{claim.status}#course-{course_id}", status_code=303)

    @post("/tours/courses/{course_id:int}/cancel", guards=[requires_login])
    async def cancel(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Template | Redirect:
        try:
            await tours.cancel(db_session, request.user.id, course_id, _base(request))
        except DomainError as exc:
            await db_session.rollback()
            return await _tours_page(request, db_session, _message(request, exc), exc.status_code)
        return Redirect("/tours?notice=cancelled", status_code=303)

    @post("/tours/{tour_id:int}/preferences", guards=[requires_login])
    async def rank(
        self, request: Request, db_session: DbSession, tour_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        chosen = [form_text(form, f"rank_{n}") for n in range(1, 9)]
        course_ids = [n for n in map(as_number, chosen) if n is not None]
        try:
            if any(v and as_number(v) is None for v in chosen):
                raise ValidationFailed({"courses": ("error.ranking_invalid", {})})
            await tours.set_preferences(db_session, request.user.id, tour_id, course_ids)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _tours_page(request, db_session, form_errors(request, exc)["courses"], 422)
        except DomainError as exc:
            await db_session.rollback()
            return await _tours_page(request, db_session, _message(request, exc), exc.status_code)
        return Redirect(f"/tours?notice=ranked#tour-{tour_id}", status_code=303)

    @post("/tours/courses/{course_id:int}/id-document", guards=[requires_login])
    async def id_document(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await tours.set_id_document(
                db_session,
                request.user.id,
                course_id,
                form_text(form, "id_kind"),
                form_text(form, "id_number"),
                _secret(request),
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _tours_page(
                request, db_session, None, 422, errors={course_id: form_errors(request, exc)}
            )
        except DomainError as exc:
            await db_session.rollback()
            return await _tours_page(request, db_session, _message(request, exc), exc.status_code)
        return Redirect(f"/tours?notice=id_saved#course-{course_id}", status_code=303)


class TourAdminPages(Controller):
    path = "/organizer/tours"
    include_in_schema = False

    @get("/", guards=[requires_organizer])
    async def overview(self, request: Request, db_session: DbSession) -> Template:
        return await _organizer_page(request, db_session)

    @get("/new", guards=[requires_organizer])
    async def new_tour(self, request: Request, db_session: DbSession) -> Template:
        edition = await editions.require_current(db_session)
        return page(
            request,
            "tours/tour_form.html",
            edition=edition,
            tour=None,
            values={"mode": "fcfs", "id_retention_days": "14", "keep_delegations": "1"},
            errors={},
        )

    @post("/new", guards=[requires_organizer])
    async def create_tour(self, request: Request, db_session: DbSession) -> Template | Redirect:
        return await _save_tour(request, db_session, None)

    @get("/{tour_id:int}/edit", guards=[requires_organizer])
    async def edit_tour(self, request: Request, db_session: DbSession, tour_id: FromPath[int]) -> Template:
        edition = await editions.require_current(db_session)
        tour = await tours.get_tour(db_session, tour_id)
        tz = ZoneInfo(edition.timezone)
        values = {k: str(getattr(tour, k) if getattr(tour, k) is not None else "") for k in TOUR_FIELDS}
        values["keep_delegations"] = "1" if tour.keep_delegations else ""
        if tour.ballot_deadline:
            values["deadline_day"] = tour.ballot_deadline.astimezone(tz).strftime("%Y-%m-%d")
            values["deadline_time"] = tour.ballot_deadline.astimezone(tz).strftime("%H:%M")
        return page(request, "tours/tour_form.html", edition=edition, tour=tour, values=values, errors={})

    @post("/{tour_id:int}/edit", guards=[requires_organizer])
    async def update_tour(
        self, request: Request, db_session: DbSession, tour_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_tour(request, db_session, tour_id)

    @get("/{tour_id:int}/courses/new", guards=[requires_organizer])
    async def new_course(self, request: Request, db_session: DbSession, tour_id: FromPath[int]) -> Template:
        edition = await editions.require_current(db_session)
        tour = await tours.get_tour(db_session, tour_id)
        values = {"day": edition.starts_on.isoformat(), "departs": "10:00", "returns": "12:00"}
        return page(
            request,
            "tours/course_form.html",
            edition=edition,
            tour=tour,
            course=None,
            values=values,
            chosen=[],
            errors={},
            categories=registration.CATEGORIES,
        )

    @post("/{tour_id:int}/courses/new", guards=[requires_organizer])
    async def create_course(
        self, request: Request, db_session: DbSession, tour_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_course(request, db_session, tour_id, None)

    @get("/{tour_id:int}/courses/{course_id:int}/edit", guards=[requires_organizer])
    async def edit_course(
        self, request: Request, db_session: DbSession, tour_id: FromPath[int], course_id: FromPath[int]
    ) -> Template:
        edition = await editions.require_current(db_session)
        tour = await tours.get_tour(db_session, tour_id)
        course = next((c for c in tour.courses if c.id == course_id), None)
        if course is None:
            raise NotFound("course")
        tz = ZoneInfo(edition.timezone)
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
            edition=edition,
            tour=tour,
            course=course,
            values=values,
            chosen=list(course.categories),
            errors={},
            categories=registration.CATEGORIES,
        )

    @post("/{tour_id:int}/courses/{course_id:int}/edit", guards=[requires_organizer])
    async def update_course(
        self, request: Request, db_session: DbSession, tour_id: FromPath[int], course_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_course(request, db_session, tour_id, course_id)

    @post("/{tour_id:int}/allocate", guards=[requires_organizer])
    async def allocate(
        self, request: Request, db_session: DbSession, tour_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await tours.run_allocation(
                db_session,
                tour_id,
                form_text(form, "seed"),
                _base(request),
                close_early=form_text(form, "close_early") == "1",
                actor=request.user,
            )
        except DomainError as exc:
            await db_session.rollback()
            return await _organizer_page(request, db_session, _message(request, exc), exc.status_code)
        return Redirect("/organizer/tours/?notice=allocated", status_code=303)

    @get("/courses/{course_id:int}/manifest", guards=[requires_organizer])
    async def manifest_page(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Template:
        course, lines = await tours.manifest(db_session, course_id, _secret(request))
        edition = await editions.require_current(db_session)
        return page(request, "tours/manifest.html", course=course, lines=lines, tz=ZoneInfo(edition.timezone))

    @get("/courses/{course_id:int}/manifest.csv", guards=[requires_organizer])
    async def manifest_csv(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Response:
        course, lines = await tours.manifest(db_session, course_id, _secret(request))
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
                {True: "yes", False: "no"}.get(line.present, ""),
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

    @get("/courses/{course_id:int}/manifest.pdf", guards=[requires_organizer])
    async def manifest_pdf(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Response:
        course, lines = await tours.manifest(db_session, course_id, _secret(request))
        edition = await editions.require_current(db_session)
        tz = ZoneInfo(edition.timezone)
        data = ManifestPdf(
            title=f"{course.code} {course.theme_en} / {course.theme_ja}",
            subtitle=f"{course.departs_at.astimezone(tz):%Y-%m-%d %H:%M}–{course.returns_at.astimezone(tz):%H:%M} · "
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

    @get("/roll-calls", guards=[requires_roll_call])
    async def roll_calls(self, request: Request, db_session: DbSession) -> Template:
        """Where check-in staff start: every course with its departure, each a link to its roll-call."""
        edition = await editions.require_current(db_session)
        items = await tours.list_tours(db_session, edition.id)
        return page(request, "tours/roll_calls.html", tours=items, tz=ZoneInfo(edition.timezone))

    @post("/courses/{course_id:int}/add", guards=[requires_organizer])
    async def add_person(
        self, request: Request, db_session: DbSession, course_id: FromPath[int]
    ) -> Template | Redirect:
        """Organizers book a person in, e.g. onto an invitation-only course."""
        form = await request.form()
        try:
            await tours.book_by_email(
                db_session, form_text(form, "email"), course_id, _base(request), request.user
            )
        except DomainError as exc:
            if exc.code == "not_found" and exc.field is None:
                raise
            await db_session.rollback()
            edition = await editions.require_current(db_session)
            course, lines = await tours.manifest(db_session, course_id, _secret(request))
            return page(
                request,
                "tours/manifest.html",
                status_code=exc.status_code,
                course=course,
                lines=lines,
                tz=ZoneInfo(edition.timezone),
                error=_message(request, exc),
            )
        return Redirect(f"/organizer/tours/courses/{course_id}/manifest", status_code=303)

    @get("/courses/{course_id:int}/roll-call", guards=[requires_roll_call])
    async def roll_call(self, request: Request, db_session: DbSession, course_id: FromPath[int]) -> Template:
        course, lines = await tours.manifest(db_session, course_id, _secret(request))
        seated = [line for line in lines if line.status == "confirmed"]
        return page(
            request,
            "tours/roll_call.html",
            course=course,
            lines=seated,
            present=sum(1 for line in seated if line.present),
            _has_partial=False,
        )

    @post("/courses/{course_id:int}/roll-call/{user_id:int}", guards=[requires_roll_call])
    async def mark(
        self, request: Request, db_session: DbSession, course_id: FromPath[int], user_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        value = {"present": True, "absent": False}.get(form_text(form, "mark"))
        await tours.mark(db_session, course_id, user_id, value, request.user)
        if getattr(request, "htmx", None):
            course, lines = await tours.manifest(db_session, course_id, _secret(request))
            line = next(line for line in lines if line.user_id == user_id)
            seated = [other for other in lines if other.status == "confirmed"]
            count = (sum(1 for other in seated if other.present), len(seated))
            return Template(
                "tours/_roll_line.html", context={"course": course, "line": line, "oob_count": count}
            )
        return Redirect(f"/organizer/tours/courses/{course_id}/roll-call#p-{user_id}", status_code=303)


TOUR_FIELDS = (
    "code",
    "name_en",
    "name_ja",
    "description_en",
    "description_ja",
    "mode",
    "city_cap",
    "id_retention_days",
)
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


async def _save_tour(request: Request, db_session: DbSession, tour_id: int | None) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    form = await request.form()
    values = form_values(form, *TOUR_FIELDS, "deadline_day", "deadline_time", "keep_delegations")
    try:
        await tours.save_tour(db_session, edition, tour_id, values, request.user)
    except ValidationFailed as exc:
        await db_session.rollback()
        edition = await editions.require_current(db_session)
        tour = await tours.get_tour(db_session, tour_id) if tour_id else None
        return page(
            request,
            "tours/tour_form.html",
            status_code=422,
            edition=edition,
            tour=tour,
            values=values,
            errors=form_errors(request, exc),
        )
    return Redirect("/organizer/tours/?notice=tour_saved", status_code=303)


async def _save_course(
    request: Request, db_session: DbSession, tour_id: int, course_id: int | None
) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    form = await request.form()
    values = form_values(
        form, *COURSE_TEXT_FIELDS, "day", "departs", "returns", "seats", "invitation_only", "requires_id"
    )
    chosen = [v for v in form.getall("categories", []) if isinstance(v, str)]
    try:
        course, promoted = await tours.save_course(
            db_session, edition, tour_id, course_id, values, chosen, request.user
        )
    except ValidationFailed as exc:
        await db_session.rollback()
        edition = await editions.require_current(db_session)
        tour = await tours.get_tour(db_session, tour_id)
        course = next((c for c in tour.courses if c.id == course_id), None)
        return page(
            request,
            "tours/course_form.html",
            status_code=422,
            edition=edition,
            tour=tour,
            course=course,
            values=values,
            chosen=chosen,
            errors=form_errors(request, exc),
            categories=registration.CATEGORIES,
        )
    await tours.tell_promoted(db_session, course, promoted, _base(request))
    return Redirect("/organizer/tours/?notice=course_saved", status_code=303)


async def _organizer_page(
    request: Request, db_session: DbSession, error: str | None = None, status_code: int = 200
) -> Template:
    edition = await editions.require_current(db_session)
    items = await tours.list_tours(db_session, edition.id)
    return page(
        request,
        "tours/organizer.html",
        status_code=status_code,
        edition=edition,
        tours=items,
        figures=await tours.figures(db_session, [c for t in items for c in t.courses]),
        ranked_counts=await tours.ranked_counts(db_session, [t.id for t in items]),
        tz=ZoneInfo(edition.timezone),
        now=clock.now(),
        notice=request.query_params.get("notice") if error is None else None,
        error=error,
    )
