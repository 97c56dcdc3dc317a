"""The badges and check-in API: public key, revocation list, my badge files, scans and figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, FromQuery

from ascc import clock, locks
from ascc.api_contract import errors
from ascc.badges import checkin, figures, render, sheets
from ascc.badges import services as badges
from ascc.badges.live import publish
from ascc.editions import services as editions
from ascc.programme import services as programme
from ascc.security import requires_login, requires_role
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

requires_checkin = requires_role("checkin", "organizer")

# Closed sets, as badges.models and badges.checkin name them (tests/test_api_contract.py compares).
PlaceType = Literal["entrance", "session", "tour", "meeting"]
Result = Literal["ok", "duplicate", "revoked", "invalid", "not_booked"]
Reason = Literal[
    "unknown",
    "malformed",
    "signature",
    "other_edition",
    "not_yet_valid",
    "expired",
    "nonce_reused",
    "cancelled",
    "category_changed",
    "lost",
    "stolen",
    "damaged",
    "reissued",
    "online_registration",
    "no_seat",
    "not_on_tour",
    "no_meeting_now",
]
Layout = Literal["a6", "a4"]  # a6: one badge per page; a4: four per sheet with cut marks
PrintStatus = Literal["queued", "running", "done", "failed"]


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    place_type: PlaceType = "entrance"
    place_id: int | None = None  # the session, tour course or matching session
    scanned_at: datetime | None = None  # the device's time of the scan (offline scans sync later)
    device_id: str = "api"
    # Unique per device and scan: a replay of the same badge answers the same and counts once; the nonce of an
    # earlier scan sent with another code is answered `invalid` (reason nonce_reused).
    nonce: str | None = None
    offline: bool = False  # the device already answered from its offline check


class CheckInOut(msgspec.Struct):
    result: Result
    reason: Reason | None
    registration: checkin.Person | None
    place: str
    place_ja: str
    checked_in_at: datetime | None
    first_device: str | None
    clock_flagged: bool
    scan_id: int


class RevokedOut(msgspec.Struct):
    edition: str
    generated_at: datetime
    revoked: list[str]  # the nonces of badges no longer valid, base64url without padding


class PrintIn(msgspec.Struct, forbid_unknown_fields=True):
    layout: Layout = "a6"
    # Which confirmed registrations, as on the registrations page; empty: everyone.
    mode: str = ""
    category: str = ""
    country: str = ""
    q: str = ""


class PrintOut(msgspec.Struct):
    id: int
    status: PrintStatus
    done: int | None = None
    total: int | None = None
    error: str | None = None
    seconds: float | None = None
    download: str | None = None  # the sheet's PDF, once done (an organizer's page, with their session)


def answer_out(answer: checkin.Answer) -> CheckInOut:
    return CheckInOut(
        result=cast(Result, answer.result),
        reason=cast(Reason | None, answer.reason),
        registration=answer.person,
        place=answer.place_label_en,
        place_ja=answer.place_label_ja,
        checked_in_at=answer.checked_in_at,
        first_device=answer.first_place_en,
        clock_flagged=answer.clock_flagged,
        scan_id=answer.scan_id,
    )


def stats_out(stats: figures.Stats) -> dict[str, Any]:
    def places(items: list[figures.PlaceCount]) -> list[dict[str, Any]]:
        return [
            {
                "id": c.place.id,
                "name_en": c.place.name_en,
                "name_ja": c.place.name_ja,
                "starts_at": c.place.starts_at.isoformat(),
                "checked_in": c.checked_in,
                "expected": c.expected,
            }
            for c in items
        ]

    return {
        "day": stats.day,
        "entrance_today": stats.entrance_today,
        "in_person_registered": stats.in_person_registered,
        "sessions": places(stats.sessions),
        "tours": places(stats.tours),
        "meetings": places(stats.meetings),
        "results_today": stats.results_today,
        "clock_flagged_today": stats.flagged_today,
    }


NOT_CONFIRMED = {404: "`not_confirmed`: a badge needs a confirmed registration in the current edition"}


class BadgeApi(Controller):
    path = "/api/v1"
    tags = ["badges"]

    @get(
        "/badges/public-key",
        summary="The edition's Ed25519 public key (PEM): verify badge codes offline",
        media_type="application/x-pem-file",
        cache=False,
    )
    async def public_key(self, db_session: DbSession, current_edition: CurrentEdition) -> str:
        return await badges.public_key_pem(db_session, current_edition.id)

    @get(
        "/badges/revoked", guards=[requires_checkin], summary="Codes refused at check-in (nonces, base64url)"
    )
    async def revoked(self, db_session: DbSession, current_edition: CurrentEdition) -> RevokedOut:
        return RevokedOut(
            current_edition.slug,
            clock.now().astimezone(UTC),
            await badges.revoked(db_session, current_edition.id),
        )

    @get(
        "/me/badge.svg",
        guards=[requires_login],
        summary="My badge as SVG",
        media_type="image/svg+xml",
        responses=errors(NOT_CONFIRMED),
    )
    async def my_svg(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[str]:
        face = await badges.my_face(db_session, current_edition.id, request.user.id)
        return _file(render.svg(face, current_edition.name_en), "image/svg+xml", "badge.svg")

    @get(
        "/me/badge.png",
        guards=[requires_login],
        summary="My badge as PNG (for a phone screen)",
        media_type="image/png",
        responses=errors(NOT_CONFIRMED),
    )
    async def my_png(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[bytes]:
        face = await badges.my_face(db_session, current_edition.id, request.user.id)
        return _file(render.png(face, current_edition.name_en), "image/png", "badge.png")

    @get(
        "/me/badge.pdf",
        guards=[requires_login],
        summary="My badge as an A6 PDF",
        media_type="application/pdf",
        responses=errors(NOT_CONFIRMED),
    )
    async def my_pdf(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[bytes]:
        face = await badges.my_face(db_session, current_edition.id, request.user.id)
        return _file(render.pdf([face], current_edition.name_en), "application/pdf", "badge.pdf")

    @post(
        "/checkin",
        guards=[requires_checkin],
        status_code=200,
        summary="Check a badge in at a place (a refused badge is a 200 with its `result` and `reason`)",
        responses=errors(
            {
                422: "`invalid`: place_id missing or unknown, a malformed device_id or nonce (`field`)",
                404: "`not_found`: there is no current edition",
            }
        ),
    )
    async def check_in(
        self,
        request: Request,
        db_session: DbSession,
        data: Annotated[CheckInIn, Body()],
    ) -> CheckInOut:
        # The current edition as this worker's published programme has it (re-read at most every 2 s): one
        # query less per scan than the current_edition dependency.
        edition = (await programme.current_programme(request.app.state.schedule_cache)).edition
        with locks.urgent_writes():  # the door goes before agenda saves in SQLite's writer queue
            answer = await checkin.scan(
                db_session,
                edition.id,
                checkin.ScanInput(**msgspec.structs.asdict(data)),
                request.user.id,
                edition.timezone,
            )
            await db_session.commit()  # counted before the live figures are told
        await publish(request, edition.id)
        return answer_out(answer)

    @get("/checkin/stats", guards=[requires_checkin], summary="Today's check-in figures", cache=False)
    async def stats(self, db_session: DbSession, current_edition: CurrentEdition) -> dict[str, Any]:
        return stats_out(await figures.stats(db_session, current_edition.id))

    @get(
        "/checkin/roster",
        guards=[requires_checkin],
        summary="Who each badge in force names, by nonce: the check-in page names people it verifies offline",
    )
    async def roster(
        self, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response[dict[str, Any]]:
        people = {
            nonce: {
                "name_latin": p.name_latin,
                "name_local": p.name_local,
                "organization": p.organization,
                "category": p.category,
            }
            for nonce, p in (await checkin.roster(db_session, current_edition.id)).items()
        }
        body = {"edition": current_edition.id, "people": people}
        return Response(body, headers={"Cache-Control": "private, no-store"})

    @get("/checkin/places", guards=[requires_checkin], summary="Places to check in at, by type")
    async def places(
        self,
        db_session: DbSession,
        current_edition: CurrentEdition,
        type: FromQuery[Literal["session", "tour", "meeting"]] = "session",
    ) -> list[dict[str, Any]]:
        return [
            {"id": p.id, "name_en": p.name_en, "name_ja": p.name_ja, "starts_at": p.starts_at.isoformat()}
            for p in await checkin.places(db_session, current_edition.id, type)
        ]

    @get("/checkin/search", guards=[requires_checkin], summary="Find a confirmed participant by name")
    async def search(
        self, db_session: DbSession, current_edition: CurrentEdition, q: FromQuery[str] = ""
    ) -> list[checkin.Person]:
        return await checkin.search(db_session, current_edition.id, q)

    @post(
        "/badges/prints",
        guards=[requires_role("organizer")],
        status_code=202,
        summary="Start a badge sheet PDF (a6: one per page; a4: four per sheet with cut marks)",
        responses=errors({409: "`print_under_way`: one sheet at a time"}),
    )
    async def start_print(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[PrintIn | None, Body()] = None,
    ) -> PrintOut:
        values = msgspec.structs.asdict(data or PrintIn())
        layout = values.pop("layout")
        job = await sheets.start(
            db_session, current_edition.id, request.user.id, values, layout, request.user
        )
        await db_session.commit()
        await request.app.state.jobs.start("badge_sheet", print_id=job.id)
        return PrintOut(job.id, cast(PrintStatus, job.status))

    @get(
        "/badges/prints/{print_id:int}",
        guards=[requires_role("organizer")],
        summary="A badge sheet's progress",
    )
    async def print_status(
        self, db_session: DbSession, current_edition: CurrentEdition, print_id: FromPath[int]
    ) -> PrintOut:
        job = await sheets.get(db_session, current_edition.id, print_id)
        return PrintOut(
            id=job.id,
            status=cast(PrintStatus, job.status),
            done=job.done,
            total=job.total,
            error=job.error,
            seconds=job.seconds,
            download=f"/organizer/badges/prints/{job.id}/badges.pdf" if job.file_id else None,
        )


def _file(body: str | bytes, media_type: str, name: str) -> Response[Any]:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"},
    )
