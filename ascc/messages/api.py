"""The messages API: my conversations with unread counts, one conversation (reading marks it read), sending,
blocking and reporting. Messages go only between people who agreed to meet in the current edition."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.messages import services as messages
from ascc.messages.models import Message
from ascc.security import requires_login
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

SEND_REFUSED = {
    403: "`not_allowed`: no accepted meeting request or meeting between the two in this edition; "
    "`blocked`: one of the two blocked the other",
    404: "`unknown_person`: no active account with this id",
    422: "`invalid`: `body` empty or longer than 2000 characters; `self`: a message to oneself",
    429: "`rate_limited`: 30 messages in 10 minutes at most; wait and send again",
}


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    recipient_id: int
    body: str


class MessageBlockIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: int


class MessageReportIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""


class MessageOut(msgspec.Struct):
    id: int
    conversation_id: int
    sender_id: int
    body: str
    sent_at: datetime


class ConversationOut(msgspec.Struct):
    id: int
    other_id: int
    other_name: str
    unread: int
    last_message_at: datetime | None
    reported: bool


class ConversationDetailOut(msgspec.Struct):
    id: int
    other_id: int
    other_name: str
    messages: list[MessageOut]  # the latest 200, oldest first


class UnreadMessagesOut(msgspec.Struct):
    unread: int


class MessageBlockOut(msgspec.Struct):
    blocker_id: int
    blocked_id: int


class MessageReportOut(msgspec.Struct):
    conversation_id: int
    status: str


def _message(m: Message) -> MessageOut:
    return MessageOut(m.id, m.conversation_id, m.sender_id, m.body, m.created_at)


class MessagesApi(Controller):
    path = "/api/v1/messages"
    tags = ["messages"]

    @get(
        "/conversations",
        guards=[requires_login],
        summary="My conversations, the latest first, with unread counts",
    )
    async def conversations(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> list[ConversationOut]:
        rows = await messages.conversations(db_session, current_edition.id, request.user.id)
        return [
            ConversationOut(
                r.conversation.id,
                r.other_id,
                r.other_name,
                r.unread,
                r.conversation.last_message_at,
                r.reported,
            )
            for r in rows
        ]

    @get("/unread", guards=[requires_login], summary="How many messages I have not read")
    async def unread(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> UnreadMessagesOut:
        return UnreadMessagesOut(await messages.unread_total(db_session, current_edition.id, request.user.id))

    @get(
        "/conversations/{conversation_id:int}",
        guards=[requires_login],
        summary="One of my conversations (reading it marks its messages read)",
        responses=errors({404: "`not_found`: not a conversation of mine"}),
    )
    async def conversation(
        self, request: Request, db_session: DbSession, conversation_id: FromPath[int]
    ) -> ConversationDetailOut:
        me = request.user.id
        c = await messages.conversation_of(db_session, conversation_id, me)
        shown = await messages.messages_of(db_session, c.id)
        if shown:
            await messages.mark_read(db_session, c, me, shown[-1].id)
        return ConversationDetailOut(
            c.id, c.other(me), c.other_person(me).display_name, [_message(m) for m in shown]
        )

    @post(
        "/",
        guards=[requires_login],
        status_code=201,
        summary="Send a message",
        responses=errors(SEND_REFUSED),
    )
    async def send(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[MessageIn, Body()],
    ) -> MessageOut:
        sent = await messages.send(
            db_session, current_edition.id, request.user.id, data.recipient_id, {"body": data.body}
        )
        return _message(sent)

    @post(
        "/conversations/{conversation_id:int}/report",
        guards=[requires_login],
        status_code=201,
        summary="Report a conversation: organizers may then read it (each reading is audited)",
        responses=errors(
            {404: "`not_found`: not a conversation of mine", 422: "`invalid`: `reason` too long"}
        ),
    )
    async def report(
        self,
        request: Request,
        db_session: DbSession,
        conversation_id: FromPath[int],
        data: Annotated[MessageReportIn | None, Body()] = None,
    ) -> MessageReportOut:
        values = {"reason": data.reason if data else ""}
        found = await messages.report(db_session, conversation_id, request.user.id, values)
        return MessageReportOut(found.conversation_id, found.status)

    @post(
        "/blocks",
        guards=[requires_login],
        status_code=201,
        summary="Block a person: neither of us can write to the other until I unblock",
        responses=errors({404: "`unknown_person`", 422: "`self`: blocking oneself"}),
    )
    async def block(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[MessageBlockIn, Body()],
    ) -> MessageBlockOut:
        found = await messages.block(db_session, current_edition.id, request.user.id, data.user_id)
        return MessageBlockOut(found.blocker_id, found.blocked_id)

    @delete("/blocks/{user_id:int}", guards=[requires_login], status_code=204, summary="Unblock a person")
    async def unblock(self, request: Request, db_session: DbSession, user_id: FromPath[int]) -> None:
        await messages.unblock(db_session, request.user.id, user_id)
