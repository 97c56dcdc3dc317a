"""Messages pages: my conversations with unread counts, a conversation with one person (new messages arrive
by htmx polling), sending, blocking and reporting, and the unread count in the menu."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound
from ascc.messages import services as messages
from ascc.security import requires_login
from ascc.web import DbSession, error_messages, form_values, page

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

POLL_SECONDS = 10  # a conversation page asks for new messages this often


async def _conversation_page(
    request: Request,
    db_session: DbSession,
    edition: editions.Edition,
    user_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    me = request.user.id
    conversation = await messages.find_conversation(db_session, edition.id, me, user_id)
    allowed = await messages.may_message(db_session, edition.id, me, user_id)
    if conversation is None and not allowed:
        raise NotFound("conversation")  # no cold messages: nobody else has a page here
    other = await accounts.get_user(db_session, user_id)
    shown = await messages.messages_of(db_session, conversation.id) if conversation else []
    if conversation and shown and status_code == 200:
        await messages.mark_read(db_session, conversation, me, shown[-1].id)
    blocks = await messages.blocks_between(db_session, me, user_id)
    return page(
        request,
        "messages/conversation.html",
        status_code=status_code,
        other=other,
        conversation=conversation,
        shown=shown,
        me=me,
        allowed=allowed and other.is_active and not blocks,
        i_blocked=any(b.blocker_id == me for b in blocks),
        blocked_me=any(b.blocker_id != me for b in blocks),
        tz=edition.timezone,
        poll=POLL_SECONDS,
        body_max=messages.BODY_MAX,
        errors=errors or {},
        values=values or {},
    )


class MessagePages(Controller):
    path = "/messages"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        me = request.user.id
        return page(
            request,
            "messages/index.html",
            rows=await messages.conversations(db_session, current_edition.id, me),
            partners=await messages.partners_without_conversation(db_session, current_edition.id, me),
            tz=current_edition.timezone,
            plain=messages.plain,
        )

    @get("/unread")
    async def unread(self, request: Request, db_session: DbSession) -> Template:
        """The menu's count (loaded by htmx on every page, so pages stay cacheable and fast)."""
        current = await editions.current(db_session)
        count = await messages.unread_total(db_session, current.id, request.user.id) if current else 0
        return Template("messages/_unread.html", context={"count": count})

    @get("/with/{user_id:int}")
    async def conversation(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, user_id: FromPath[int]
    ) -> Template:
        return await _conversation_page(request, db_session, current_edition, user_id)

    @post("/with/{user_id:int}")
    async def send(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, user_id: FromPath[int]
    ) -> Template | Redirect:
        values = form_values(await request.form(), "body")
        try:
            await messages.send(db_session, current_edition.id, request.user.id, user_id, values)
        except NotFound:
            raise
        except DomainError as exc:
            await db_session.rollback()
            await db_session.refresh(current_edition)
            errors = error_messages(request, exc, "body")
            return await _conversation_page(
                request, db_session, current_edition, user_id, errors, values, exc.status_code
            )
        return Redirect(f"/messages/with/{user_id}#latest", status_code=303)

    @post("/with/{user_id:int}/{action:str}")
    async def act(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        user_id: FromPath[int],
        action: FromPath[str],
    ) -> Template | Redirect:
        me = request.user.id
        try:
            if action == "block":
                await messages.block(db_session, current_edition.id, me, user_id)
            elif action == "unblock":
                await messages.unblock(db_session, me, user_id)
            elif action == "report":
                conversation = await messages.find_conversation(db_session, current_edition.id, me, user_id)
                if conversation is None:
                    raise NotFound("conversation")
                await messages.report(
                    db_session, conversation.id, me, form_values(await request.form(), "reason")
                )
            else:
                raise NotFound("action")
        except NotFound:
            raise
        except DomainError as exc:
            await db_session.rollback()
            await db_session.refresh(current_edition)
            errors = error_messages(request, exc, "form")
            return await _conversation_page(
                request, db_session, current_edition, user_id, errors, {}, exc.status_code
            )
        return Redirect(f"/messages/with/{user_id}?done={action}", status_code=303)
