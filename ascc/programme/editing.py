"""What organizers edit besides sessions: tracks and speakers (audited), and the next edition's tracks copied
from these. Sessions are ascc.programme.session_editing, their materials ascc.programme.materials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import services as audit
from ascc.errors import NotFound, ValidationFailed
from ascc.files import services as files
from ascc.programme.models import Speaker, Track
from ascc.text import clean_block, clean_line, collect, latin_name, optional_line, required_line

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
BIO_MAX = 5_000
PHOTO_MAX_BYTES = 2 * 1024 * 1024


# --- Tracks -------------------------------------------------------------------------------------


async def list_tracks(session: AsyncSession, edition_id: int) -> list[Track]:
    rows = await session.scalars(
        select(Track).where(Track.edition_id == edition_id).order_by(Track.sort_order, Track.id)
    )
    return list(rows.all())


TRACK_FIELDS = ("name_en", "name_ja", "colour")


async def save_track(
    session: AsyncSession,
    edition_id: int,
    track_id: int | None,
    values: dict[str, str],
    actor: audit.Actor | None = None,
) -> Track:
    errors: dict = {}
    name_en = collect(errors, required_line, "name_en", values.get("name_en"), 120)
    name_ja = collect(errors, required_line, "name_ja", values.get("name_ja"), 120)
    colour = clean_line(values.get("colour")) or "#1f6f8b"
    if not _COLOUR.match(colour):
        errors["colour"] = ("error.colour_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    before = None
    if track_id is None:
        track = Track(edition_id=edition_id, sort_order=len(await list_tracks(session, edition_id)))
        session.add(track)
    else:
        track = await _get(session, Track, edition_id, track_id, "track")
        before = audit.snapshot(track, TRACK_FIELDS)
    track.name_en, track.name_ja, track.colour = name_en, name_ja, colour.lower()
    await session.flush()
    await audit.record(
        session,
        actor,
        "programme.track_save",
        "track",
        track.id,
        track.name_en,
        before=before,
        after=audit.snapshot(track, TRACK_FIELDS),
        edition_id=edition_id,
    )
    return track


async def delete_track(
    session: AsyncSession, edition_id: int, track_id: int, actor: audit.Actor | None = None
) -> None:
    track = await _get(session, Track, edition_id, track_id, "track")
    await audit.record(
        session,
        actor,
        "programme.track_delete",
        "track",
        track.id,
        track.name_en,
        before=audit.snapshot(track, TRACK_FIELDS),
        edition_id=edition_id,
    )
    await session.delete(track)
    await session.flush()


async def _get(session: AsyncSession, model: Any, edition_id: int, row_id: int, what: str) -> Any:
    row = await session.get(model, row_id)
    if row is None or row.edition_id != edition_id:
        raise NotFound(what)
    return row


# --- Speakers -------------------------------------------------------------------------------------


@dataclass
class SpeakerInput:
    name: str
    name_local: str | None = None
    affiliation_en: str = ""
    affiliation_ja: str = ""
    position_en: str = ""
    position_ja: str = ""
    bio_en: str = ""
    bio_ja: str = ""


def validate_speaker(values: dict[str, str]) -> SpeakerInput:
    errors: dict = {}
    name = collect(errors, latin_name, "name", values.get("name"))
    name_local = collect(errors, optional_line, "name_local", values.get("name_local"))
    lines = {
        key: collect(errors, optional_line, key, values.get(key), 300) or ""
        for key in ("affiliation_en", "affiliation_ja", "position_en", "position_ja")
    }
    bios = {}
    for key in ("bio_en", "bio_ja"):
        bios[key] = clean_block(values.get(key))
        if len(bios[key]) > BIO_MAX:
            errors[key] = ("error.too_long", {"max": BIO_MAX})
    if errors:
        raise ValidationFailed(errors)
    return SpeakerInput(name=name, name_local=name_local, **lines, **bios)


def _slug(name: str) -> str:
    ascii_name = re.sub(r"[^a-z0-9]+", "-", name.lower().encode("ascii", "ignore").decode()).strip("-")
    return ascii_name[:60] or "speaker"


async def list_speakers(session: AsyncSession, edition_id: int) -> list[Speaker]:
    rows = await session.scalars(
        select(Speaker).where(Speaker.edition_id == edition_id).order_by(Speaker.name)
    )
    return list(rows.all())


async def get_speaker(session: AsyncSession, edition_id: int, speaker_id: int) -> Speaker:
    return await _get(session, Speaker, edition_id, speaker_id, "speaker")


async def speaker_by_slug(session: AsyncSession, edition_id: int, slug: str) -> Speaker | None:
    return await session.scalar(
        select(Speaker).where(Speaker.edition_id == edition_id, Speaker.slug == slug[:80])
    )


SPEAKER_FIELDS = tuple(SpeakerInput.__dataclass_fields__)


async def save_speaker(
    session: AsyncSession,
    edition_id: int,
    speaker_id: int | None,
    data: SpeakerInput,
    actor: audit.Actor | None = None,
) -> Speaker:
    if speaker_id is None:
        base = _slug(data.name)
        slug, n = base, 1
        while await speaker_by_slug(session, edition_id, slug) is not None:
            n += 1
            slug = f"{base}-{n}"
        speaker = Speaker(edition_id=edition_id, slug=slug)
        session.add(speaker)
        before = None
    else:
        speaker = await get_speaker(session, edition_id, speaker_id)
        before = audit.snapshot(speaker, SPEAKER_FIELDS)
    for key, value in vars(data).items():
        setattr(speaker, key, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "programme.speaker_save",
        "speaker",
        speaker.id,
        speaker.name,
        before=before,
        after=audit.snapshot(speaker, SPEAKER_FIELDS),
        edition_id=edition_id,
    )
    return speaker


async def set_speaker_photo(
    session: AsyncSession,
    edition_id: int,
    speaker_id: int,
    filename: str,
    data: bytes,
    actor: audit.Actor | None = None,
) -> None:
    speaker = await get_speaker(session, edition_id, speaker_id)
    photo = files.checked_image("photo", filename, data, PHOTO_MAX_BYTES)
    session.add(photo)
    await session.flush()
    before = audit.snapshot(speaker, ("photo_id",))
    speaker.photo_id = photo.id
    await session.flush()
    await audit.record(
        session,
        actor,
        "programme.speaker_photo",
        "speaker",
        speaker.id,
        speaker.name,
        before=before,
        after={"photo_id": photo.id, "photo": filename},
        edition_id=edition_id,
    )


async def delete_speaker(
    session: AsyncSession, edition_id: int, speaker_id: int, actor: audit.Actor | None = None
) -> None:
    speaker = await get_speaker(session, edition_id, speaker_id)
    await audit.record(
        session,
        actor,
        "programme.speaker_delete",
        "speaker",
        speaker.id,
        speaker.name,
        before=audit.snapshot(speaker, SPEAKER_FIELDS),
        edition_id=edition_id,
    )
    await session.delete(speaker)
    await session.flush()


async def copy_tracks(session: AsyncSession, source_edition_id: int, target_edition_id: int) -> int:
    """The next edition starts with this one's tracks (names in both languages, colours, order)."""
    tracks = await list_tracks(session, source_edition_id)
    session.add_all(
        Track(
            edition_id=target_edition_id,
            name_en=t.name_en,
            name_ja=t.name_ja,
            colour=t.colour,
            sort_order=t.sort_order,
        )
        for t in tracks
    )
    await session.flush()
    return len(tracks)
