"""Loading a programme from data (the demo seed, the 500-session benchmark edition). Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.programme import editing, materials, releases, session_editing
from ascc.programme.models import ROLES, SessionFeedback
from ascc.programme.session_editing import SessionInput


async def load_programme(
    session: AsyncSession, edition: editions.Edition, data: dict[str, Any], base_url: str
) -> int:
    """Tracks, speakers and sessions from `data`, then a release if anything differs from the public one.

    Rows are matched by name (tracks), slug (speakers) and English title (sessions), so running it
    twice adds nothing. Returns the number of sessions created.
    """
    tracks = {t.name_en: t for t in await editing.list_tracks(session, edition.id)}
    track_ids = {}
    for row in data.get("tracks", []):
        existing = tracks.get(row["name_en"])
        track = existing or await editing.save_track(session, edition.id, None, row)
        track_ids[row["key"]] = track.id
    speaker_ids = {}
    for row in data.get("speakers", []):
        speaker = await editing.speaker_by_slug(session, edition.id, row["slug"])
        if speaker is None:
            values = {k: v for k, v in row.items() if k != "slug"}
            speaker = await editing.save_speaker(session, edition.id, None, editing.validate_speaker(values))
            speaker.slug = row["slug"]
        speaker_ids[row["slug"]] = speaker.id
    rooms = {r.name_en: r.id for r in await editions.list_rooms(session, edition.id)}
    titles = {s.title_en for s in await session_editing.list_sessions(session, edition.id)}
    created = 0
    for row in data.get("sessions", []):
        if row["title_en"] in titles:
            continue
        people = {
            role: [str(speaker_ids[slug]) for slug, r in row.get("people", []) if r == role] for role in ROLES
        }
        form = SessionInput(
            title_en=row["title_en"],
            title_ja=row["title_ja"],
            abstract_en=row.get("abstract_en", ""),
            abstract_ja=row.get("abstract_ja", ""),
            kind=row["kind"],
            day=row["day"],
            start=row["start"],
            end=row["end"],
            room_id=str(rooms[row["room"]]) if row.get("room") else "",
            track_id=str(track_ids[row["track"]]) if row.get("track") else "",
            sdgs=", ".join(row.get("sdgs", [])),
            sectors=row.get("sectors", []),
            floor_language=row.get("floor_language", "en"),
            interpretation=row.get("interpretation", []),
            format=row.get("format", "in_person"),
            capacity=str(row.get("capacity") or ""),
            status=row.get("status", "published"),
            speakers=people["speaker"],
            moderators=people["moderator"],
            panelists=people["panelist"],
        )
        created_row, _ = await session_editing.save_session(session, edition, None, form, confirmed=True)
        for material in row.get("materials", []):
            await materials.add_material(session, edition.id, created_row.id, material, None)
        created += 1
    if await releases.unpublished_count(session, edition):
        # The demo's programme was published before the conference, whenever the demo is loaded: dated by the
        # data, never after the clock (a demo seeded today and served at ASCC_NOW=2023-11-14 showed version 1
        # published in the future). Without a date in the data: now, by the platform's clock.
        at = clock.now()
        if data.get("published_at"):
            at = min(at, datetime.fromisoformat(data["published_at"]).astimezone(UTC))
        await releases.publish(session, edition, None, data.get("release_note", ""), base_url, at)
    return created


async def load_feedback(session: AsyncSession, edition: editions.Edition, rows: list[dict[str, Any]]) -> int:
    """A few ratings and comments (some awaiting review), so that the organizers' results and the moderation
    queue show something in the demo. Written as rows: the demo is seeded before the sessions end. Skipped
    when the edition already has feedback; people without an account are left out."""
    if await session.scalar(select(SessionFeedback.id).where(SessionFeedback.edition_id == edition.id)):
        return 0
    by_title = {s.title_en: s.id for s in await session_editing.list_sessions(session, edition.id)}
    added = 0
    for row in rows:
        user = await accounts.find_by_email(session, row["email"])
        if user is None:
            continue
        session.add(
            SessionFeedback(
                session_id=by_title[row["session"]],
                edition_id=edition.id,
                user_id=user.id,
                rating=row["rating"],
                comment=row["comment"],
                comment_status=row["status"],
            )
        )
        added += 1
    await session.flush()
    return added
