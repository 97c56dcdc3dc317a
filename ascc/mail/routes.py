"""The organizers' view of the outbox: what was sent, what waits, what failed and why."""

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ascc.audit import services as audit
from ascc.mail import services as mail
from ascc.security import requires_organizer
from ascc.web import DbSession, page


class OutboxPages(Controller):
    path = "/organizer/outbox"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request, db_session: DbSession, status: FromQuery[str | None] = None
    ) -> Template:
        messages = await mail.list_outbox(db_session, status or None)
        return page(
            request,
            "organizer/outbox.html",
            messages=messages,
            counts=await mail.outbox_counts(db_session),
            status=status or "",
            smtp_configured=bool(request.app.state.settings.smtp_url),
        )

    @get("/{message_id:int}")
    async def detail(self, request: Request, db_session: DbSession, message_id: FromPath[int]) -> Template:
        return page(
            request, "organizer/outbox_message.html", message=await mail.get_message(db_session, message_id)
        )

    @post("/{message_id:int}/retry")
    async def retry(self, request: Request, db_session: DbSession, message_id: FromPath[int]) -> Redirect:
        message = await mail.get_message(db_session, message_id)
        before = audit.snapshot(message, ("status", "attempts"))
        if await mail.retry_now(db_session, message_id):  # only a failed message is sent again
            await audit.record(
                db_session,
                request.user,
                "outbox.retry",
                "outbox_message",
                message.id,
                f"{message.subject} → {message.to_name or f'message #{message.id}'}",
                before=before,
                after={"status": "pending", "attempts": 0},
            )
        return Redirect("/organizer/outbox", status_code=303)
