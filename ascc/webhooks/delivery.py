"""Sending webhooks: the loop that posts due deliveries, signed, with retries and back-off.

Events are recorded as `webhook_delivery` rows in the transaction of the change that causes them
(services.emit), so a change that rolls back sends nothing and a committed one is never lost, whatever
happens to a worker. Each web worker (without Redis) or `ascc worker` (with Redis) runs `run_sender`, which
claims due rows with a conditional update (two senders never post the same attempt), posts them with no
transaction open, and records the outcome. A failed attempt is retried after 30 s, 1, 2, 4 ... minutes
(capped at an hour) up to MAX_ATTEMPTS; meanwhile the endpoint pauses, so one that is down costs one attempt
per back-off step, not one per event. After DISABLE_AFTER consecutive failures the endpoint is disabled and
its owner sees why on its page; its deliveries wait, and go when it is enabled again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.audit import services as audit
from ascc.db import rows_changed
from ascc.jobs import nap
from ascc.webhooks import signing, targets
from ascc.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("ascc.webhooks")

MAX_ATTEMPTS = 12  # about five hours of attempts
DISABLE_AFTER = 15  # consecutive failed attempts to one endpoint: about nine hours of failures
TIMEOUT_SECONDS = 5.0  # the whole attempt: connecting, sending, the answer's status line
CLAIM_SECONDS = 60
KEEP_DAYS = 30  # the delivery log
PARALLEL_ENDPOINTS = 8
USER_AGENT = "ASCC-Webhooks/1"

_wakeups: set[asyncio.Event] = set()

# Resolves a host to the addresses a connection may use (a function so tests can name the addresses).
Resolver = Callable[[str, int], Awaitable[list[str]]]


def wake() -> None:
    """A delivery was recorded: the senders of this process look now instead of at their next poll."""
    for event in list(_wakeups):
        event.set()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=2), timeout=3
        )  # SOCK_DGRAM: one per address
    except (OSError, TimeoutError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    endpoint_id: int
    url: str
    secret_sealed: str
    message_id: str
    body: str


@dataclass
class Report:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    postponed: int = 0  # claimed, but their endpoint failed a moment before: back to waiting, no attempt


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now),
        (WebhookDelivery.status == "sending") & (WebhookDelivery.claimed_until < now),
    )


async def _claim_due(session_maker: Callable[[], AsyncSession], limit: int) -> list[Claimed]:
    now = clock.now()
    due = _due(now)
    claimed: list[Claimed] = []
    async with session_maker() as session:
        rows = (
            await session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookEndpoint.id,
                    WebhookEndpoint.url,
                    WebhookEndpoint.secret_sealed,
                    WebhookDelivery.message_id,
                    WebhookDelivery.body,
                )
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(
                    due,
                    WebhookEndpoint.enabled,
                    or_(WebhookEndpoint.paused_until.is_(None), WebhookEndpoint.paused_until <= now),
                )
                .order_by(WebhookDelivery.id)
                .limit(limit)
            )
        ).all()
        for row in rows:
            changed = await rows_changed(
                session,
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row[0], due)
                .values(status="sending", claimed_until=now + timedelta(seconds=CLAIM_SECONDS)),
            )
            if changed == 1:
                claimed.append(Claimed(*row))
        await session.commit()
    return claimed


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: str,
    headers: dict[str, str],
    production: bool,
    resolver: Resolver,
) -> tuple[int | None, str | None]:
    """(the answer's status, or None; what went wrong, or None). Redirects are not followed.

    In production the host is resolved here, every address must be public, and the connection goes to the
    address that was checked (TLS still verifies the certificate for the host name)."""
    target = httpx.URL(url)
    extensions: dict[str, str] = {}
    if production:
        addresses = await resolver(target.host, target.port or 443)
        if not addresses:
            return None, f"the host {target.host} was not found"
        if not targets.all_public(addresses):
            return None, f"refused: {target.host} resolves to an address that is not public"
        headers = {**headers, "host": target.netloc.decode("ascii")}
        extensions = {"sni_hostname": target.host}
        target = target.copy_with(host=addresses[0])
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            async with client.stream(
                "POST", target, content=body.encode(), headers=headers, extensions=extensions
            ) as response:
                status = response.status_code
    except TimeoutError:
        return None, f"no answer within {TIMEOUT_SECONDS:g} s"
    except (httpx.HTTPError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    return status, None if 200 <= status < 300 else f"HTTP {status}"


async def _record(
    session_maker: Callable[[], AsyncSession],
    item: Claimed,
    status_code: int | None,
    error: str | None,
    report: Report,
) -> None:
    now = clock.now()
    async with session_maker() as session:
        delivery = await session.get(WebhookDelivery, item.delivery_id)
        if delivery is None:  # the endpoint was deleted meanwhile
            return
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.last_status_code = now, status_code
        delivery.claimed_until = None
        if error is None:
            delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
            report.delivered += 1
            await session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id == item.endpoint_id,
                    or_(WebhookEndpoint.consecutive_failures != 0, WebhookEndpoint.paused_until.is_not(None)),
                )
                .values(consecutive_failures=0, paused_until=None, last_error=None)
            )
        else:
            delivery.last_error = error[:500]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "failed"
                report.failed += 1
            else:
                delivery.status, delivery.next_attempt_at = "pending", now + backoff(delivery.attempts)
                report.retrying += 1
            await _endpoint_failed(session, item, error, now)
            log.warning(
                "webhook %s to %s failed (attempt %s): %s",
                item.message_id,
                item.url,
                delivery.attempts,
                error,
            )
        await session.commit()


async def _endpoint_failed(session: AsyncSession, item: Claimed, error: str, now: datetime) -> None:
    """Count the failure (one statement, so two senders count both), pause the endpoint, and disable it at
    DISABLE_AFTER with a note on its page and in the audit log."""
    failures = await session.scalar(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == item.endpoint_id)
        .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1, last_error=error[:500])
        .returning(WebhookEndpoint.consecutive_failures)
    )
    if failures is None:
        return
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == item.endpoint_id)
        .values(paused_until=now + backoff(failures))
    )
    if failures < DISABLE_AFTER:
        return
    disabled = await rows_changed(
        session,
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == item.endpoint_id, WebhookEndpoint.enabled)
        .values(enabled=False, disabled_at=now, disabled_reason="failures"),
    )
    if disabled == 1:
        log.error("webhook endpoint %s (%s) disabled after %s failures", item.endpoint_id, item.url, failures)
        await audit.record(
            session,
            None,
            "webhooks.endpoint_disabled",
            "webhook_endpoint",
            item.endpoint_id,
            item.url,
            before={"enabled": True},
            after={"enabled": False, "consecutive_failures": failures, "last_error": error[:200]},
        )


async def _release(session_maker: Callable[[], AsyncSession], delivery_ids: list[int]) -> None:
    async with session_maker() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.status == "sending")
            .values(status="pending", claimed_until=None)
        )
        await session.commit()


async def deliver_due(
    session_maker: Callable[[], AsyncSession],
    secret_key: str,
    production: bool,
    limit: int = 100,
    resolver: Resolver = resolve,
) -> Report:
    """One round: post what is due, the endpoints side by side, each endpoint's deliveries in order; after a
    failure the rest of that endpoint's deliveries wait for its pause to end."""
    report = Report()
    claimed = await _claim_due(session_maker, limit)
    if not claimed:
        return report
    groups: dict[int, list[Claimed]] = {}
    for item in claimed:
        groups.setdefault(item.endpoint_id, []).append(item)
    parallel = asyncio.Semaphore(PARALLEL_ENDPOINTS)

    async def one_endpoint(client: httpx.AsyncClient, items: list[Claimed]) -> None:
        async with parallel:
            for index, item in enumerate(items):
                status: int | None
                error: str | None
                try:
                    secret = signing.unseal(item.secret_sealed, secret_key)
                except signing.SecretUnreadable as exc:
                    status, error = None, str(exc)
                else:
                    # The attempt's own time (not ASCC_NOW): receivers compare it with their clock.
                    headers = signing.headers(secret, item.message_id, int(time.time()), item.body)
                    headers["user-agent"] = USER_AGENT
                    status, error = await post(client, item.url, item.body, headers, production, resolver)
                await _record(session_maker, item, status, error, report)
                if error is not None:
                    rest = [later.delivery_id for later in items[index + 1 :]]
                    if rest:
                        await _release(session_maker, rest)
                        report.postponed += len(rest)
                    return

    # No proxies from the environment, no redirects: the request goes where the checked URL says.
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=TIMEOUT_SECONDS) as client:
        await asyncio.gather(*(one_endpoint(client, items) for items in groups.values()))
    return report


async def prune(session_maker: Callable[[], AsyncSession]) -> None:
    """The log keeps KEEP_DAYS: older delivered and failed deliveries go (their bodies name people)."""
    async with session_maker() as session:
        await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(("delivered", "failed")),
                WebhookDelivery.created_at < clock.now() - timedelta(days=KEEP_DAYS),
            )
        )
        await session.commit()


async def run_sender(
    session_maker: Callable[[], AsyncSession],
    secret_key: str,
    production: bool,
    poll_seconds: float,
    stop: asyncio.Event,
) -> None:
    """Background loop of one worker: deliver what is due, sleep until woken or polled; prune hourly."""
    wakeup = asyncio.Event()
    _wakeups.add(wakeup)
    pruned_at = 0.0
    try:
        while not stop.is_set():
            try:
                await deliver_due(session_maker, secret_key, production)
                if time.monotonic() - pruned_at > 3600:
                    await prune(session_maker)
                    pruned_at = time.monotonic()
            except Exception:  # the loop must survive a database or network hiccup
                log.exception("webhook delivery round failed")
            await nap(wakeup, stop, poll_seconds)
    finally:
        _wakeups.discard(wakeup)
