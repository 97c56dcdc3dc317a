"""What runs beside the requests: the named background jobs and the loops that deliver mail, webhooks and
reminders.

Without Redis all of it runs inside each web worker. With Redis the web workers only queue jobs, and
`ascc worker` (ascc/worker.py) runs the jobs, the mail sender, the webhook sender and the reminders.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ascc.badges import sheets
from ascc.campaigns import sending as campaigns
from ascc.campaigns.reminders import run_periodic as run_reminders
from ascc.certificates import mailing as certificate_mailing
from ascc.config import Settings
from ascc.db import create_engine
from ascc.jobs import JobFunction
from ascc.mail.services import run_sender
from ascc.matching import planning
from ascc.messages import digest as message_digest
from ascc.registration import importing as registration_import
from ascc.webhooks import delivery as webhooks
from ascc.webhooks.services import is_production

log = logging.getLogger("ascc.background")


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    session_maker: Callable[[], AsyncSession]


async def _badge_sheet(context: JobContext, *, print_id: int) -> None:
    await sheets.execute(context.session_maker, print_id)


async def _scheduler_run(context: JobContext, *, run_id: int) -> None:
    await planning.execute_run(context.session_maker, run_id, context.settings.base_url)


async def _campaign(context: JobContext, *, campaign_id: int) -> None:
    settings = context.settings
    await campaigns.execute_send(context.session_maker, campaign_id, settings.base_url, settings.secret_key)


async def _registration_import(context: JobContext, *, batch_id: int) -> None:
    await registration_import.execute(context.session_maker, batch_id)


async def _certificate_mailing(context: JobContext, *, mailing_id: int) -> None:
    await certificate_mailing.execute(context.session_maker, mailing_id, context.settings.base_url)


# Arguments are ids only: the rows hold the rest, and secrets never travel through Redis.
JOB_FUNCTIONS: dict[str, JobFunction] = {
    "badge_sheet": _badge_sheet,
    "scheduler_run": _scheduler_run,
    "campaign_send": _campaign,
    "certificate_mailing": _certificate_mailing,
    "registration_import": _registration_import,
}


@asynccontextmanager
async def _loop(name: str, database_url: str, make: Callable[..., Any]) -> AsyncIterator[None]:
    """A loop with its own engine: it must finish a round after the request engine is disposed at shutdown,
    and a slow SMTP server must not hold connections requests need."""
    engine = create_engine(database_url)
    stop = asyncio.Event()
    task = asyncio.create_task(make(async_sessionmaker(engine, expire_on_commit=False), stop))
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        except TimeoutError:
            log.warning("%s did not stop within 30 s; what it was doing is retried later", name)
            task.cancel()
        await engine.dispose()


@asynccontextmanager
async def mail_and_reminders(settings: Settings) -> AsyncIterator[None]:
    """Send reminders, deliver webhooks and the outbox (when SMTP is configured) until the context ends."""

    def reminders(session_maker: Callable[[], AsyncSession], stop: asyncio.Event) -> Any:
        return run_reminders(session_maker, settings.base_url, settings.secret_key, stop)

    def webhook_sender(session_maker: Callable[[], AsyncSession], stop: asyncio.Event) -> Any:
        production = is_production(settings.base_url)
        return webhooks.run_sender(
            session_maker, settings.secret_key, production, settings.mail_poll_seconds, stop
        )

    def digests(session_maker: Callable[[], AsyncSession], stop: asyncio.Event) -> Any:
        return message_digest.run_periodic(session_maker, settings.base_url, stop)

    async with (
        _loop("the reminder loop", settings.database_url, reminders),
        _loop("the message digest", settings.database_url, digests),
        _loop("the webhook sender", settings.database_url, webhook_sender),
    ):
        if not settings.smtp_url:
            log.info("ASCC_SMTP_URL is not set: mail stays in the outbox (see /organizer/outbox) and the log")
            yield
            return
        smtp_url = settings.smtp_url

        def sender(session_maker: Callable[[], AsyncSession], stop: asyncio.Event) -> Any:
            return run_sender(session_maker, smtp_url, settings.mail_from, settings.mail_poll_seconds, stop)

        async with _loop("the mail sender", settings.database_url, sender):
            yield
