"""`ascc worker`: the process that runs background work when Redis is configured.

It drains the job queue (scheduler runs, badge sheets, campaigns), delivers the outbox and sends
reminders, so the web workers only answer requests. Run one or more beside `ascc serve`; SIGTERM lets
running jobs finish (up to 70 s) before it exits.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.background import JOB_FUNCTIONS, JobContext, mail_and_reminders
from ascc.config import Settings
from ascc.db import create_engine, load_models
from ascc.jobs import disconnect, queue_worker

log = logging.getLogger("ascc.worker")


async def run(settings: Settings, concurrency: int = 4) -> None:
    if not settings.redis_url:
        raise ValueError("ASCC_REDIS_URL is not set: without Redis the web workers run background work")
    load_models()
    engine = create_engine(settings.database_url)
    context = JobContext(settings, async_sessionmaker(engine, expire_on_commit=False))
    worker = queue_worker(JOB_FUNCTIONS, context, settings.redis_url, concurrency)
    try:
        async with mail_and_reminders(settings):
            log.info("worker %s listening for background jobs (%d at a time)", worker.id, concurrency)
            await worker.start()  # until SIGINT or SIGTERM
    finally:
        await disconnect(worker.queue)
        await engine.dispose()
