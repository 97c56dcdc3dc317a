"""Publishing a version of the schedule: snapshot, "what changed", and telling the people concerned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.mail import services as mail
from ascc.notifications import services as notifications
from ascc.programme.change_details import describe, details_of
from ascc.programme.editing import list_tracks
from ascc.programme.models import AgendaEntry, Release, ReleaseChange, Speaker
from ascc.programme.schedule import diff
from ascc.programme.session_editing import list_sessions
from ascc.text import clean_block

# What people who saved a session are told about: not a new sentence in its description.
NOTIFIED_FIELDS = {"time", "room", "title", "speakers", "format", "language"}


def _worth_telling(change: Any) -> bool:
    return change.change in ("cancelled", "removed") or (
        change.change == "changed" and bool(NOTIFIED_FIELDS.intersection(change.fields))
    )


async def snapshot_of(
    session: AsyncSession, edition: editions.Edition, version: int, at: datetime | None = None
) -> dict[str, Any]:
    """Everything the public pages show of the programme, as JSON: published and cancelled sessions."""
    rows = [
        row for row in await list_sessions(session, edition.id) if row.status in ("published", "cancelled")
    ]
    speaker_ids = {p.speaker_id for row in rows for p in row.people}
    speakers: Iterable[Speaker] = (
        await session.scalars(select(Speaker).where(Speaker.id.in_(speaker_ids))) if speaker_ids else []
    )
    return {
        "version": version,
        "published_at": (at or clock.now()).isoformat(),
        "timezone": edition.timezone,
        "first_day": edition.starts_on.isoformat(),
        "last_day": edition.ends_on.isoformat(),
        "tracks": [
            {"id": t.id, "name_en": t.name_en, "name_ja": t.name_ja, "colour": t.colour}
            for t in await list_tracks(session, edition.id)
        ],
        "rooms": [
            {
                "id": r.id,
                "name_en": r.name_en,
                "name_ja": r.name_ja,
                "floor": r.floor,
                "capacity": r.capacity,
                "hybrid": r.hybrid,
            }
            for r in await editions.list_rooms(session, edition.id)
        ],
        "people": [
            {
                "id": s.id,
                "slug": s.slug,
                "name": s.name,
                "name_local": s.name_local,
                "affiliation_en": s.affiliation_en,
                "affiliation_ja": s.affiliation_ja,
                "position_en": s.position_en,
                "position_ja": s.position_ja,
            }
            for s in speakers
        ],
        "sessions": [
            {
                "id": row.id,
                "status": row.status,
                "kind": row.kind,
                "title_en": row.title_en,
                "title_ja": row.title_ja,
                "abstract_en": row.abstract_en,
                "abstract_ja": row.abstract_ja,
                "starts_at": row.starts_at.astimezone(UTC).isoformat(),
                "ends_at": row.ends_at.astimezone(UTC).isoformat(),
                "room_id": row.room_id,
                "track_id": row.track_id,
                "sdgs": list(row.sdgs),
                "sectors": list(row.sectors),
                "floor_language": row.floor_language,
                "interpretation": list(row.interpretation),
                "format": row.format,
                "capacity": row.capacity,
                "people": [[p.speaker_id, p.role] for p in row.people],
                "recording": row.recording,  # the speakers' word: exports tell video teams not to record
            }
            for row in rows
        ],
    }


@dataclass(frozen=True)
class Published:
    release: Release
    changes: int
    notified: int


async def latest_release(session: AsyncSession, edition_id: int) -> Release | None:
    return await session.scalar(
        select(Release).where(Release.edition_id == edition_id).order_by(Release.version.desc()).limit(1)
    )


async def publish(
    session: AsyncSession,
    edition: editions.Edition,
    user_id: int | None,
    note: str,
    base_url: str,
    at: datetime | None = None,
) -> Published:
    """Freeze the programme as the next version, list what changed, and tell who saved a changed session.

    `at`: when it was published, if not now (the demo's first release, dated as the demo data says)."""
    at = at or clock.now()
    previous = await latest_release(session, edition.id)
    old_snapshot = (
        await session.scalar(select(Release.snapshot).where(Release.id == previous.id)) if previous else None
    )
    version = (previous.version if previous else 0) + 1
    snapshot = await snapshot_of(session, edition, version, at)
    release = Release(
        published_at=at,
        edition_id=edition.id,
        version=version,
        note=clean_block(note)[:2000],
        published_by=user_id,
        snapshot=snapshot,
    )
    session.add(release)
    await session.flush()
    changes = diff(old_snapshot, snapshot)
    rows = [
        ReleaseChange(
            release_id=release.id,
            session_id=c.session_id,
            change=c.change,
            fields=list(c.fields),
            title_en=c.title_en,
            title_ja=c.title_ja,
            details=details_of(c.change, c.fields, c.session_id, old_snapshot, snapshot),
        )
        for c in changes
    ]
    session.add_all(rows)
    await session.flush()
    told = [row for row in rows if _worth_telling(row)]
    notified = await _tell_people(session, told, release, ZoneInfo(edition.timezone), base_url)
    return Published(release, len(changes), notified)


async def _tell_people(
    session: AsyncSession, changes: list[ReleaseChange], release: Release, tz: ZoneInfo, base_url: str
) -> int:
    """A notice and a mail to each person who saved a changed session: old -> new, and the release's note."""
    if not changes:
        return 0
    version = release.version
    by_session = {c.session_id: c for c in changes}
    entries = await session.execute(
        select(AgendaEntry.user_id, AgendaEntry.session_id).where(AgendaEntry.session_id.in_(by_session))
    )
    per_person: dict[int, list[ReleaseChange]] = defaultdict(list)
    for user_id, session_id in entries.tuples():
        per_person[user_id].append(by_session[session_id])
    for person in await accounts.get_users(session, list(per_person)):
        mine = per_person[person.id]
        lines: list[dict[str, Any]] = [
            {
                "change": c.change,
                "fields": list(c.fields),
                "title_en": c.title_en,
                "title_ja": c.title_ja,
                "id": c.session_id,
                **{f"details_{lang}": describe(c.change, c.details, lang, tz) for lang in ("en", "ja")},
            }
            for c in mine
        ]
        titles = {
            f"titles_{lang}": "; ".join(c[f"title_{lang}"] for c in lines[:3])
            + ("; …" if len(lines) > 3 else "")
            for lang in ("en", "ja")
        }
        params = {"count": len(lines), "version": version, **titles}
        await notifications.notify(session, person.id, "programme_changed", "/programme/changes", params)
        await mail.queue_mail(
            session,
            to=person.email,
            name=person.name_latin,
            lang=person.preferred_lang,
            kind="programme_changed",
            context={
                "name": person.name_latin,
                "changes": lines,
                "link": f"{base_url}/my-agenda",
                "base_url": base_url,
                "note": release.note,
                "subject_params": {"version": version},
            },
        )
    return len(per_person)


async def list_releases(session: AsyncSession, edition_id: int) -> list[tuple[Release, list[ReleaseChange]]]:
    releases = list(
        (
            await session.scalars(
                select(Release).where(Release.edition_id == edition_id).order_by(Release.version.desc())
            )
        ).all()
    )
    changes: Iterable[ReleaseChange] = (
        await session.scalars(
            select(ReleaseChange)
            .where(ReleaseChange.release_id.in_([r.id for r in releases]))
            .order_by(ReleaseChange.id)
        )
        if releases
        else []
    )
    by_release: dict[int, list[ReleaseChange]] = defaultdict(list)
    for change in changes:
        by_release[change.release_id].append(change)
    return [(r, by_release[r.id]) for r in releases]


async def unpublished_count(session: AsyncSession, edition: editions.Edition) -> int:
    """How many sessions differ from the latest release (what "Publish" would change)."""
    previous = await latest_release(session, edition.id)
    old = (
        await session.scalar(select(Release.snapshot).where(Release.id == previous.id)) if previous else None
    )
    new = await snapshot_of(session, edition, 0)
    if old is None:
        return len(new["sessions"])
    return len(diff(old, new))
