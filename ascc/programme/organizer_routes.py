"""The organizers' programme pages: sessions with warnings, tracks, rooms, speakers, materials, publishing."""

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import uploads
from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.i18n import translate
from ascc.programme import editing, materials, releases, session_editing
from ascc.programme import services as programme
from ascc.programme.models import ROLES, SESSION_STATUSES
from ascc.programme.routes import schedule_cache
from ascc.programme.schedule import FORMATS, KINDS, LANGUAGES, Warning
from ascc.programme.session_editing import NeedsConfirmation, SessionInput
from ascc.security import requires_organizer
from ascc.taxonomy import SECTORS
from ascc.text import as_number
from ascc.web import DbSession, form_errors, form_text, form_values, page, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

SESSION_TEXT_FIELDS = (
    "title_en",
    "title_ja",
    "abstract_en",
    "abstract_ja",
    "kind",
    "day",
    "start",
    "end",
    "room_id",
    "track_id",
    "sdgs",
    "floor_language",
    "format",
    "capacity",
    "status",
)
SESSION_LIST_FIELDS = ("sectors", "interpretation", "speakers", "moderators", "panelists")


def _session_input(form: Any) -> SessionInput:
    lists = {name: [v for v in form.getall(name, []) if isinstance(v, str)] for name in SESSION_LIST_FIELDS}
    values: dict[str, Any] = {**form_values(form, *SESSION_TEXT_FIELDS), **lists}
    return SessionInput(**values)


def warning_text(lang: str, warning: Warning, speaker_names: dict[int, str]) -> str:
    names = ", ".join(speaker_names.get(i, "?") for i in sorted(warning.person_ids))
    return translate(
        lang,
        f"programme.warning.{warning.kind}",
        other=warning.other_title,
        names=names,
        holders=warning.holders,
        limit=warning.limit,
        waiting=warning.waiting,
    )


async def _form_context(db_session: DbSession, edition: editions.Edition) -> dict[str, Any]:
    speakers = await editing.list_speakers(db_session, edition.id)
    return {
        "edition": edition,
        "rooms": await editions.list_rooms(db_session, edition.id),
        "tracks": await editing.list_tracks(db_session, edition.id),
        "speakers": speakers,
        "speakers_by_id": {s.id: s for s in speakers},
        "kinds": KINDS,
        "formats": FORMATS,
        "languages": LANGUAGES,
        "sectors": SECTORS,
        "statuses": SESSION_STATUSES,
        "roles": ROLES,
        "days": [
            edition.starts_on.fromordinal(d)
            for d in range(edition.starts_on.toordinal(), edition.ends_on.toordinal() + 1)
        ],
    }


class ProgrammeAdminPages(Controller):
    path = "/organizer/programme"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def overview(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        rows = await session_editing.list_sessions(db_session, current_edition.id)
        warnings = await session_editing.programme_warnings(db_session, current_edition, rows)
        names = {p.speaker_id: p.speaker.name for row in rows for p in row.people}
        lang = request_lang(request)
        titles = {row.id: row for row in rows}
        return page(
            request,
            "organizer/programme.html",
            edition=current_edition,
            sessions=rows,
            tz=ZoneInfo(current_edition.timezone),
            warnings=[
                (titles.get(w.session_id) if w.session_id is not None else None, warning_text(lang, w, names))
                for w in warnings
            ],
            warned_ids={w.session_id for w in warnings} | {w.other_id for w in warnings},
            pending=await releases.unpublished_count(db_session, current_edition),
            releases=await releases.list_releases(db_session, current_edition.id),
            notice=request.query_params.get("notice"),
            rooms={r.id: r for r in await editions.list_rooms(db_session, current_edition.id)},
        )

    @post("/publish")
    async def publish(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Redirect:
        form = await request.form()
        result = await releases.publish(
            db_session,
            current_edition,
            request.user.id,
            form_text(form, "note"),
            request.app.state.settings.base_url,
        )
        await audit.record(
            db_session,
            request.user,
            "programme.publish",
            "release",
            result.release.id,
            f"v{result.release.version}",
            after={
                "version": result.release.version,
                "note": result.release.note,
                "changes": result.changes,
                "notified": result.notified,
            },
            edition_id=current_edition.id,
        )
        await db_session.commit()  # the cache reloads from the database: the release must be there first
        schedule_cache(request).invalidate()
        return Redirect(
            f"/organizer/programme/?notice=published&version={result.release.version}", status_code=303
        )

    # --- sessions ---

    @get("/sessions/new")
    async def new_session(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        values = SessionInput(day=current_edition.starts_on.isoformat(), start="09:00", end="10:00")
        return page(
            request,
            "organizer/programme_session.html",
            row=None,
            values=values,
            errors={},
            warnings=[],
            **await _form_context(db_session, current_edition),
        )

    @post("/sessions/new")
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
        row = await session_editing.get_session(db_session, current_edition.id, session_id)
        values = session_editing.form_of(row, ZoneInfo(current_edition.timezone))
        return page(
            request,
            "organizer/programme_session.html",
            row=row,
            values=values,
            errors={},
            warnings=[],
            notice=request.query_params.get("notice"),
            was_released=await session_editing.was_released(db_session, current_edition.id, session_id),
            **await _form_context(db_session, current_edition),
        )

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
    ) -> Redirect:
        await session_editing.delete_session(db_session, current_edition.id, session_id, request.user)
        return Redirect("/organizer/programme/?notice=deleted", status_code=303)

    @post("/sessions/{session_id:int}/materials", **uploads.route_options(materials.MATERIAL_MAX_BYTES))
    async def add_material(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> Template | Redirect:
        edition = await editions.require_current(db_session)
        form = await request.form()
        values = form_values(
            form, "title", "url", "kind", "available_from", "available_until", "do_not_publish"
        )
        try:
            await materials.add_material(
                db_session,
                edition.id,
                session_id,
                values,
                await uploads.chosen_file(form, "file", materials.MATERIAL_MAX_BYTES),
                request.user,
            )
        except (ValidationFailed, DomainError) as exc:
            await db_session.rollback()
            edition = await editions.require_current(db_session)  # the rollback expired it
            errors = (
                form_errors(request, exc)
                if isinstance(exc, ValidationFailed)
                else {exc.field or "file": translate(request_lang(request), exc.message, **exc.params)}
            )
            row = await session_editing.get_session(db_session, edition.id, session_id)
            return page(
                request,
                "organizer/programme_session.html",
                status_code=exc.status_code,
                row=row,
                values=session_editing.form_of(row, ZoneInfo(edition.timezone)),
                errors={},
                material_errors=errors,
                material_values=values,
                warnings=[],
                **await _form_context(db_session, edition),
            )
        return Redirect(
            f"/organizer/programme/sessions/{session_id}?notice=material_added#materials", status_code=303
        )

    @post("/sessions/{session_id:int}/materials/{material_id:int}/consent")
    async def material_consent(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        session_id: FromPath[int],
        material_id: FromPath[int],
    ) -> Redirect:
        """The speakers' word on publishing one material: "do not publish" hides it from everyone else."""
        form = await request.form()
        await materials.set_publish_consent(
            db_session,
            current_edition.id,
            session_id,
            material_id,
            form_text(form, "publish") == "1",
            request.user,
        )
        return Redirect(f"/organizer/programme/sessions/{session_id}#materials", status_code=303)

    @post("/sessions/{session_id:int}/materials/{material_id:int}/delete")
    async def delete_material(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        session_id: FromPath[int],
        material_id: FromPath[int],
    ) -> Redirect:
        await materials.delete_material(db_session, current_edition.id, session_id, material_id, request.user)
        return Redirect(f"/organizer/programme/sessions/{session_id}#materials", status_code=303)

    # --- tracks and rooms ---

    @get("/tracks")
    async def tracks(self, request: Request, db_session: DbSession) -> Template:
        return await _places_page(request, db_session, {}, {})

    @post("/tracks")
    async def save_track(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        form = await request.form()
        values = form_values(form, "id", "name_en", "name_ja", "colour")
        try:
            await editing.save_track(
                db_session,
                current_edition.id,
                as_number(values["id"]),
                values,
                request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _places_page(
                request, db_session, {"track": form_errors(request, exc)}, {"track": values}, 422
            )
        return Redirect("/organizer/programme/tracks?notice=saved", status_code=303)

    @post("/tracks/{track_id:int}/delete")
    async def delete_track(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        track_id: FromPath[int],
    ) -> Redirect:
        await editing.delete_track(db_session, current_edition.id, track_id, request.user)
        return Redirect("/organizer/programme/tracks?notice=deleted", status_code=303)

    @post("/rooms")
    async def save_room(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        form = await request.form()
        values = form_values(form, "id", "name_en", "name_ja", "floor", "capacity", "hybrid")
        try:
            data = editions.validate_room(values)
            room_id = as_number(values["id"])
            await editions.save_room(db_session, current_edition.id, room_id, data, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _places_page(
                request, db_session, {"room": form_errors(request, exc)}, {"room": values}, 422
            )
        return Redirect("/organizer/programme/tracks?notice=saved#rooms", status_code=303)

    @post("/rooms/{room_id:int}/delete")
    async def delete_room(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, room_id: FromPath[int]
    ) -> Redirect:
        await editions.delete_room(db_session, current_edition.id, room_id, request.user)
        return Redirect("/organizer/programme/tracks?notice=deleted#rooms", status_code=303)

    # --- speakers ---

    @get("/speakers")
    async def speakers(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return page(
            request,
            "organizer/programme_speakers.html",
            edition=current_edition,
            speakers=await editing.list_speakers(db_session, current_edition.id),
            notice=request.query_params.get("notice"),
        )

    @get("/speakers/new")
    async def new_speaker(self, request: Request, current_edition: CurrentEdition) -> Template:
        return page(
            request,
            "organizer/programme_speaker.html",
            edition=current_edition,
            speaker=None,
            values={},
            errors={},
        )

    @post("/speakers/new")
    async def create_speaker(self, request: Request, db_session: DbSession) -> Template | Redirect:
        return await _save_speaker(request, db_session, None)

    @get("/speakers/{speaker_id:int}")
    async def edit_speaker(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        speaker_id: FromPath[int],
    ) -> Template:
        speaker = await editing.get_speaker(db_session, current_edition.id, speaker_id)
        return page(
            request,
            "organizer/programme_speaker.html",
            edition=current_edition,
            speaker=speaker,
            values=vars(speaker),
            errors={},
            notice=request.query_params.get("notice"),
        )

    @post("/speakers/{speaker_id:int}")
    async def update_speaker(
        self, request: Request, db_session: DbSession, speaker_id: FromPath[int]
    ) -> Template | Redirect:
        return await _save_speaker(request, db_session, speaker_id)

    @post("/speakers/{speaker_id:int}/photo", **uploads.route_options(editing.PHOTO_MAX_BYTES))
    async def speaker_photo(
        self, request: Request, db_session: DbSession, speaker_id: FromPath[int]
    ) -> Template | Redirect:
        edition = await editions.require_current(db_session)
        form = await request.form()
        upload = await uploads.chosen_file(form, "photo", editing.PHOTO_MAX_BYTES)
        try:
            if upload is None:
                raise DomainError("error.required", "required", field="photo", status=422)
            await editing.set_speaker_photo(db_session, edition.id, speaker_id, *upload, actor=request.user)
        except DomainError as exc:
            await db_session.rollback()
            edition = await editions.require_current(db_session)  # the rollback expired it
            speaker = await editing.get_speaker(db_session, edition.id, speaker_id)
            return page(
                request,
                "organizer/programme_speaker.html",
                status_code=exc.status_code,
                edition=edition,
                speaker=speaker,
                values=vars(speaker),
                errors={},
                photo_error=translate(request_lang(request), exc.message, **exc.params),
            )
        return Redirect(f"/organizer/programme/speakers/{speaker_id}?notice=photo_saved", status_code=303)

    @post("/speakers/{speaker_id:int}/delete")
    async def delete_speaker(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        speaker_id: FromPath[int],
    ) -> Redirect:
        await editing.delete_speaker(db_session, current_edition.id, speaker_id, request.user)
        return Redirect("/organizer/programme/speakers?notice=deleted", status_code=303)


async def _save_session(
    request: Request, db_session: DbSession, session_id: int | None
) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    form = await request.form()
    data = _session_input(form)
    confirmed = form_text(form, "confirm_warnings") in ("1", "on")
    places_before = (
        (await session_editing.get_session(db_session, edition.id, session_id)).capacity
        if session_id
        else None
    )
    try:
        saved, promoted = await session_editing.save_session(
            db_session, edition, session_id, data, confirmed, actor=request.user
        )
    except (ValidationFailed, NeedsConfirmation) as exc:
        await db_session.rollback()
        edition = await editions.require_current(db_session)  # the rollback expired it
        lang = request_lang(request)
        errors = form_errors(request, exc) if isinstance(exc, ValidationFailed) else {}
        names = {s.id: s.name for s in await editing.list_speakers(db_session, edition.id)}
        warnings = (
            [warning_text(lang, w, names) for w in exc.warnings] if isinstance(exc, NeedsConfirmation) else []
        )
        row = await session_editing.get_session(db_session, edition.id, session_id) if session_id else None
        return page(
            request,
            "organizer/programme_session.html",
            status_code=422 if errors else 409,
            row=row,
            values=data,
            errors=errors,
            warnings=warnings,
            **await _form_context(db_session, edition),
        )
    await programme.tell_promoted(db_session, saved.id, promoted, request.app.state.settings.base_url)
    # The places count for seats at once (the capacity pool), the rest at the next publication.
    notice = "saved_capacity" if session_id and saved.capacity != places_before else "saved"
    return Redirect(f"/organizer/programme/sessions/{saved.id}?notice={notice}", status_code=303)


async def _save_speaker(
    request: Request, db_session: DbSession, speaker_id: int | None
) -> Template | Redirect:
    edition = await editions.require_current(db_session)
    form = await request.form()
    values = form_values(
        form,
        "name",
        "name_local",
        "affiliation_en",
        "affiliation_ja",
        "position_en",
        "position_ja",
        "bio_en",
        "bio_ja",
    )
    try:
        speaker = await editing.save_speaker(
            db_session, edition.id, speaker_id, editing.validate_speaker(values), request.user
        )
    except ValidationFailed as exc:
        await db_session.rollback()
        edition = await editions.require_current(db_session)  # the rollback expired it
        shown = await editing.get_speaker(db_session, edition.id, speaker_id) if speaker_id else None
        return page(
            request,
            "organizer/programme_speaker.html",
            status_code=422,
            edition=edition,
            speaker=shown,
            values=values,
            errors=form_errors(request, exc),
        )
    return Redirect(f"/organizer/programme/speakers/{speaker.id}?notice=saved", status_code=303)


async def _places_page(
    request: Request, db_session: DbSession, errors: dict, values: dict, status_code: int = 200
) -> Template:
    edition = await editions.require_current(db_session)
    return page(
        request,
        "organizer/programme_places.html",
        status_code=status_code,
        edition=edition,
        tracks=await editing.list_tracks(db_session, edition.id),
        rooms=await editions.list_rooms(db_session, edition.id),
        errors=errors,
        values=values,
        notice=request.query_params.get("notice"),
    )
