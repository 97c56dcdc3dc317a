"""The organizers' view of messages: reported conversations only, each reading written to the audit log."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from ascc.editions import services as editions
from ascc.messages import services as messages
from ascc.security import requires_organizer
from ascc.web import DbSession, page

CurrentEdition = NamedDependency[editions.Edition]


class MessageAdminPages(Controller):
    path = "/organizer/messages"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def reported(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        return page(
            request,
            "messages/organizer_list.html",
            rows=await messages.reported(db_session, current_edition.id),
            tz=current_edition.timezone,
            _has_partial=False,
        )

    @get("/{conversation_id:int}")
    async def read(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        conversation_id: FromPath[int],
    ) -> Template:
        row, shown, blocks = await messages.read_reported(
            db_session, current_edition.id, conversation_id, request.user
        )
        return page(
            request,
            "messages/organizer_conversation.html",
            row=row,
            shown=shown,
            blocks=blocks,
            tz=current_edition.timezone,
            _has_partial=False,
        )
