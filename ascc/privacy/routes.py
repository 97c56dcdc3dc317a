"""The privacy notice (the current version and the earlier ones), accepting a new version, the banner that
asks signed-in people to read it, and one's own data: taking it as JSON, deleting one's account."""

from __future__ import annotations

import json

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import clock
from ascc.errors import NotFound
from ascc.privacy import notices
from ascc.privacy.export import person_export
from ascc.privacy.forget import delete_account
from ascc.security import requires_login
from ascc.text import safe_next_path
from ascc.web import DbSession, form_text, page, session_turn


async def provide_privacy_version(db_session: DbSession) -> str | None:
    """The notice version a registration records now, for registration's pages (wired in app.py)."""
    async with session_turn(db_session):  # beside current_edition, resolved at the same time
        return await notices.current_version(db_session)


def _organizer(request: Request) -> bool:
    """Organizers also see versions published for a later date; everyone else only those in effect."""
    return bool(request.user) and request.user.role == "organizer"


class PrivacyPages(Controller):
    include_in_schema = False

    @get("/privacy", name="privacy.notice")
    async def notice(self, request: Request, db_session: DbSession) -> Template:
        current = await notices.current_notice(db_session)
        pending = await notices.pending_notice(db_session, request.user.id) if request.user else None
        return page(
            request,
            "privacy/notice.html",
            notice=current,
            versions=await notices.list_notices(db_session, in_effect_only=not _organizer(request)),
            pending=pending,
            accepted=request.query_params.get("accepted") == "1",
        )

    @get("/privacy/versions/{version:str}")
    async def version(self, request: Request, db_session: DbSession, version: FromPath[str]) -> Template:
        notice = await notices.get_notice(db_session, version)
        if notice.effective_on > clock.now().date() and not _organizer(request):  # not published yet
            raise NotFound("privacy_notice")
        current = await notices.current_notice(db_session)
        return page(
            request,
            "privacy/notice.html",
            notice=notice,
            versions=await notices.list_notices(db_session, in_effect_only=not _organizer(request)),
            pending=None,
            accepted=False,
            earlier=current is None or notice.id != current.id,
        )

    @get("/privacy/banner")
    async def banner(self, request: Request, db_session: DbSession) -> Template:
        """An htmx fragment for every page: empty unless a version waits for this person's acceptance."""
        pending = await notices.pending_notice(db_session, request.user.id) if request.user else None
        first = pending is not None and not await notices.accepted_before(db_session, request.user.id)
        return Template("privacy/_banner.html", context={"pending": pending, "first": first})

    @post("/privacy/accept", guards=[requires_login])
    async def accept(self, request: Request, db_session: DbSession) -> Redirect:
        form = await request.form()
        await notices.accept(db_session, request.user.id, form_text(form, "version"))
        back = safe_next_path(form_text(form, "next"), "/privacy")
        joiner = "&" if "?" in back else "?"
        return Redirect(f"{back}{joiner}accepted=1" if back == "/privacy" else back, status_code=303)


class MyDataPages(Controller):
    """A person's own data, from every domain."""

    guards = [requires_login]
    include_in_schema = False

    @get("/account/export.json", name="privacy.export")
    async def export(self, request: Request, db_session: DbSession) -> Response[bytes]:
        data = await person_export(db_session, request.user.id)  # every domain, after export_my_data
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2).encode(),
            media_type="application/json",
            headers={
                "content-disposition": 'attachment; filename="my-ascc-data.json"',
                "cache-control": "no-store",
            },
        )

    @get("/account/delete", name="privacy.delete")
    async def delete_form(self, request: Request) -> Template:
        return page(request, "privacy/delete_account.html", error=None)

    @post("/account/delete")
    async def delete(self, request: Request, db_session: DbSession) -> Template | Redirect:
        typed = form_text(await request.form(), "confirm_email").strip().casefold()
        if typed != request.user.email.casefold():
            return page(
                request, "privacy/delete_account.html", status_code=422, error="privacy.delete_mismatch"
            )
        await delete_account(db_session, request.user.id, request.app.state.settings.base_url)
        request.clear_session()
        return Redirect("/?deleted=1", status_code=303)
