""" "Schedule all": the capacity picture, a run of the scheduler in the background, and its result applied.

A run reads every accepted, unscheduled meeting and every scheduled one (those stay where they are),
derives who is free when, solves outside the event loop (a worker thread, capped at 60 s) while the
page shows its progress, and writes the slots and tables in one transaction. People get one mail each
listing their new meetings, not one per meeting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from ascc import clock, dates, locks
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound
from ascc.mail import services as mail
from ascc.matching import invitations, scheduler, webhook_events
from ascc.matching import services as matching
from ascc.matching.meetings import meetings_by_ids, place_label, place_of, tell_parties
from ascc.matching.models import MatchingSlot, Meeting, MeetingSeat, ScheduleRun
from ascc.notifications import services as notifications

log = logging.getLogger("ascc.matching")
TIME_LIMIT = 60.0


@dataclass
class Problem:
    """The scheduler's input, and what is needed to explain and apply its answer."""

    meetings: list[scheduler.Meeting]
    slots: list[scheduler.Slot]
    rows: dict[int, Meeting]


async def problem(session: AsyncSession, edition_id: int) -> Problem:
    slots = await matching.all_slots(session, edition_id)
    now = clock.now()
    rows = {
        m.id: m
        for m in await session.scalars(
            select(Meeting).where(
                Meeting.edition_id == edition_id,
                # Held (checked-in) meetings keep their table and people too, like scheduled ones.
                Meeting.status.in_(("accepted", "scheduled", "held")),
                (Meeting.status == "accepted") | Meeting.place_number.is_not(None),
            )
        )
    }
    people = sorted({p for m in rows.values() for p in (m.requester_id, m.recipient_id)})
    busy = await matching.busy_of(session, edition_id, None if len(people) > 500 else people)
    upcoming = [s for s in slots if s.starts_at > now]  # a run never fills a slot that has begun
    free = {p: matching.free_slot_ids(upcoming, busy.get(p, [])) for p in people}
    meetings = []
    for m in rows.values():
        fixed = (
            (m.slot_id, m.place_number) if m.status != "accepted" and m.slot_id and m.place_number else None
        )
        a, b = m.requester_id, m.recipient_id
        meetings.append(
            scheduler.Meeting(
                m.id,
                (a, b),
                m.weight,
                frozenset(free[a] & free[b]),
                scheduler.IN_PERSON if place_of(m.format) == "table" else scheduler.ONLINE,
                fixed,
            )
        )
    return Problem(
        meetings,
        [scheduler.Slot(s.id, s.session.tables, s.session.online_rooms) for s in slots],
        rows,
    )


async def capacity_picture(session: AsyncSession, edition_id: int) -> dict[str, Any]:
    """Accepted meetings against slots x tables, before anyone presses the button."""
    found = await problem(session, edition_id)
    waiting = [m for m in found.meetings if m.fixed is None]
    picture = scheduler.capacity(found.meetings, found.slots)
    picture["waiting"] = len(waiting)
    picture["scheduled"] = len(found.meetings) - len(waiting)
    picture["short_of_tables"] = picture["needed_tables"] > picture["max_tables"]
    picture["short_of_rooms"] = picture["needed_rooms"] > picture["max_rooms"]
    picture["short_of_slots"] = picture["busiest"] > picture["slots"]
    return picture


async def latest_run(session: AsyncSession, edition_id: int) -> ScheduleRun | None:
    return await session.scalar(
        select(ScheduleRun)
        .where(ScheduleRun.edition_id == edition_id)
        .order_by(ScheduleRun.id.desc())
        .limit(1)
    )


async def get_run(session: AsyncSession, edition_id: int, run_id: int) -> ScheduleRun:
    run = await session.scalar(
        select(ScheduleRun)
        .where(ScheduleRun.id == run_id, ScheduleRun.edition_id == edition_id)
        .execution_options(populate_existing=True)
    )
    if run is None:
        raise NotFound("run")
    return run


STALE_AFTER = timedelta(minutes=5)  # a run is capped at 60 s: one older than this died with its worker


async def start_run(
    session: AsyncSession, edition_id: int, user_id: int, actor: audit.Actor | None = None
) -> ScheduleRun:
    """A new run, unless one is already under way (a second would fight over the same tables)."""
    await locks.lock_rows(session, "edition", [edition_id])  # two organizers pressing at once: one run
    busy = await session.scalar(
        select(func.count()).where(
            ScheduleRun.edition_id == edition_id,
            ScheduleRun.status.in_(("queued", "running")),
            ScheduleRun.created_at > clock.now() - STALE_AFTER,
        )
    )
    if busy:
        raise DomainError("matching.error.run_under_way", "run_under_way", status=409)
    run = ScheduleRun(
        edition_id=edition_id, started_by_id=user_id, status="queued", stage="queued", result={}
    )
    session.add(run)
    await session.flush()
    await audit.record(
        session,
        actor,
        "matching.schedule_run",
        "scheduler_run",
        run.id,
        f"#{run.id}",
        after={"status": run.status},
        edition_id=edition_id,
    )
    return run


async def execute_run(session_maker: Callable[[], AsyncSession], run_id: int, base_url: str) -> None:
    """The background part of a run: solve in a thread, report progress, apply, tell people."""
    progress: dict[str, Any] = {"fraction": 0.05, "stage": "loading"}

    def report(fraction: float, stage: str) -> None:  # called from the solver's thread
        progress.update(fraction=fraction, stage=stage)

    async def store_progress() -> None:
        await session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.id == run_id)
            .values(progress=progress["fraction"], stage=progress["stage"], status="running")
        )
        await session.commit()

    async with session_maker() as session:
        edition_id = await session.scalar(select(ScheduleRun.edition_id).where(ScheduleRun.id == run_id))
        if edition_id is None:
            return
        try:
            await store_progress()
            found = await problem(session, edition_id)
            started = time.perf_counter()
            task = asyncio.create_task(
                asyncio.to_thread(scheduler.schedule, found.meetings, found.slots, TIME_LIMIT, report)
            )
            while not task.done():
                await asyncio.wait({task}, timeout=0.5)
                await store_progress()
            result = task.result()
            report(0.9, "saving")
            await store_progress()
            applied = await _apply(session, found, result)
            summary = _summary(found, result, applied, time.perf_counter() - started)
            await session.execute(
                update(ScheduleRun)
                .where(ScheduleRun.id == run_id)
                .values(status="done", progress=1.0, stage="done", result=summary, finished_at=clock.now())
            )
            await webhook_events.scheduled_many(session, applied)
            await _tell_people(session, edition_id, applied, base_url)
            await session.commit()
        except (
            BaseException
        ) as exc:  # the run fails visibly (also when cancelled); nothing half-written stays
            log.exception("matching run %s failed", run_id)
            await session.rollback()
            await session.execute(
                update(ScheduleRun)
                .where(ScheduleRun.id == run_id)
                .values(
                    status="failed",
                    stage="failed",
                    error=str(exc)[:500] or type(exc).__name__,
                    finished_at=clock.now(),
                )
            )
            await session.commit()
            if not isinstance(exc, Exception):
                raise


async def _apply(session: AsyncSession, found: Problem, result: scheduler.Schedule) -> list[int]:
    """Write the new placements; a meeting someone scheduled by hand meanwhile keeps its own slot."""
    new = {i: spot for i, spot in result.placed.items() if found.rows[i].status == "accepted"}
    # The slots written, in id order, as a participant's placement takes one: neither waits for the other.
    await locks.lock_rows(session, MatchingSlot.__tablename__, {slot for slot, _ in new.values()})
    try:
        async with session.begin_nested():
            applied = await _place_all(session, new)
            await session.flush()
        return applied
    except (IntegrityError, StaleDataError):
        # A meeting was put in one of these places by hand while the solver ran: apply one by one.
        return await _apply_one_by_one(session, new)


async def _place_all(session: AsyncSession, new: dict[int, tuple[int, int]]) -> list[int]:
    ids = list(new)
    applied = []
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(Meeting)
            .where(Meeting.id.in_(ids[start : start + 500]))
            .execution_options(populate_existing=True)
        )
        for m in rows:
            if m.status != "accepted":
                continue
            _place(session, m, *new[m.id])
            applied.append(m.id)
    return applied


def _place(session: AsyncSession, m: Meeting, slot: int, number: int) -> None:
    m.slot_id, m.place, m.place_number, m.status = slot, place_of(m.format), number, "scheduled"
    m.proposed_slot_id = None
    session.add_all(
        MeetingSeat(meeting_id=m.id, slot_id=slot, user_id=u) for u in (m.requester_id, m.recipient_id)
    )


async def _apply_one_by_one(session: AsyncSession, new: dict[int, tuple[int, int]]) -> list[int]:
    applied = []
    for meeting_id, (slot, number) in new.items():
        try:
            async with session.begin_nested():
                m = await session.get(Meeting, meeting_id, populate_existing=True)
                if m is None or m.status != "accepted":
                    continue
                _place(session, m, slot, number)
                await session.flush()
            applied.append(meeting_id)
        except (IntegrityError, StaleDataError):
            continue
    return applied


def _summary(
    found: Problem, result: scheduler.Schedule, applied: list[int], seconds: float
) -> dict[str, Any]:
    waiting = [m for m in found.meetings if m.fixed is None]
    return {
        "capacity": scheduler.capacity(found.meetings, found.slots),
        "waiting": len(waiting),
        "scheduled": len(applied),
        "already_scheduled": len(found.meetings) - len(waiting),
        "weight": result.weight,
        "bound": result.bound,
        "quality": round(result.quality, 6),
        "proven_optimal": result.proven_optimal,
        "method": result.method,
        "seconds": round(seconds, 3),
        "left_out": [{"id": i, "reason": reason} for i, reason in sorted(result.left_out.items())],
    }


async def _tell_people(session: AsyncSession, edition_id: int, meeting_ids: list[int], base_url: str) -> None:
    """One notification and one mail per person, listing all their newly scheduled meetings."""
    if not meeting_ids:
        return
    edition = await editions.get_by_id(session, edition_id)
    edition_tz = edition.timezone
    lines: dict[int, list[tuple[Any, str, Meeting]]] = {}
    scheduled = await meetings_by_ids(session, meeting_ids)
    for m in scheduled:
        assert m.slot is not None  # just scheduled
        for person, other in ((m.requester, m.recipient), (m.recipient, m.requester)):
            lines.setdefault(person.id, []).append((m.slot.starts_at, other.name_latin, m))
    await notifications.notify_many(session, list(lines), "meetings_scheduled", "/matching", {})
    for person in await accounts.get_users(session, list(lines)):
        mine = sorted(lines[person.id], key=lambda line: line[0])
        context: dict[str, Any] = {"name": person.name_latin, "link": f"{base_url}/matching"}
        for lang in ("en", "ja"):
            # One line a meeting: when (with the zone), with whom, where.
            context[f"lines_{lang}"] = [
                " · ".join(
                    filter(
                        None,
                        (
                            dates.format_range(
                                m.slot.starts_at, m.slot.ends_at, lang, edition_tz, "datetime_range"
                            )
                            if m.slot
                            else "",
                            who,
                            place_label(m, lang),
                        ),
                    )
                )
                for _when, who, m in mine
            ]
        await mail.queue_mail(
            session,
            to=person.email,
            name=person.name_latin,
            lang=person.preferred_lang,
            kind="meetings_scheduled",
            context=context,
        )
    # Calendars take one event per invitation, so each meeting goes out as its own invitation too.
    for m, item in zip(
        scheduled, await invitations.items_of(session, edition, scheduled, base_url), strict=True
    ):
        payload = invitations.request_payload(item, edition, m)
        for person_id, other in ((m.requester_id, m.recipient), (m.recipient_id, m.requester)):
            params = {"name_other": other.display_name}
            await tell_parties(
                session,
                edition,
                [person_id],
                "meeting_invitation",
                m,
                base_url,
                params,
                payload,
                notify=False,
            )
