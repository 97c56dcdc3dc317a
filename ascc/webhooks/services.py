"""Webhook endpoints (organizers' and exhibitors'), recording events, the delivery log and sending again.

`emit` is what other domains call, inside the transaction of their change: it writes one delivery per
endpoint that listens, or nothing at all (one query) when none does. Delivering is delivery.py's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy import event as orm_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.audit import services as audit
from ascc.db import rows_changed
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.text import FieldError, optional_line
from ascc.webhooks import payloads, signing, targets
from ascc.webhooks.delivery import resolve, wake
from ascc.webhooks.models import WebhookDelivery, WebhookEndpoint

DESCRIPTION_MAX = 200
AUDITED = ("url", "description", "events", "enabled")


@dataclass
class EndpointInput:
    url: str = ""
    description: str = ""
    events: list[str] | None = None
    enabled: bool = True


def is_production(base_url: str) -> bool:
    """Served over https: webhooks then go to public https addresses only."""
    return base_url.startswith("https://")


async def _check(
    data: EndpointInput, production: bool, allowed: tuple[str, ...]
) -> tuple[str, str, list[str]]:
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    url = ""
    try:
        url = targets.check_url(data.url, production)
    except targets.Refused as refused:
        errors["url"] = (refused.key, {"max": targets.URL_MAX})
    else:
        if production:  # a name must lead to the public internet now, and is checked again at each delivery
            addresses = await resolve(targets.host_of(url), 443)
            if not addresses:
                errors["url"] = ("webhooks.error.host_unknown", {})
            elif not targets.all_public(addresses):
                errors["url"] = ("webhooks.error.private_target", {})
    try:
        description = optional_line("description", data.description, DESCRIPTION_MAX) or ""
    except FieldError as exc:
        errors[exc.field] = (exc.key, exc.params)
        description = ""
    chosen = [e for e in allowed if e in (data.events or [])]
    if len(allowed) > 1 and (not chosen or len(set(data.events or [])) != len(chosen)):
        errors["events"] = ("webhooks.error.events", {})
    if errors:
        raise ValidationFailed(errors)
    return url, description, chosen if len(allowed) > 1 else list(allowed)


async def create_endpoint(
    session: AsyncSession,
    data: EndpointInput,
    *,
    production: bool,
    secret_key: str,
    actor: audit.Actor | None,
    exhibitor_id: int | None = None,
    edition_id: int | None = None,
) -> WebhookEndpoint:
    """An organizers' endpoint (the events it chose), or an exhibitor's (its own leads; one per exhibitor)."""
    allowed = payloads.EXHIBITOR_EVENTS if exhibitor_id is not None else payloads.ORGANIZER_EVENTS
    url, description, events = await _check(data, production, allowed)
    endpoint = WebhookEndpoint(
        url=url,
        description=description,
        events=events,
        secret_sealed=signing.seal(signing.new_secret(), secret_key),
        exhibitor_id=exhibitor_id,
        created_by_id=actor.id if actor else None,
        enabled=True,
        consecutive_failures=0,
    )
    try:
        async with session.begin_nested():  # an exhibitor's second endpoint (a double submit): refused
            session.add(endpoint)
    except IntegrityError:
        raise DomainError("webhooks.error.exists", "exists", status=409) from None
    await audit.record(
        session,
        actor,
        "webhooks.endpoint_create",
        "webhook_endpoint",
        endpoint.id,
        url,
        after=audit.snapshot(endpoint, AUDITED),
        edition_id=edition_id,
    )
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    data: EndpointInput,
    *,
    production: bool,
    actor: audit.Actor | None,
    edition_id: int | None = None,
) -> WebhookEndpoint:
    """Change the address, description, events; disable it, or enable it again (which lifts its pause: the
    deliveries that waited go at once)."""
    allowed = payloads.EXHIBITOR_EVENTS if endpoint.exhibitor_id is not None else payloads.ORGANIZER_EVENTS
    url, description, events = await _check(data, production, allowed)
    before = audit.snapshot(endpoint, AUDITED)
    endpoint.url, endpoint.description, endpoint.events = url, description, events
    if data.enabled and not endpoint.enabled:
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
        endpoint.consecutive_failures, endpoint.paused_until = 0, None
        await session.execute(  # what waited goes now, not after each delivery's own back-off
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
            .values(next_attempt_at=clock.now())
        )
    elif not data.enabled and endpoint.enabled:
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, clock.now(), "manual"
    await session.flush()
    await audit.record(
        session,
        actor,
        "webhooks.endpoint_update",
        "webhook_endpoint",
        endpoint.id,
        url,
        before=before,
        after=audit.snapshot(endpoint, AUDITED),
        edition_id=edition_id,
    )
    if endpoint.enabled:
        _wake_after_commit(session)
    return endpoint


async def rotate_secret(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    secret_key: str,
    actor: audit.Actor | None,
    edition_id: int | None = None,
) -> None:
    """A new signing secret; waiting deliveries and later attempts are signed with it (never logged)."""
    endpoint.secret_sealed = signing.seal(signing.new_secret(), secret_key)
    await session.flush()
    await audit.record(
        session,
        actor,
        "webhooks.secret_rotate",
        "webhook_endpoint",
        endpoint.id,
        endpoint.url,
        after={"secret": "changed"},
        edition_id=edition_id,
    )


async def delete_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, actor: audit.Actor | None, edition_id: int | None = None
) -> None:
    """The endpoint and its delivery log go; nothing more is sent to it."""
    await audit.record(
        session,
        actor,
        "webhooks.endpoint_delete",
        "webhook_endpoint",
        endpoint.id,
        endpoint.url,
        before=audit.snapshot(endpoint, AUDITED),
        edition_id=edition_id,
    )
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    await session.delete(endpoint)
    await session.flush()


def reveal_secret(endpoint: WebhookEndpoint, secret_key: str) -> str | None:
    """The secret to configure the receiver with; None when it no longer opens (ASCC_SECRET_KEY changed)."""
    try:
        return signing.unseal(endpoint.secret_sealed, secret_key)
    except signing.SecretUnreadable:
        return None


async def get_endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook_endpoint")
    return endpoint


async def endpoint_of_exhibitor(session: AsyncSession, exhibitor_id: int) -> WebhookEndpoint | None:
    return await session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.exhibitor_id == exhibitor_id))


async def list_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    """Organizers' endpoints first, then the exhibitors'."""
    rows = await session.scalars(
        select(WebhookEndpoint).order_by(WebhookEndpoint.exhibitor_id.is_not(None), WebhookEndpoint.id)
    )
    return list(rows.all())


# --- recording events ---------------------------------------------------------------------------------------


def _wake_after_commit(session: AsyncSession) -> None:
    """Wake this process's senders once the transaction commits (before it, they would find nothing)."""
    if session.info.get("webhooks_wake"):
        return
    session.info["webhooks_wake"] = True

    def woken(_session: Any) -> None:
        session.info.pop("webhooks_wake", None)
        wake()

    orm_event.listen(session.sync_session, "after_commit", woken, once=True)


async def listeners(session: AsyncSession, event_type: str, exhibitor_id: int | None = None) -> list[int]:
    """The enabled endpoints that take this event: an exhibitor's event goes to that exhibitor's endpoint
    only; any other, to organizers' endpoints only. One small query."""
    rows = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.enabled,
            WebhookEndpoint.exhibitor_id == exhibitor_id
            if exhibitor_id is not None
            else WebhookEndpoint.exhibitor_id.is_(None),
        )
    )
    return [endpoint_id for endpoint_id, events in rows.tuples() if event_type in (events or [])]


async def emit(
    session: AsyncSession,
    event_type: str,
    build: Callable[[], Awaitable[payloads.Event]],
    exhibitor_id: int | None = None,
) -> int:
    """Record an event for every enabled endpoint that takes it, in the caller's transaction; how many.

    `build` makes the event only when someone listens, so an installation without webhooks pays one query."""
    endpoint_ids = await listeners(session, event_type, exhibitor_id)
    if endpoint_ids:
        await record(session, await build(), endpoint_ids)
    return len(endpoint_ids)


async def record(session: AsyncSession, event: payloads.Event, endpoint_ids: Iterable[int]) -> None:
    """One delivery of `event` per endpoint, sent once the caller's transaction commits."""
    slug = (await editions.get_by_id(session, event.edition_id)).slug if event.edition_id else None
    body = payloads.body(event, slug)
    message_id = signing.new_message_id()
    now = clock.now()
    session.add_all(
        WebhookDelivery(
            endpoint_id=endpoint_id,
            message_id=message_id,
            event_type=event.type,
            edition_id=event.edition_id,
            person_id=event.person_id,
            body=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
        for endpoint_id in endpoint_ids
    )
    await session.flush()
    _wake_after_commit(session)


async def send_test(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """A `webhook.test` event to this endpoint only, to check the receiver and its signature check."""
    await record(session, payloads.test_event(endpoint.id, clock.now()), [endpoint.id])


# --- the delivery log --------------------------------------------------------------------------------------


async def deliveries_of(session: AsyncSession, endpoint_id: int, limit: int = 100) -> list[WebhookDelivery]:
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def delivery_counts(session: AsyncSession) -> dict[int, dict[str, int]]:
    """Per endpoint, how many deliveries are in each status (one grouped query)."""
    rows = await session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    )
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, count in rows.tuples():
        counts.setdefault(endpoint_id, {})[status] = count
    return counts


async def get_delivery(
    session: AsyncSession, delivery_id: int, endpoint_id: int | None = None
) -> WebhookDelivery:
    """A delivery; with `endpoint_id`, only one of that endpoint (another's answers 404 as if absent)."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or (endpoint_id is not None and delivery.endpoint_id != endpoint_id):
        raise NotFound("webhook_delivery")
    return delivery


async def send_again(
    session: AsyncSession, delivery: WebhookDelivery, actor: audit.Actor | None, edition_id: int | None = None
) -> bool:
    """Send a delivered or failed delivery again at once (same body, same webhook-id: a receiver that keeps
    the ids it processed may drop it). One waiting or being sent is left as it is. Lifts the endpoint's pause:
    whoever presses the button says the receiver is back."""
    before = audit.snapshot(delivery, ("status", "attempts"))
    done = await rows_changed(
        session,
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status.in_(("delivered", "failed")))
        .values(status="pending", attempts=0, next_attempt_at=clock.now(), claimed_until=None),
    )
    if done != 1:
        return False
    await session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id).values(paused_until=None)
    )
    await audit.record(
        session,
        actor,
        "webhooks.send_again",
        "webhook_delivery",
        delivery.id,
        f"{delivery.event_type} {delivery.message_id}",
        before=before,
        after={"status": "pending", "attempts": 0},
        edition_id=edition_id,
    )
    await session.refresh(delivery)
    _wake_after_commit(session)
    return True


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """A person is forgotten: deliveries that carry their name go, sent or waiting."""
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.person_id == user_id))
