"""Calendars: a person's secret feed, single items as files, the whole programme, the schedule exports.

The feed holds a person's plan in the current edition: saved and signed-up sessions, sessions they speak
in, tour courses they are booked on (or waiting for), and their scheduled business meetings. What the
feed said about each item is kept (`CalendarEntry`), so an item that changes gets a higher SEQUENCE and a
new LAST-MODIFIED, and one that leaves the plan stays FEED_KEEPS_CANCELLED as STATUS:CANCELLED.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, ical
from ascc.accounts import services as accounts
from ascc.calendar import exports
from ascc.calendar.items import course_item, session_item
from ascc.calendar.models import CalendarEntry, CalendarFeed
from ascc.errors import NotFound
from ascc.ical import CalendarItem, Revision
from ascc.matching import invitations as meeting_invitations
from ascc.programme import services as programme
from ascc.programme.schedule import Item
from ascc.tours import services as tours

if TYPE_CHECKING:
    from ascc.editions.models import Edition

FEED_KEEPS_CANCELLED = timedelta(days=30)
EPOCH = datetime(2012, 1, 1, tzinfo=UTC)  # a stamp for files with nothing newer to say (the first ASCC)
FEED_REFRESH_HOURS = 1
# token_urlsafe(24): 32 characters of [A-Za-z0-9_-]; anything else is not worth a database lookup.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


# --- The feed's address -----------------------------------------------------------------------------


async def feed_of(session: AsyncSession, user_id: int) -> CalendarFeed:
    """The person's feed address, made on first use (and again after they revoked it)."""
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    if feed is None:
        feed = CalendarFeed(user_id=user_id, token=secrets.token_urlsafe(24))
        try:
            async with session.begin_nested():
                session.add(feed)
        except IntegrityError:  # made by a parallel request a moment ago
            feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    if feed.token is None:
        feed.token = secrets.token_urlsafe(24)
    await session.flush()
    return feed


async def rotate(session: AsyncSession, user_id: int) -> tuple[str | None, CalendarFeed]:
    """A new address; the old one answers 404 from now on. Returns the old token and the feed."""
    feed = await feed_of(session, user_id)
    old = feed.token
    feed.token = secrets.token_urlsafe(24)
    await session.flush()
    return old, feed


async def revoke(session: AsyncSession, user_id: int) -> str | None:
    """No address at all until the person asks for one again. Returns the token that stopped working."""
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    if feed is None or feed.token is None:
        return None
    old, feed.token = feed.token, None
    await session.flush()
    return old


async def user_for_token(session: AsyncSession, token: str) -> int | None:
    """Whose feed this is; None for a malformed, unknown or revoked token or a deleted account."""
    if not _TOKEN.fullmatch(token):
        return None
    user_id = await session.scalar(select(CalendarFeed.user_id).where(CalendarFeed.token == token))
    return user_id if user_id is not None and await accounts.is_active(session, user_id) else None


def feed_urls(base_url: str, token: str | None) -> dict[str, str]:
    """The feed's addresses; `token` is that of a live feed (feed_of and rotate always give one)."""
    if token is None:
        raise ValueError("a revoked feed has no address")
    url = f"{base_url}/calendar/feed/{token}/calendar.ics"
    return {"url": url, "webcal": re.sub(r"^https?://", "webcal://", url)}


def cache_key(token: str) -> str:
    return f"calendar-feed:{hashlib.sha256(token.encode()).hexdigest()[:40]}"


# --- What is in it ------------------------------------------------------------------------------------


async def plan_items(
    session: AsyncSession, current: programme.Programme, user_id: int, base_url: str
) -> list[CalendarItem]:
    edition = current.edition
    lines, _gone = await programme.my_agenda(session, user_id, current)
    speaking = await programme.speaking_ids(session, user_id, edition.id)
    items = [
        session_item(line.item, edition, base_url, seat=line.seat, speaking=line.item.id in speaking)
        for line in lines
    ]
    saved = {line.item.id for line in lines}
    if current.schedule:
        items += [
            session_item(current.schedule.by_id[i], edition, base_url, speaking=True)
            for i in sorted(speaking - saved)
            if i in current.schedule.by_id
        ]
    tours_by_id = {tour.id: tour for tour in await tours.list_tours(session, edition.id)}
    for booking in await tours.my_bookings(session, user_id, edition.id):
        tour = tours_by_id[booking.course.tour_id]
        items.append(course_item(booking.course, tour, edition, base_url, seat=booking.status))
    items += await meeting_invitations.calendar_items(session, edition, user_id, base_url)
    return sorted(items, key=lambda i: (i.starts_at, i.uid))


async def revisions(
    session: AsyncSession, edition_id: int, user_id: int, items: list[CalendarItem]
) -> list[Revision]:
    """Compare the plan with what the feed said before; record changes; the feed's events in order.

    Most rebuilds find nothing changed: they only read, and never wait for SQLite's writer.
    """
    unchanged = await _as_recorded(session, edition_id, user_id, items)
    if unchanged is not None:
        return unchanged
    for attempt in range(2):
        try:
            async with session.begin_nested():
                return await _reconcile(session, edition_id, user_id, items)
        except IntegrityError:  # a parallel request of the same feed recorded a new item first
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _as_recorded(
    session: AsyncSession, edition_id: int, user_id: int, items: list[CalendarItem]
) -> list[Revision] | None:
    """The feed's events when what is recorded already says exactly this plan; None when something changed."""
    now = clock.now()
    rows = await session.scalars(select(CalendarEntry).where(CalendarEntry.user_id == user_id))
    entries = {entry.uid: entry for entry in rows.all()}
    current = {item.uid: item for item in items}
    for uid, item in current.items():
        entry = entries.get(uid)
        if entry is None or entry.fingerprint != item.fingerprint() or entry.cancelled_at is not None:
            return None
    for uid, entry in entries.items():
        if uid in current or entry.edition_id != edition_id:
            continue
        if entry.cancelled_at is None or now - entry.cancelled_at > FEED_KEEPS_CANCELLED:
            return None
    shown = sorted(
        (e for e in entries.values() if e.edition_id == edition_id),
        key=lambda e: (e.item["starts_at"], e.uid),
    )
    return [Revision(CalendarItem.from_json(e.item), e.sequence, e.modified_at, e.created_at) for e in shown]


async def _reconcile(
    session: AsyncSession, edition_id: int, user_id: int, items: list[CalendarItem]
) -> list[Revision]:
    now = clock.now()
    rows = await session.scalars(select(CalendarEntry).where(CalendarEntry.user_id == user_id))
    entries = {entry.uid: entry for entry in rows.all()}
    current = {item.uid: item for item in items}
    for uid, item in current.items():
        fingerprint = item.fingerprint()
        entry = entries.get(uid)
        if entry is None:
            entries[uid] = entry = CalendarEntry(
                user_id=user_id,
                edition_id=edition_id,
                uid=uid,
                fingerprint=fingerprint,
                sequence=0,
                modified_at=now,
                item=item.to_json(),
            )
            session.add(entry)
        elif entry.fingerprint != fingerprint or entry.cancelled_at is not None:
            _change(entry, item, now)
            entry.cancelled_at = None
    expired = []
    for uid, entry in entries.items():
        if uid in current or entry.edition_id != edition_id:
            continue
        if entry.cancelled_at is None:
            _change(entry, replace(CalendarItem.from_json(entry.item), status="CANCELLED"), now)
            entry.cancelled_at = now
        elif now - entry.cancelled_at > FEED_KEEPS_CANCELLED:
            expired.append(entry.id)
    if expired:
        await session.execute(delete(CalendarEntry).where(CalendarEntry.id.in_(expired)))
    await session.flush()
    shown = [e for e in entries.values() if e.edition_id == edition_id and e.id not in expired]
    shown.sort(key=lambda e: (e.item["starts_at"], e.uid))
    return [Revision(CalendarItem.from_json(e.item), e.sequence, e.modified_at, e.created_at) for e in shown]


def _change(entry: CalendarEntry, item: CalendarItem, now: Any) -> None:
    entry.fingerprint = item.fingerprint()
    entry.item = item.to_json()
    entry.sequence += 1
    entry.modified_at = now


async def feed_body(
    session: AsyncSession, current: programme.Programme, user_id: int, base_url: str, name: str
) -> bytes:
    items = await plan_items(session, current, user_id, base_url)
    events = await revisions(session, current.edition.id, user_id, items)
    # Stamped with the last change, not the time of building: the same plan is the same file (and ETag)
    # on every worker and after every rebuild, so a polling calendar gets 304 until something changes.
    stamp = max((e.last_modified for e in events if e.last_modified), default=EPOCH)
    return ical.calendar(events, current.edition.timezone, stamp, name=name, refresh_hours=FEED_REFRESH_HOURS)


# --- Single items and the whole programme ------------------------------------------------------------


def _one(item: CalendarItem, edition: Edition, sequence: int, stamp: datetime | None) -> bytes:
    return ical.calendar([Revision(item, sequence)], edition.timezone, stamp or EPOCH)


def _release_stamp(current: programme.Programme) -> datetime:
    """When the release was published: files built from it are the same on every worker and every day."""
    return (current.schedule.published_at if current.schedule else None) or EPOCH


def one_session(current: programme.Programme, item: Item, base_url: str) -> bytes:
    """A session as a file; its SEQUENCE is the release's version, so a newer download replaces an older."""
    assert current.schedule is not None  # the item is one of its sessions
    return _one(
        session_item(item, current.edition, base_url),
        current.edition,
        current.schedule.version,
        _release_stamp(current),
    )


def programme_calendar(current: programme.Programme, base_url: str) -> bytes:
    """Every session of the latest release; cancelled ones stay, cancelled, so subscribers drop them."""
    edition = current.edition
    schedule = current.schedule
    events = (
        [Revision(session_item(item, edition, base_url), schedule.version) for item in schedule.items]
        if schedule
        else []
    )
    name = ical.bilingual(edition.name_en, edition.name_ja)
    return ical.calendar(
        events, edition.timezone, _release_stamp(current), name=name, refresh_hours=FEED_REFRESH_HOURS
    )


async def course_calendar(session: AsyncSession, edition: Edition, course_id: int, base_url: str) -> bytes:
    course = await tours.get_course(session, course_id)
    if course.tour.edition_id != edition.id:
        raise NotFound("course")
    return _one(course_item(course, course.tour, edition, base_url), edition, 0, course.updated_at)


async def meeting_calendar(session: AsyncSession, edition: Edition, meeting: Any, base_url: str) -> bytes:
    item = await meeting_invitations.calendar_item(session, edition, meeting, base_url)
    return _one(item, edition, meeting.version, meeting.updated_at)


def conference_of(edition: Edition, base_url: str) -> exports.Conference:
    return exports.Conference(edition.slug, edition.name_en, edition.name_ja, edition.timezone, base_url)
