"""The published programme (cached per release), personal agendas and session sign-ups.

The public never reads the live session rows: it reads the latest release's snapshot, built into a
`Schedule` once per release and kept in memory. A worker re-checks which release is the latest at
most every `ttl` seconds (one small query), and the worker that publishes drops its copy at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.capacity import services as capacity
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.mail import services as mail
from ascc.notifications import services as notifications
from ascc.places import Place
from ascc.programme import materials, personal, session_editing
from ascc.programme.models import AgendaEntry, ProgrammeSession, Release, SessionPerson, Speaker
from ascc.programme.schedule import Item, Schedule, clashes
from ascc.programme.session_editing import pool_key
from ascc.registration import services as registration

__all__ = ["AgendaLine", "Busy", "Programme", "ScheduleCache", "ShortLived", "pool_key"]


@dataclass(frozen=True)
class Programme:
    """The current edition and its latest published schedule (None before the first release)."""

    edition: editions.Edition  # a detached Edition: read its columns only
    schedule: Schedule | None
    release_id: int | None


class ScheduleCache:
    """The current edition's published schedule, shared by the requests of one worker."""

    def __init__(self, session_maker: Callable[[], AsyncSession], ttl: float = 2.0) -> None:
        self.session_maker = session_maker
        self.ttl = ttl
        self._programme: Programme | None = None
        self._checked = -1e9
        self._stale_will_do = False  # a copy is loaded and no change since: while one request reloads, use it
        self._lock = asyncio.Lock()
        self._by_release: dict[int, Schedule] = {}

    def invalidate(self) -> None:
        self._checked = -1e9
        self._stale_will_do = False

    async def current(self) -> Programme | None:
        if time.monotonic() - self._checked < self.ttl:
            return self._programme
        if self._lock.locked() and self._stale_will_do:
            # Another request is reloading: the copy of a moment ago will do. Waiting for it here could hold a
            # connection the reload needs: with every pooled connection held by a signed-in request waiting
            # on this lock, the worker stalled until the pool's 30 s timeout, again and again (bench/load).
            return self._programme
        async with self._lock:  # one reload at a time; the others wait for it instead of repeating it
            if time.monotonic() - self._checked >= self.ttl:
                async with self.session_maker() as session:
                    self._programme = await self._load(session)
                self._checked = time.monotonic()
                self._stale_will_do = True
        return self._programme

    async def _load(self, session: AsyncSession) -> Programme | None:
        edition = await editions.current(session)
        if edition is None:
            return None
        release_id = await session.scalar(
            select(Release.id)
            .where(Release.edition_id == edition.id)
            .order_by(Release.version.desc())
            .limit(1)
        )
        if release_id is None:
            return Programme(edition, None, None)
        schedule = self._by_release.get(release_id)
        if schedule is None:
            snapshot = (
                await session.execute(select(Release.snapshot).where(Release.id == release_id))
            ).scalar_one()
            schedule = Schedule.from_snapshot(snapshot)
            self._by_release = {release_id: schedule}  # older releases are not needed any more
        return Programme(edition, schedule, release_id)


class ShortLived:
    """Values rebuilt at most every `ttl` seconds per key, per worker (the session pages visitors see: their
    seats, materials and streams are live data). While one request rebuilds an entry, the others answer with
    the copy of a moment ago; the least recently used entries go first."""

    def __init__(self, ttl: float = 2.0, size: int = 2048) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[tuple, tuple[Any, float]] = OrderedDict()
        self._building: set[tuple] = set()

    async def get(self, key: tuple, build: Callable[[], Awaitable[Any]]) -> Any:
        cached = self._items.get(key)
        if cached is not None:
            self._items.move_to_end(key)
            if time.monotonic() - cached[1] < self.ttl or key in self._building:
                return cached[0]
        self._building.add(key)
        try:
            value = await build()
        finally:
            self._building.discard(key)
        self._items[key] = (value, time.monotonic())
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def still(self, key: tuple) -> Callable[[], bool]:
        """Whether the value now kept under `key` is, later, still the one to show (not rebuilt, not due)."""
        cached = self._items.get(key)
        built = cached[1] if cached is not None else None

        def check() -> bool:
            now = self._items.get(key)
            return (
                built is not None
                and now is not None
                and now[1] == built
                and time.monotonic() - built < self.ttl
            )

        return check


async def published(session: AsyncSession, edition: editions.Edition) -> Programme:
    """An edition's latest release read straight from the database (the seed and tests; pages use the cache)."""
    release = await session.scalar(
        select(Release).where(Release.edition_id == edition.id).order_by(Release.version.desc()).limit(1)
    )
    if release is None:
        return Programme(edition, None, None)
    snapshot = (await session.execute(select(Release.snapshot).where(Release.id == release.id))).scalar_one()
    return Programme(edition, Schedule.from_snapshot(snapshot), release.id)


async def current_programme(cache: ScheduleCache) -> Programme:
    programme = await cache.current()
    if programme is None:
        raise NotFound("edition")
    return programme


def published_item(programme: Programme, session_id: int) -> Item:
    item = programme.schedule.by_id.get(session_id) if programme.schedule else None
    if item is None:
        raise NotFound("session")
    return item


# --- Personal agenda ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaLine:
    item: Item
    seat: str | None  # confirmed | waiting | None (saved without a seat)
    clash: bool


async def signed_up_ids(session: AsyncSession, user_id: int, edition_id: int) -> set[int]:
    rows = await session.scalars(
        select(AgendaEntry.session_id).where(
            AgendaEntry.user_id == user_id,
            AgendaEntry.edition_id == edition_id,
            AgendaEntry.signed_up.is_(True),
        )
    )
    return set(rows.all())


async def saved_ids(session: AsyncSession, user_id: int, edition_id: int) -> set[int]:
    rows = await session.scalars(
        select(AgendaEntry.session_id).where(
            AgendaEntry.user_id == user_id, AgendaEntry.edition_id == edition_id
        )
    )
    return set(rows.all())


async def saved_and_signed_up(
    session: AsyncSession, user_id: int, edition_id: int
) -> tuple[set[int], set[int]]:
    """The sessions a person saved, and those of them they signed up for: one query (the agenda's marks)."""
    return await personal.saved_and_signed_up(session, user_id, edition_id)


async def save(session: AsyncSession, user_id: int, programme: Programme, session_id: int) -> bool:
    """Add a published session to the agenda; False when it was there already."""
    item = published_item(programme, session_id)
    if item.status == "cancelled":
        raise DomainError("error.session_cancelled", "cancelled", status=409)
    if session_id in await saved_ids(session, user_id, programme.edition.id):
        return False
    try:
        async with session.begin_nested():
            session.add(AgendaEntry(user_id=user_id, session_id=session_id, edition_id=programme.edition.id))
    except IntegrityError:  # the same person saved it twice at once
        return False
    return True


async def _entry(session: AsyncSession, user_id: int, session_id: int) -> AgendaEntry | None:
    return await session.scalar(
        select(AgendaEntry).where(AgendaEntry.user_id == user_id, AgendaEntry.session_id == session_id)
    )


async def remove(session: AsyncSession, user_id: int, session_id: int, base_url: str) -> None:
    """Take a session off the agenda; a seat held in it is given up (and passed to the next in line)."""
    await locks.lock_people(session, user_id)  # a sign-up of theirs under way finishes first: no ghost seat
    entry = await _entry(session, user_id, session_id)
    if entry is None:
        return
    if entry.signed_up:
        await cancel_signup(session, user_id, session_id, base_url)
    # By id, not through the session: of two removals at once the second deletes nothing, quietly.
    await session.execute(delete(AgendaEntry).where(AgendaEntry.id == entry.id))
    session.expunge(entry)


async def signup_refusal(
    session: AsyncSession, user_id: int, programme: Programme, item: Item
) -> DomainError | None:
    """Why this person may not take a seat in this session, or None when they may."""
    mine = await registration.my_registration(session, programme.edition.id, user_id)
    return refusal_for(item, (mine.status, mine.mode) if mine is not None else None)


def refusal_for(item: Item, mine: tuple[str, str] | None) -> DomainError | None:
    """signup_refusal's rules, given the person's registration as (status, mode) or None."""
    if not item.signup:
        return DomainError("error.signup_not_needed", "no_signup", status=409)
    if item.status == "cancelled":
        return DomainError("error.session_cancelled", "cancelled", status=409)
    if item.ends_at <= clock.now():
        return DomainError("error.session_over", "over", status=409)
    if mine is None or mine[0] != "confirmed":
        return DomainError("error.signup_needs_registration", "not_registered", status=403)
    if item.format != "online" and mine[1] != "in_person":
        # Places limit the room; people registered to attend online follow it without one.
        return DomainError("error.signup_in_person_only", "online_registration", status=409)
    return None


async def sign_up(
    session: AsyncSession, user_id: int, programme: Programme, session_id: int
) -> capacity.Claim:
    """A seat in a session with limited places, or a place on its waiting list."""
    await locks.lock_people(session, user_id)  # the same person removing it from their agenda waits
    item = published_item(programme, session_id)
    refusal = await signup_refusal(session, user_id, programme, item)
    if refusal is not None:
        raise refusal
    return await take_seat(session, user_id, programme, session_id)


async def take_seat(
    session: AsyncSession, user_id: int, programme: Programme, session_id: int
) -> capacity.Claim:
    """Claim a seat (or a place in the queue) and keep the session in the agenda; sign_up checks the rules."""
    claim = await capacity.claim(session, pool_key(session_id), capacity.person(user_id))
    entry = await _entry(session, user_id, session_id)
    if entry is None:
        try:
            async with session.begin_nested():  # the same person saving it to their agenda at this moment
                entry = AgendaEntry(user_id=user_id, session_id=session_id, edition_id=programme.edition.id)
                session.add(entry)
        except IntegrityError:
            entry = await _entry(session, user_id, session_id)
            assert entry is not None
    entry.signed_up = True
    await session.flush()
    return claim


async def cancel_signup(session: AsyncSession, user_id: int, session_id: int, base_url: str) -> None:
    promoted = await capacity.release(session, pool_key(session_id), capacity.person(user_id))
    entry = await _entry(session, user_id, session_id)
    if entry is not None:
        entry.signed_up = False
    await session.flush()
    await tell_promoted(session, session_id, promoted, base_url)


async def tell_promoted(session: AsyncSession, session_id: int, promoted: list[str], base_url: str) -> None:
    """Mail and notify people who moved from the waiting list into a seat."""
    if not promoted:
        return
    titles = await _titles(session, session_id)
    link = f"/sessions/{session_id}"
    people = await accounts.get_users(session, [capacity.person_of(h) for h in promoted])
    await notifications.notify_many(session, [p.id for p in people], "session_promoted", link, titles)
    details = await _when_where(session, session_id, base_url)
    for person in people:
        await mail.queue_mail(
            session,
            to=person.email,
            name=person.name_latin,
            lang=person.preferred_lang,
            kind="session_promoted",
            context={"name": person.name_latin, **titles, **details, "link": base_url + link},
        )


async def _when_where(session: AsyncSession, session_id: int, base_url: str) -> dict[str, Any]:
    """When a session is (in the edition's zone), its room, and where to watch it when it is streamed."""
    row = await session.get_one(ProgrammeSession, session_id)
    edition = await editions.get_by_id(session, row.edition_id)
    room = await editions.get_room(session, edition.id, row.room_id) if row.room_id else None
    if room is None or row.format == "online":
        places = ("", "")
    else:
        places = (f"{room.name_en}, {edition.venue_name_en}", f"{room.name_ja}、{edition.venue_name_ja}")
    return {
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "tz": edition.timezone,
        "place_en": places[0].strip(", "),
        "place_ja": places[1].strip("、"),
        "online": f"{base_url}/sessions/{session_id}/watch" if row.format in ("online", "hybrid") else "",
    }


async def _titles(session: AsyncSession, session_id: int) -> dict[str, str]:
    row = await session.get(ProgrammeSession, session_id)
    return {"title_en": row.title_en, "title_ja": row.title_ja} if row else {"title_en": "", "title_ja": ""}


async def seat_of(session: AsyncSession, user_id: int, session_id: int) -> capacity.Claim | None:
    """The person's seat (or place on the waiting list) in a session: one query unless they are waiting."""
    key, holder = pool_key(session_id), capacity.person(user_id)
    status = (await capacity.statuses_of(session, [key], holder)).get(key)
    if status is None:
        return None
    if status == "confirmed":
        return capacity.Claim("confirmed", None)
    return await capacity.holder_status(session, key, holder)  # the place on the waiting list


async def seats_left(session: AsyncSession, session_id: int) -> capacity.PoolCounts:
    return await capacity.counts(session, pool_key(session_id))


async def my_agenda(
    session: AsyncSession, user_id: int, programme: Programme
) -> tuple[list[AgendaLine], list[ProgrammeSession]]:
    """The agenda in time order with clashes marked, and the saved sessions that are no longer published."""
    seats = await personal.saved_with_seats(session, user_id, programme.edition.id)
    ids = set(seats)
    schedule = programme.schedule
    items = [schedule.by_id[i] for i in ids if schedule and i in schedule.by_id]
    clashing = clashes(items)
    items.sort(key=lambda i: (i.starts_at, i.id))
    # A seat counts where the session has places (as before: a pool left from earlier settings does not).
    lines = [AgendaLine(i, seats[i.id] if i.signup else None, i.id in clashing) for i in items]
    gone_ids = sorted(i for i in ids if not schedule or i not in schedule.by_id)
    gone = (
        list((await session.scalars(select(ProgrammeSession).where(ProgrammeSession.id.in_(gone_ids)))).all())
        if gone_ids
        else []
    )
    return lines, gone


@dataclass(frozen=True)
class Busy:
    """A time a person is taken by the programme: a session they signed up for, or speak in."""

    starts_at: datetime
    ends_at: datetime
    title_en: str
    title_ja: str
    why: str  # "signed_up" | "speaking"


async def busy_times(
    session: AsyncSession, edition_id: int, user_ids: list[int] | None = None
) -> dict[int, list[Busy]]:
    """Sign-ups and speaking roles in published sessions, per person (everyone when `user_ids` is None)."""
    signed_up = (
        select(AgendaEntry.user_id, ProgrammeSession, literal("signed_up"))
        .join(ProgrammeSession, ProgrammeSession.id == AgendaEntry.session_id)
        .where(AgendaEntry.edition_id == edition_id, AgendaEntry.signed_up.is_(True))
    )
    speaking = (
        select(Speaker.user_id, ProgrammeSession, literal("speaking"))
        .join(SessionPerson, SessionPerson.speaker_id == Speaker.id)
        .join(ProgrammeSession, ProgrammeSession.id == SessionPerson.session_id)
        .where(Speaker.edition_id == edition_id, Speaker.user_id.is_not(None))
    )
    result: dict[int, list[Busy]] = {}
    for query, who in ((signed_up, AgendaEntry.user_id), (speaking, Speaker.user_id)):
        query = query.where(ProgrammeSession.status == "published")
        if user_ids is not None:
            query = query.where(who.in_(user_ids))
        for user_id, item, why in (await session.execute(query)).tuples():
            result.setdefault(user_id, []).append(
                Busy(item.starts_at, item.ends_at, item.title_en, item.title_ja, why)
            )
    return result


async def speaker_user_ids(session: AsyncSession, edition_id: int) -> set[int]:
    """Accounts that speak in a published session of the edition (their badges carry the speaker mark)."""
    rows = await session.scalars(
        select(Speaker.user_id)
        .join(SessionPerson, SessionPerson.speaker_id == Speaker.id)
        .join(ProgrammeSession, ProgrammeSession.id == SessionPerson.session_id)
        .where(
            Speaker.edition_id == edition_id,
            Speaker.user_id.is_not(None),
            ProgrammeSession.status == "published",
        )
    )
    return {user_id for user_id in rows.all() if user_id is not None}


async def speaking_ids(session: AsyncSession, user_id: int, edition_id: int) -> set[int]:
    """The sessions of the edition in which this account speaks, moderates or sits on the panel."""
    rows = await session.scalars(
        select(SessionPerson.session_id)
        .join(Speaker, Speaker.id == SessionPerson.speaker_id)
        .where(Speaker.edition_id == edition_id, Speaker.user_id == user_id)
    )
    return set(rows.all())


async def roles_in(session: AsyncSession, user_id: int, session_id: int) -> set[str]:
    """How this account takes part in one session: speaker, moderator, panelist (empty: not on stage)."""
    rows = await session.scalars(
        select(SessionPerson.role)
        .join(Speaker, Speaker.id == SessionPerson.speaker_id)
        .where(SessionPerson.session_id == session_id, Speaker.user_id == user_id)
    )
    return set(rows.all())


async def available_materials(session: AsyncSession, edition: editions.Edition, session_id: int) -> list[Any]:
    """A session's slides and recordings that are public today (window and consent): one query."""
    rows = await personal.session_materials(session, edition.id, session_id)
    today = clock.now().astimezone(ZoneInfo(edition.timezone)).date()
    return [m for m in rows if materials.is_available(m, today)]


async def sessions_of(session: AsyncSession, edition_id: int) -> list[Any]:
    """Every session row of the edition (drafts too), by start time: for loaders, not for pages."""
    return await session_editing.list_sessions(session, edition_id)


RECORDING_CONSENT = ("allowed", "do_not_record")


async def assets_of(session: AsyncSession, edition_id: int, session_id: int) -> tuple[str, list[Any]]:
    """A session's recording wish and all its materials, published or not (for the speakers' consent)."""
    row = await session_editing.get_session(session, edition_id, session_id)
    return row.recording, list(row.materials)


async def set_speakers_consent(
    session: AsyncSession, edition_id: int, session_id: int, recording: str, published: set[int]
) -> None:
    """The speakers' whole word at once: the recording wish, and which materials may be public."""
    await set_recording_consent(session, edition_id, session_id, recording)
    for material in (await session_editing.get_session(session, edition_id, session_id)).materials:
        # "Do not record" keeps recordings unpublished whatever was ticked.
        material.publish_consent = material.id in published and not (
            material.kind == "recording" and recording == "do_not_record"
        )
    await session.flush()


async def set_recording_consent(session: AsyncSession, edition_id: int, session_id: int, value: str) -> None:
    if value not in RECORDING_CONSENT:
        raise ValidationFailed({"recording": ("error.choice_invalid", {})})
    row = await session_editing.get_session(session, edition_id, session_id)
    row.recording = value
    if value == "do_not_record":  # a recording already attached stops being public
        for material in row.materials:
            if material.kind == "recording":
                material.publish_consent = False
    await session.flush()


# The check-in page's sessions, built once (Core columns, bound parameters): only the columns a place shows, as
# hundreds of full session rows cost more to load than the page to send; read on every request, so a session
# added or cancelled shows at once.
_place_session, _place_room = ProgrammeSession.__table__, editions.Room.__table__
_CHECK_IN_PLACES = (
    select(
        _place_session.c.id,
        _place_session.c.title_en,
        _place_session.c.title_ja,
        _place_session.c.starts_at,
        _place_session.c.ends_at,
        _place_room.c.name_en,
        _place_room.c.name_ja,
    )
    .select_from(_place_session.outerjoin(_place_room, _place_room.c.id == _place_session.c.room_id))
    .where(
        _place_session.c.edition_id == bindparam("edition_id"),
        _place_session.c.status == "published",
        _place_session.c.format != "online",
    )
    .order_by(_place_session.c.starts_at, _place_session.c.id)
)
_CHECK_IN_PLACE = _CHECK_IN_PLACES.where(_place_session.c.id == bindparam("only"))


async def check_in_places(session: AsyncSession, edition_id: int, only: int | None = None) -> list[Place]:
    """Published sessions people attend in a room, in time order, with their room (`only`: that one)."""
    if only is None:
        rows = await session.execute(_CHECK_IN_PLACES, {"edition_id": edition_id})
    else:
        rows = await session.execute(_CHECK_IN_PLACE, {"edition_id": edition_id, "only": only})
    return [
        Place(id_, title_en, title_ja, starts_at, ends_at, room_en or "", room_ja or "")
        for id_, title_en, title_ja, starts_at, ends_at, room_en, room_ja in rows.tuples().all()
    ]


async def admits(session: AsyncSession, edition_id: int, session_id: int, user_id: int) -> bool | None:
    """May this person be in the room? None: no such published session. Sign-up sessions need a seat."""
    item = await session.get(ProgrammeSession, session_id)
    if item is None or item.edition_id != edition_id or item.status != "published":
        return None
    if item.capacity is None:
        return True
    seat = await seat_of(session, user_id, session_id)
    return seat is not None and seat.status == "confirmed"


async def room_capacities(session: AsyncSession, edition_id: int) -> dict[int, int]:
    """How many people a session expects: its sign-up limit, else its room's capacity (when known)."""
    rows = await session.execute(
        select(ProgrammeSession.id, ProgrammeSession.capacity, editions.Room.capacity)
        .outerjoin(editions.Room, editions.Room.id == ProgrammeSession.room_id)
        .where(ProgrammeSession.edition_id == edition_id, ProgrammeSession.status == "published")
    )
    return {sid: expected for sid, own, room in rows.tuples().all() if (expected := own or room)}


# --- Audiences (campaigns and reminders) ------------------------------------------------------------


async def audiences(session: AsyncSession, session_ids: list[int]) -> dict[int, list[int]]:
    """Per session, the people who saved it or signed up for it (a waiting-list sign-up included)."""
    if not session_ids:
        return {}
    rows = await session.execute(
        select(AgendaEntry.session_id, AgendaEntry.user_id)
        .where(AgendaEntry.session_id.in_(session_ids))
        .order_by(AgendaEntry.id)
    )
    result: dict[int, list[int]] = {i: [] for i in session_ids}
    for session_id, user_id in rows.tuples():
        result[session_id].append(user_id)
    return result
