"""Organizers' webhook pages: register endpoints and choose their events, see each delivery, send again.

Exhibitors' endpoints are listed here too (organizers may disable or delete one); exhibitors manage their
own on /exhibitor/webhook (exhibitor_routes.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from ascc.errors import ValidationFailed
from ascc.security import requires_organizer
from ascc.web import DbSession, Form, Many, form_errors, page
from ascc.webhooks import payloads
from ascc.webhooks import services as webhooks
from ascc.webhooks.delivery import DISABLE_AFTER, MAX_ATTEMPTS
from ascc.webhooks.models import WebhookEndpoint


class EndpointForm(Form):
    url: str = ""
    description: str = ""
    events: Many = []
    enabled: str = ""


def _input(data: EndpointForm, enabled: bool | None = None) -> webhooks.EndpointInput:
    return webhooks.EndpointInput(
        url=data.url,
        description=data.description,
        events=list(data.events),
        enabled=data.enabled == "on" if enabled is None else enabled,
    )


def webhook_settings(request: Request) -> tuple[bool, str]:
    settings = request.app.state.settings
    return webhooks.is_production(settings.base_url), settings.secret_key


async def _list_page(
    request: Request,
    db_session: DbSession,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Template:
    return page(
        request,
        "organizer/webhooks.html",
        status_code=status,
        endpoints=await webhooks.list_endpoints(db_session),
        counts=await webhooks.delivery_counts(db_session),
        events=payloads.ORGANIZER_EVENTS,
        values=values or {"events": list(payloads.ORGANIZER_EVENTS)},
        errors=errors or {},
        done=done,
    )


async def _endpoint_page(
    request: Request,
    db_session: DbSession,
    endpoint: WebhookEndpoint,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Template:
    _, secret_key = webhook_settings(request)
    return page(
        request,
        "organizer/webhook_endpoint.html",
        status_code=status,
        endpoint=endpoint,
        secret=webhooks.reveal_secret(endpoint, secret_key),
        deliveries=await webhooks.deliveries_of(db_session, endpoint.id),
        events=payloads.ORGANIZER_EVENTS if endpoint.exhibitor_id is None else payloads.EXHIBITOR_EVENTS,
        values=values
        or {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events},
        errors=errors or {},
        done=done,
        base=f"/organizer/webhooks/{endpoint.id}",
        max_attempts=MAX_ATTEMPTS,
        disable_after=DISABLE_AFTER,
    )


class WebhookAdminPages(Controller):
    path = "/organizer/webhooks"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request, db_session: DbSession, done: FromQuery[str | None] = None
    ) -> Template:
        return await _list_page(request, db_session, done=done)

    @post("/")
    async def create(
        self, request: Request, db_session: DbSession, data: URLEncodedBody[EndpointForm]
    ) -> Template | Redirect:
        production, secret_key = webhook_settings(request)
        try:
            endpoint = await webhooks.create_endpoint(
                db_session,
                _input(data, enabled=True),
                production=production,
                secret_key=secret_key,
                actor=request.user,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _list_page(request, db_session, data.values(), form_errors(request, exc), 422)
        return Redirect(f"/organizer/webhooks/{endpoint.id}?done=created", status_code=303)

    @get("/{endpoint_id:int}")
    async def detail(
        self,
        request: Request,
        db_session: DbSession,
        endpoint_id: FromPath[int],
        done: FromQuery[str | None] = None,
    ) -> Template:
        endpoint = await webhooks.get_endpoint(db_session, endpoint_id)
        return await _endpoint_page(request, db_session, endpoint, done=done)

    @post("/{endpoint_id:int}")
    async def update(
        self,
        request: Request,
        db_session: DbSession,
        endpoint_id: FromPath[int],
        data: URLEncodedBody[EndpointForm],
    ) -> Template | Redirect:
        endpoint = await webhooks.get_endpoint(db_session, endpoint_id)
        production, _ = webhook_settings(request)
        try:
            await webhooks.update_endpoint(
                db_session, endpoint, _input(data), production=production, actor=request.user
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            endpoint = await webhooks.get_endpoint(db_session, endpoint_id)
            return await _endpoint_page(
                request, db_session, endpoint, data.values(), form_errors(request, exc), 422
            )
        return Redirect(f"/organizer/webhooks/{endpoint_id}?done=saved", status_code=303)

    @post("/{endpoint_id:int}/secret")
    async def rotate_secret(
        self, request: Request, db_session: DbSession, endpoint_id: FromPath[int]
    ) -> Redirect:
        endpoint = await webhooks.get_endpoint(db_session, endpoint_id)
        await webhooks.rotate_secret(db_session, endpoint, webhook_settings(request)[1], request.user)
        return Redirect(f"/organizer/webhooks/{endpoint_id}?done=secret", status_code=303)

    @post("/{endpoint_id:int}/test")
    async def send_test(
        self, request: Request, db_session: DbSession, endpoint_id: FromPath[int]
    ) -> Redirect:
        await webhooks.send_test(db_session, await webhooks.get_endpoint(db_session, endpoint_id))
        return Redirect(f"/organizer/webhooks/{endpoint_id}?done=test", status_code=303)

    @post("/{endpoint_id:int}/delete")
    async def delete(self, request: Request, db_session: DbSession, endpoint_id: FromPath[int]) -> Redirect:
        endpoint = await webhooks.get_endpoint(db_session, endpoint_id)
        await webhooks.delete_endpoint(db_session, endpoint, request.user)
        return Redirect("/organizer/webhooks?done=deleted", status_code=303)

    @post("/deliveries/{delivery_id:int}/send-again")
    async def send_again(
        self, request: Request, db_session: DbSession, delivery_id: FromPath[int]
    ) -> Redirect:
        delivery = await webhooks.get_delivery(db_session, delivery_id)
        sent = await webhooks.send_again(db_session, delivery, request.user)
        done = "again" if sent else "waiting"
        return Redirect(f"/organizer/webhooks/{delivery.endpoint_id}?done={done}", status_code=303)
