"""An exhibitor's own webhook: where its leads go as they are scanned, and the log of those deliveries.

The exhibitor is the one the signed-in person administers (the `own_exhibitor` dependency, provided by the
exhibitors domain in app.py; anyone else gets 403), never an id from the URL: one exhibitor cannot see or
change another's endpoint, and its endpoint receives its own leads only (services.emit).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.security import requires_login
from ascc.web import DbSession, error_messages, page
from ascc.webhooks import services as webhooks
from ascc.webhooks.delivery import DISABLE_AFTER, MAX_ATTEMPTS
from ascc.webhooks.models import WebhookEndpoint
from ascc.webhooks.organizer_routes import EndpointForm, webhook_settings


@runtime_checkable
class Exhibitor(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def edition_id(self) -> int: ...


# The exhibitor the signed-in person administers in the current edition, or 403 (app.DEPENDENCIES).
OwnExhibitor = NamedDependency[Exhibitor]
HERE = "/exhibitor/webhook"


async def _page(
    request: Request,
    db_session: DbSession,
    exhibitor: Exhibitor,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Template:
    endpoint = await webhooks.endpoint_of_exhibitor(db_session, exhibitor.id)
    _, secret_key = webhook_settings(request)
    return page(
        request,
        "exhibitor/webhook.html",
        status_code=status,
        exhibitor=exhibitor,
        endpoint=endpoint,
        secret=webhooks.reveal_secret(endpoint, secret_key) if endpoint else None,
        deliveries=await webhooks.deliveries_of(db_session, endpoint.id) if endpoint else [],
        values=values or ({"url": endpoint.url, "description": endpoint.description} if endpoint else {}),
        errors=errors or {},
        done=done,
        base=HERE,
        max_attempts=MAX_ATTEMPTS,
        disable_after=DISABLE_AFTER,
    )


async def _mine(db_session: DbSession, exhibitor: Exhibitor) -> WebhookEndpoint:
    endpoint = await webhooks.endpoint_of_exhibitor(db_session, exhibitor.id)
    if endpoint is None:
        raise NotFound("webhook_endpoint")
    return endpoint


class ExhibitorWebhookPages(Controller):
    path = HERE
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def show(
        self,
        request: Request,
        db_session: DbSession,
        own_exhibitor: OwnExhibitor,
        done: FromQuery[str | None] = None,
    ) -> Template:
        return await _page(request, db_session, own_exhibitor, done=done)

    @post("/")
    async def save(
        self,
        request: Request,
        db_session: DbSession,
        own_exhibitor: OwnExhibitor,
        data: URLEncodedBody[EndpointForm],
    ) -> Template | Redirect:
        """Register the endpoint, or change it (address, description, enabled)."""
        production, secret_key = webhook_settings(request)
        endpoint = await webhooks.endpoint_of_exhibitor(db_session, own_exhibitor.id)
        given = webhooks.EndpointInput(
            url=data.url, description=data.description, enabled=endpoint is None or data.enabled == "on"
        )
        try:
            if endpoint is None:
                await webhooks.create_endpoint(
                    db_session,
                    given,
                    production=production,
                    secret_key=secret_key,
                    actor=request.user,
                    exhibitor_id=own_exhibitor.id,
                    edition_id=own_exhibitor.edition_id,
                )
            else:
                await webhooks.update_endpoint(
                    db_session,
                    endpoint,
                    given,
                    production=production,
                    actor=request.user,
                    edition_id=own_exhibitor.edition_id,
                )
        except DomainError as exc:  # a field, or a second endpoint made by a double submit (409)
            await db_session.rollback()
            await db_session.refresh(own_exhibitor)  # read again after the rollback, for the page
            errors = error_messages(request, exc, "url")
            status = 422 if isinstance(exc, ValidationFailed) else exc.status_code
            return await _page(request, db_session, own_exhibitor, data.values(), errors, status)
        return Redirect(f"{HERE}?done={'saved' if endpoint else 'created'}", status_code=303)

    @post("/secret")
    async def rotate_secret(
        self, request: Request, db_session: DbSession, own_exhibitor: OwnExhibitor
    ) -> Redirect:
        endpoint = await _mine(db_session, own_exhibitor)
        await webhooks.rotate_secret(
            db_session,
            endpoint,
            webhook_settings(request)[1],
            request.user,
            edition_id=own_exhibitor.edition_id,
        )
        return Redirect(f"{HERE}?done=secret", status_code=303)

    @post("/test")
    async def send_test(
        self, request: Request, db_session: DbSession, own_exhibitor: OwnExhibitor
    ) -> Redirect:
        await webhooks.send_test(db_session, await _mine(db_session, own_exhibitor))
        return Redirect(f"{HERE}?done=test", status_code=303)

    @post("/delete")
    async def delete(self, request: Request, db_session: DbSession, own_exhibitor: OwnExhibitor) -> Redirect:
        endpoint = await _mine(db_session, own_exhibitor)
        await webhooks.delete_endpoint(
            db_session, endpoint, request.user, edition_id=own_exhibitor.edition_id
        )
        return Redirect(f"{HERE}?done=deleted", status_code=303)

    @post("/deliveries/{delivery_id:int}/send-again")
    async def send_again(
        self, request: Request, db_session: DbSession, own_exhibitor: OwnExhibitor, delivery_id: FromPath[int]
    ) -> Redirect:
        endpoint = await _mine(db_session, own_exhibitor)
        delivery = await webhooks.get_delivery(db_session, delivery_id, endpoint_id=endpoint.id)
        sent = await webhooks.send_again(
            db_session, delivery, request.user, edition_id=own_exhibitor.edition_id
        )
        return Redirect(f"{HERE}?done={'again' if sent else 'waiting'}", status_code=303)
