"""The rules of online attendance: who may watch and take part, streams and each session's online
settings, the watch and room links, now and next. Questions are in questions.py, polls and announcements
in polls.py, heartbeats and the organizers' viewing figures in viewing.py; live delivery (server-sent
events) in live.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import services as audit
from ascc.errors import DomainError, ValidationFailed
from ascc.online import links, providers
from ascc.online.models import LiveSettings, Stream
from ascc.programme import services as programme
from ascc.registration import services as registration
from ascc.text import clean_line

STREAM_MARGIN = timedelta(minutes=15)  # the stream plays from this long before the start to after the end


# --- who may take part ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What one person may do in one session's online side."""

    user_id: int
    attendee: bool  # a confirmed participant of the edition (or an organizer or the session's speaker)
    moderator: bool  # organizers and the session's moderators
    on_stage: bool  # organizers and everyone speaking in the session (the speaker view)
    registration_mode: str | None
    interpretation: str | None  # the channel asked for at registration (ja | en)


async def viewer(session: AsyncSession, edition_id: int, user: Any, session_id: int) -> Viewer:
    reg = await registration.my_registration(session, edition_id, user.id)
    confirmed = reg is not None and reg.status == "confirmed"
    roles = await programme.roles_in(session, user.id, session_id)
    organizer = user.role == "organizer"
    return Viewer(
        user_id=user.id,
        attendee=organizer or confirmed or bool(roles),
        moderator=organizer or "moderator" in roles,
        on_stage=organizer or bool(roles),
        registration_mode=reg.mode if confirmed and reg is not None else None,
        interpretation=reg.interpretation if reg is not None and reg.interpretation in ("ja", "en") else None,
    )


def require_attendee(who: Viewer) -> None:
    if not who.attendee:
        raise DomainError("error.online_needs_registration", "not_registered", status=403)


def require_moderator(who: Viewer) -> None:
    if not who.moderator:
        raise DomainError("error.online_moderators_only", "forbidden", status=403)


def require_on_stage(who: Viewer) -> None:
    if not who.on_stage:
        raise DomainError("error.online_speakers_only", "forbidden", status=403)


# --- streams and the session's online settings ----------------------------------------------------------


async def streams_of(session: AsyncSession, session_id: int) -> list[Stream]:
    rows = await session.scalars(select(Stream).where(Stream.session_id == session_id))
    return sorted(rows.all(), key=lambda s: providers.CHANNELS.index(s.channel))


# Built once: a signed-in session page asks on every request, and building the statement cost more than running it.
_CHANNELS = select(Stream.session_id, Stream.channel)
_CHANNELS_OF = _CHANNELS.where(Stream.session_id.in_(bindparam("ids", expanding=True)))


async def channels_by_session(
    session: AsyncSession, session_ids: list[int] | None = None
) -> dict[int, list[str]]:
    """Which language channels each session streams (what pages may say publicly: never the addresses)."""
    if session_ids is None:
        rows = await session.execute(_CHANNELS)
    else:
        rows = await session.execute(_CHANNELS_OF, {"ids": session_ids})
    found: dict[int, list[str]] = defaultdict(list)
    for session_id, channel in rows.all():
        found[session_id].append(channel)
    return {k: sorted(v, key=providers.CHANNELS.index) for k, v in found.items()}


async def save_streams(
    session: AsyncSession,
    session_id: int,
    urls: dict[str, str],
    actor: audit.Actor | None = None,
    edition_id: int | None = None,
    label: str = "",
) -> list[Stream]:
    """Set every channel's address at once; an empty address removes that channel. All or nothing.

    The audit log keeps which channels stream from which provider, never the addresses themselves."""
    errors: dict = {}
    wanted: dict[str, tuple[str, str]] = {}
    for channel in providers.CHANNELS:
        url = clean_line(urls.get(channel))
        if not url:
            continue
        try:
            wanted[channel] = (providers.classify(url), url)
        except providers.BadStreamUrl as exc:
            errors[f"stream_{channel}"] = (exc.reason, {})
    if errors:
        raise ValidationFailed(errors)
    existing = {s.channel: s for s in await streams_of(session, session_id)}
    before = {c: existing[c].provider if c in existing else None for c in providers.CHANNELS}
    old_urls = {channel: stream.url for channel, stream in existing.items()}
    for channel, stream in existing.items():
        if channel not in wanted:
            await session.delete(stream)
    for channel, (provider, url) in wanted.items():
        stream = existing.get(channel) or Stream(session_id=session_id, channel=channel)
        stream.provider, stream.url = provider, url
        session.add(stream)
    await session.flush()
    after: dict[str, str | None] = {c: None for c in providers.CHANNELS}
    for channel, (provider, url) in wanted.items():
        moved = channel in old_urls and old_urls[channel] != url
        after[channel] = f"{provider} (new address)" if moved else provider
    await audit.record(
        session, actor, "online.streams", "session", session_id, label, before, after, edition_id
    )
    return await streams_of(session, session_id)


async def settings_of(session: AsyncSession, session_id: int) -> LiveSettings:
    found = await session.scalar(select(LiveSettings).where(LiveSettings.session_id == session_id))
    return found or LiveSettings(session_id=session_id, qa_open=True, qa_moderated=True)


async def save_settings(
    session: AsyncSession,
    session_id: int,
    qa_open: bool,
    qa_moderated: bool,
    actor: audit.Actor | None = None,
    edition_id: int | None = None,
    label: str = "",
) -> LiveSettings:
    settings = await settings_of(session, session_id)
    before = audit.snapshot(settings, ("qa_open", "qa_moderated"))
    settings.qa_open, settings.qa_moderated = qa_open, qa_moderated
    session.add(settings)
    await session.flush()
    await audit.record(
        session,
        actor,
        "online.settings",
        "session",
        session_id,
        label,
        before=before,
        after=audit.snapshot(settings, ("qa_open", "qa_moderated")),
        edition_id=edition_id,
    )
    return settings


def choose_channel(available: list[str], wanted: str | None, lang: str, interpretation: str | None) -> str:
    """The channel to play: the viewer's last choice, else the interpretation they registered for, else
    their page language, else the floor."""
    for candidate in (wanted, interpretation, lang, "floor"):
        if candidate in available:
            return candidate
    return available[0]


def stream_open(item: Any, now: datetime) -> bool:
    return item.starts_at - STREAM_MARGIN <= now <= item.ends_at + STREAM_MARGIN


def stream_link(secret: str, stream: Stream, user_id: int, now: datetime) -> str:
    """The path of a signed link to a stream (relative: the player fetches it from the page's own origin)."""
    return f"/online/go/{links.sign(secret, 'stream', stream.id, user_id, now.timestamp())}"


def room_link(secret: str, meeting_id: int, user_id: int, now: datetime) -> str:
    return f"/online/go/{links.sign(secret, 'room', meeting_id, user_id, now.timestamp())}"


async def stream_by_id(session: AsyncSession, stream_id: int) -> Stream | None:
    return await session.get(Stream, stream_id)


# --- now and next ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NowAndNext:
    live: list[Any]
    next: list[Any]


def now_and_next(items: Any, now: datetime, limit: int = 6) -> NowAndNext:
    """Sessions on now, and the next ones to start (the soonest first)."""
    open_items = [i for i in items if i.status != "cancelled"]
    live = [i for i in open_items if i.starts_at <= now < i.ends_at]
    upcoming = sorted((i for i in open_items if i.starts_at > now), key=lambda i: (i.starts_at, i.id))
    return NowAndNext(live=live, next=upcoming[:limit])
