"""Reminders before a person's sessions, site visits and business meetings, sent once by a periodic loop.

Each (kind, item, person) gets one `reminder_sent` row, written with INSERT … ON CONFLICT DO NOTHING in the
same transaction as the mail: however many workers run the loop, a person is reminded of an item once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, dates
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.campaigns import message, preferences, sending
from ascc.campaigns.models import ReminderSent, ReminderSettings
from ascc.capacity import services as capacity
from ascc.db import insert_ignoring_duplicates
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.mail import services as mail
from ascc.matching import invitations
from ascc.matching import services as matching
from ascc.programme import services as programme
from ascc.programme.session_editing import pool_key
from ascc.registration import services as registration
from ascc.text import whole_number
from ascc.tours import services as tours

log = logging.getLogger("ascc.campaigns.reminders")

LEAD_MAX_MINUTES = 7 * 24 * 60
FIELDS = ("session_minutes", "tour_minutes", "meeting_minutes")
DEFAULTS = {"session_minutes": 15, "tour_minutes": 24 * 60, "meeting_minutes": 15}


async def get_settings(session: AsyncSession, edition_id: int) -> ReminderSettings:
    """The edition's lead times (the defaults, not yet stored, until an organizer saves them)."""
    found = await session.scalar(select(ReminderSettings).where(ReminderSettings.edition_id == edition_id))
    return found or ReminderSettings(edition_id=edition_id, **DEFAULTS)


async def save_settings(
    session: AsyncSession, edition_id: int, values: Mapping[str, str], actor: audit.Actor | None
) -> ReminderSettings:
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    clean = {f: whole_number(errors, f, values.get(f, ""), 0, LEAD_MAX_MINUTES, True) for f in FIELDS}
    if errors:
        raise ValidationFailed(errors)
    current = await get_settings(session, edition_id)
    before = audit.snapshot(current, FIELDS) if current.id else None
    for field, value in clean.items():
        setattr(current, field, value)
    session.add(current)
    await session.flush()
    await audit.record(
        session,
        actor,
        "campaigns.reminders",
        "reminder_settings",
        current.id,
        "reminders",
        before=before,
        after=audit.snapshot(current, FIELDS),
        edition_id=edition_id,
    )
    return current


@dataclass(frozen=True)
class Due:
    """One item about to start and who is to be reminded of it, with the mail's bilingual details."""

    kind: str  # session | tour | meeting
    item_id: int
    starts_at: datetime
    user_ids: list[int]
    context: dict[str, Any]  # per-item mail context (titles, place, link) in both languages
    per_person: dict[int, dict[str, Any]] | None = None  # meetings: the other party, per person


def _when(value: datetime, tz: str) -> dict[str, str]:
    return {
        "when_en": dates.format_moment(value, "en", tz, "datetime"),
        "when_ja": dates.format_moment(value, "ja", tz, "datetime"),
        "time": dates.format_moment(value, "en", tz, "time"),
    }


async def _sessions(
    session: AsyncSession, edition: editions.Edition, now: datetime, lead: timedelta, base: str
) -> list[Due]:
    schedule = (await programme.published(session, edition)).schedule
    if schedule is None:
        return []
    items = [i for i in schedule.items if i.status == "published" and now <= i.starts_at < now + lead]
    audiences = await programme.audiences(session, [i.id for i in items])
    # A place on a waiting list is no seat: "starts at" would send them to a full room.
    waiting = await capacity.waiting_in(session, [pool_key(i.id) for i in items])
    due = []
    for item in items:
        queued = waiting.get(pool_key(item.id), set())
        people = [u for u in audiences.get(item.id, []) if capacity.person(u) not in queued]
        online = f"{base}/sessions/{item.id}/watch" if item.format in ("online", "hybrid") else ""
        room_en = item.room.name_en if item.room and item.format != "online" else ""
        room_ja = item.room.name_ja if item.room and item.format != "online" else ""
        context = {
            "title_en": item.title_en,
            "title_ja": item.title_ja,
            "place_en": ", ".join(p for p in (room_en, edition.venue_name_en) if p) if room_en else "",
            "place_ja": "、".join(p for p in (room_ja, edition.venue_name_ja) if p) if room_ja else "",
            "online": online,
            "link": f"{base}/sessions/{item.id}",
            **_when(item.starts_at, edition.timezone),
        }
        due.append(Due("session", item.id, item.starts_at, people, context))
    return due


async def _tours(
    session: AsyncSession, edition: editions.Edition, now: datetime, lead: timedelta, base: str
) -> list[Due]:
    due = []
    for course, user_ids in await tours.departing_between(session, edition.id, now, now + lead):
        context = {
            "title_en": f"{course.tour.name_en} · {course.code} {course.theme_en}",
            "title_ja": f"{course.tour.name_ja} · {course.code} {course.theme_ja}",
            "place_en": course.meeting_point_en or "",
            "place_ja": course.meeting_point_ja or course.meeting_point_en or "",
            "online": "",
            "link": f"{base}/tours",
            **_when(course.departs_at, edition.timezone),
        }
        due.append(Due("tour", course.id, course.departs_at, user_ids, context))
    return due


async def _meetings(
    session: AsyncSession, edition: editions.Edition, now: datetime, lead: timedelta, base: str
) -> list[Due]:
    meetings = await matching.scheduled_between(session, edition.id, now, now + lead)
    parties = {p for m in meetings for p in (m.requester_id, m.recipient_id)}
    people = {u.id: u for u in await accounts.get_users(session, sorted(parties))}
    organizations = await accounts.organization_names(session, sorted(parties))
    due = []
    for meeting in meetings:
        assert meeting.slot is not None  # found by its slot's time
        online = invitations.join_url(base, meeting.id) if meeting.place == "room" else ""
        context = {
            "place_en": "" if online else matching.place_label(meeting, "en"),
            "place_ja": "" if online else matching.place_label(meeting, "ja"),
            "online": online,
            "link": f"{base}/matching/meetings/{meeting.id}",
            **_when(meeting.slot.starts_at, edition.timezone),
        }
        per_person = {}
        for me, other in (
            (meeting.requester_id, meeting.recipient_id),
            (meeting.recipient_id, meeting.requester_id),
        ):
            them = people.get(other)
            name = them.display_name if them else "—"
            org = organizations.get(other)
            per_person[me] = {"other": f"{name} ({org})" if org else name}
        due.append(
            Due(
                "meeting",
                meeting.id,
                meeting.slot.starts_at,
                [meeting.requester_id, meeting.recipient_id],
                context,
                per_person,
            )
        )
    return due


async def send_due(
    session: AsyncSession, edition: editions.Edition, base_url: str, secret: str
) -> dict[str, int]:
    """Queue the reminders that are due now and not sent before; returns how many per kind (skipped apart)."""
    now = clock.now()
    settings = await get_settings(session, edition.id)
    found: list[Due] = []
    for kind, collect in (("session", _sessions), ("tour", _tours), ("meeting", _meetings)):
        minutes = getattr(settings, f"{kind}_minutes")
        if minutes > 0:
            found.extend(await collect(session, edition, now, timedelta(minutes=minutes), base_url))
    counts = {"session": 0, "tour": 0, "meeting": 0, "skipped": 0}
    if not found:
        return counts
    # Bookings, agendas and meetings outlive a cancelled registration: only confirmed people are reminded,
    # and a meeting of which either party is gone is not announced to the other.
    confirmed = set(await registration.confirmed_user_ids(session, edition.id))
    found = [
        Due(
            d.kind, d.item_id, d.starts_at, [u for u in d.user_ids if u in confirmed], d.context, d.per_person
        )
        for d in found
        if d.kind != "meeting" or all(u in confirmed for u in d.user_ids)
    ]
    done = set(
        (
            await session.execute(
                select(ReminderSent.kind, ReminderSent.item_id, ReminderSent.user_id).where(
                    ReminderSent.edition_id == edition.id, ReminderSent.starts_at >= now
                )
            )
        )
        .tuples()
        .all()
    )
    wanted = {u for d in found for u in d.user_ids if (d.kind, d.item_id, u) not in done}
    if not wanted:
        return counts
    people = {u.id: u for u in await accounts.get_users(session, sorted(wanted))}
    opted_out = await preferences.unsubscribed(session, sorted(people), "reminders")
    stamp = datetime.now(UTC)
    for item in found:
        for user_id in dict.fromkeys(item.user_ids):
            person = people.get(user_id)
            if person is None or (item.kind, item.item_id, user_id) in done:
                continue
            skip = user_id in opted_out
            row_id = await session.scalar(
                insert_ignoring_duplicates(session, ReminderSent)
                .values(
                    edition_id=edition.id,
                    kind=item.kind,
                    item_id=item.item_id,
                    user_id=user_id,
                    starts_at=item.starts_at,
                    status="skipped" if skip else "queued",
                    created_at=stamp,
                    updated_at=stamp,
                )
                .on_conflict_do_nothing(index_elements=["kind", "item_id", "user_id"])
                .returning(ReminderSent.id)
            )
            if row_id is None:  # another worker's loop was first
                continue
            if skip:
                counts["skipped"] += 1
                continue
            prefs = message.preferences_url(base_url, secret, user_id, "reminders")
            one_click = (
                f"{base_url}/mail/unsubscribe/{message.preferences_token(secret, user_id)}?list=reminders"
            )
            queued = await mail.queue_mail(
                session,
                to=person.email,
                name=person.name_latin,
                lang=person.preferred_lang,
                kind=f"reminder_{item.kind}",
                context={
                    "name": person.name_latin,
                    **item.context,
                    **((item.per_person or {}).get(user_id, {})),
                    "preferences_link": prefs,
                    "subject_params": {"time": item.context["time"]},
                },
                headers={
                    "List-Unsubscribe": f"<{one_click}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            row = await session.get(ReminderSent, row_id)
            assert row is not None  # inserted above, in this transaction
            row.outbox_message_id = queued.id
            counts[item.kind] += 1
    await session.flush()
    return counts


async def sent_counts(session: AsyncSession, edition_id: int) -> dict[str, dict[str, int]]:
    """Reminders sent and skipped so far, per kind (the organizers' page)."""
    rows = await session.execute(
        select(ReminderSent.kind, ReminderSent.status, func.count())
        .where(ReminderSent.edition_id == edition_id)
        .group_by(ReminderSent.kind, ReminderSent.status)
    )
    result: dict[str, dict[str, int]] = {
        k: {"queued": 0, "skipped": 0} for k in ("session", "tour", "meeting")
    }
    for kind, status, count in rows.tuples():
        result.setdefault(kind, {})[status] = count
    return result


async def run_periodic(
    session_maker: Callable[[], AsyncSession],
    base_url: str,
    secret: str,
    stop: asyncio.Event,
    every_seconds: float = 60.0,
) -> None:
    """Background loop of one worker: reminders that are due, and campaigns whose worker stopped mid-way."""
    # The first round comes one period after start: a worker that is starting has other things to do.
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        if stop.is_set():
            return
        await _round(session_maker, base_url, secret)


async def _round(session_maker: Callable[[], AsyncSession], base_url: str, secret: str) -> None:
    try:
        async with session_maker() as session:
            edition = await editions.current(session)
            if edition is not None:
                counts = await send_due(session, edition, base_url, secret)
                await session.commit()
                if any(counts.values()):
                    log.info("reminders queued: %s", counts)
            stale = await sending.stale_campaigns(session)
        for campaign_id in stale:
            log.warning("campaign #%s was left half-sent: resuming", campaign_id)
            await sending.execute_send(session_maker, campaign_id, base_url, secret)
    except Exception:  # the loop must survive a database hiccup
        log.exception("reminder round failed")
