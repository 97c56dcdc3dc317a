"""Badge sheets: a PDF of many badges made in the background, its progress kept in the database so any
worker can show it (2,000 badges take about half a minute; the request that starts it answers at once)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.audit import services as audit
from ascc.badges import render
from ascc.badges import services as badges
from ascc.badges.models import BadgePrint
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.files import services as files
from ascc.registration import organizer as registrations

log = logging.getLogger("ascc.badges")
STALE_AFTER = timedelta(minutes=10)  # a print that long without finishing died with its worker
FILTER_FIELDS = ("mode", "category", "country", "q")


async def start(
    session: AsyncSession,
    edition_id: int,
    user_id: int,
    filters: dict[str, str],
    layout: str,
    actor: audit.Actor | None = None,
) -> BadgePrint:
    if layout not in render.LAYOUTS:
        raise ValidationFailed({"layout": ("badges.error.layout", {})})
    busy = await session.scalar(
        select(func.count()).where(
            BadgePrint.edition_id == edition_id,
            BadgePrint.status.in_(("queued", "running")),
            BadgePrint.created_at > clock.now() - STALE_AFTER,
        )
    )
    if busy:
        raise DomainError("badges.error.print_under_way", "print_under_way", status=409)
    chosen = {k: v.strip() for k, v in filters.items() if k in FILTER_FIELDS and v and v.strip()}
    job = BadgePrint(edition_id=edition_id, requested_by_id=user_id, filters=chosen, layout=layout)
    session.add(job)
    await session.flush()
    await audit.record(
        session,
        actor,
        "badges.print",
        "badge_print",
        job.id,
        f"#{job.id} ({layout})",
        after={"layout": layout, **chosen},
        edition_id=edition_id,
    )
    return job


async def get(session: AsyncSession, edition_id: int, print_id: int) -> BadgePrint:
    job = await session.get(BadgePrint, print_id, populate_existing=True)
    if job is None or job.edition_id != edition_id:
        raise NotFound("badge_print")
    return job


async def recent(session: AsyncSession, edition_id: int, limit: int = 10) -> list[BadgePrint]:
    rows = await session.scalars(
        select(BadgePrint)
        .where(BadgePrint.edition_id == edition_id)
        .order_by(BadgePrint.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def execute(session_maker: Callable[[], AsyncSession], print_id: int) -> None:
    """Load the faces, draw the PDF in a thread, store it; progress goes to the database twice a second."""
    progress = {"done": 0, "total": 0}

    def report(done: int, total: int) -> None:  # from the drawing thread
        progress.update(done=done, total=total)

    async with session_maker() as session:
        job = await session.get(BadgePrint, print_id)
        if job is None:
            return
        started = time.perf_counter()
        try:
            edition = await editions.get_by_id(session, job.edition_id)
            faces = await badges.faces(session, job.edition_id, registrations.Filters(**job.filters))
            job.status, job.total = "running", len(faces)
            await session.commit()
            drawing = asyncio.create_task(
                asyncio.to_thread(render.pdf, faces, edition.name_en, job.layout, report)
            )
            while not drawing.done():
                await asyncio.wait({drawing}, timeout=0.5)
                await session.execute(
                    update(BadgePrint).where(BadgePrint.id == print_id).values(done=progress["done"])
                )
                await session.commit()
            data = drawing.result()
            stored = files.stored(f"badges-{edition.slug}-{print_id}.pdf", "application/pdf", data)
            session.add(stored)
            await session.flush()
            job = await get(session, edition.id, print_id)
            job.file_id, job.status, job.done = stored.id, "done", len(faces)
            job.seconds = round(time.perf_counter() - started, 2)
            await session.commit()
        except Exception as exc:  # the organizer sees that it failed and why; the log has the rest
            log.exception("badge print %s failed", print_id)
            await session.rollback()
            await session.execute(
                update(BadgePrint)
                .where(BadgePrint.id == print_id)
                .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:300])
            )
            await session.commit()
