"""The organizers' import of a list of people (a city's CSV or Excel file): upload, a preview naming every row's
problems, confirm, and the import's progress and outcome."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import uploads
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.registration import bulk_import, importing
from ascc.security import requires_organizer
from ascc.web import DbSession, error_messages, form_text, page, request_lang

CurrentEdition = NamedDependency[editions.Edition]


async def start_import(request: Request, batch_id: int) -> None:
    """The rows are registered after the answer; the batch's counters show the progress to any worker."""
    await request.app.state.jobs.start("registration_import", batch_id=batch_id)


class ImportPages(Controller):
    path = "/organizer/registrations/import"
    guards = [requires_organizer]
    include_in_schema = False

    async def _upload_page(
        self,
        request: Request,
        db_session: DbSession,
        edition: editions.Edition,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "organizer/registration_import.html",
            status_code=status_code,
            edition=edition,
            errors=errors or {},
            imports=await importing.recent(db_session, edition.id),
            max_mb=uploads.megabytes(bulk_import.MAX_BYTES),
            max_bytes=bulk_import.MAX_BYTES,
            max_rows=bulk_import.MAX_ROWS,
            columns=bulk_import.COLUMNS,
        )

    @get("/", name="registrations.import")
    async def form(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return await self._upload_page(request, db_session, current_edition)

    @get("/template.csv", name="registrations.import_template")
    async def template(self) -> Response[bytes]:
        return Response(
            bulk_import.template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ascc-registrations.csv"'},
        )

    @post("/", name="registrations.import_upload", **uploads.route_options(bulk_import.MAX_BYTES))
    async def upload(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        form = await request.form()
        chosen = await uploads.chosen_file(form, "file", bulk_import.MAX_BYTES)
        try:
            if chosen is None:
                raise ValidationFailed({"file": ("error.required", {})})
            batch = await importing.preview_file(
                db_session,
                current_edition.id,
                chosen[0],
                chosen[1],
                request.user,
                request.app.state.settings.base_url,
                request_lang(request),
            )
        except DomainError as exc:
            await db_session.rollback()
            await db_session.refresh(current_edition)
            return await self._upload_page(
                request, db_session, current_edition, error_messages(request, exc, "file"), exc.status_code
            )
        return Redirect(
            request.app.route_reverse("registrations.import_batch", batch_id=batch.id), status_code=303
        )

    @get("/{batch_id:int}", name="registrations.import_batch")
    async def batch(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        batch_id: FromPath[int],
    ) -> Template:
        return await _batch_page(request, db_session, current_edition, batch_id)

    @get("/{batch_id:int}/progress", name="registrations.import_progress")
    async def progress(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        batch_id: FromPath[int],
    ) -> Template:
        batch = await importing.get_batch(db_session, current_edition.id, batch_id)
        return page(request, "organizer/_import_progress.html", batch=batch)

    @post("/{batch_id:int}/confirm", name="registrations.import_confirm")
    async def confirm(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        batch_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await importing.confirm(
                db_session,
                current_edition.id,
                batch_id,
                form_text(form, "privacy_accepted") == "on",
                request.user,
            )
        except DomainError as exc:
            await db_session.rollback()
            await db_session.refresh(current_edition)
            if exc.code == "already_confirmed":  # a double click or a colleague: the page shows how it goes
                return Redirect(
                    request.app.route_reverse("registrations.import_batch", batch_id=batch_id),
                    status_code=303,
                )
            return await _batch_page(
                request, db_session, current_edition, batch_id, error_messages(request, exc), exc.status_code
            )
        await db_session.commit()  # the job reads the batch from its own session
        await start_import(request, batch_id)
        return Redirect(
            request.app.route_reverse("registrations.import_batch", batch_id=batch_id), status_code=303
        )


async def _batch_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    batch_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    batch = await importing.get_batch(db_session, edition.id, batch_id)
    outcomes: dict[int, dict[str, Any]] = {r["line"]: r for r in batch.results or []}
    return page(
        request,
        "organizer/registration_import_batch.html",
        status_code=status_code,
        edition=edition,
        batch=batch,
        outcomes=outcomes,
        labels={name: f"import.column.{name}" for name in bulk_import.COLUMNS},
        errors=errors or {},
    )
