"""A session's materials: slide links and uploaded files, each public within its window and only with the
speakers' consent (audited).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.audit import services as audit
from ascc.errors import NotFound, ValidationFailed
from ascc.files import services as files
from ascc.programme.models import Material
from ascc.programme.session_editing import get_session
from ascc.text import clean_line, collect, required_line

MATERIAL_MAX_BYTES = 50 * 1024 * 1024


MATERIAL_KINDS = ("slides", "recording", "document")


async def add_material(
    session: AsyncSession,
    edition_id: int,
    session_id: int,
    values: dict[str, str],
    upload: tuple[str, bytes] | None,
    actor: audit.Actor | None = None,
) -> Material:
    """A slide link (https://) or an uploaded PDF / Office file, optionally available until a date."""
    row = await get_session(session, edition_id, session_id)
    errors: dict = {}
    title = collect(errors, required_line, "title", values.get("title"), 200)
    url = clean_line(values.get("url")) or None
    if url and (not url.startswith("https://") or len(url) > 1000 or " " in url):
        errors["url"] = ("error.url_invalid", {})
    if not url and upload is None:
        errors["url"] = ("error.material_needs_link_or_file", {})
    window: dict[str, date | None] = {}
    for name in ("available_from", "available_until"):
        window[name] = None
        if clean_line(values.get(name)):
            try:
                window[name] = date.fromisoformat(clean_line(values.get(name)))
            except ValueError:
                errors[name] = ("error.date_invalid", {})
    if (
        window["available_from"]
        and window["available_until"]
        and window["available_until"] < window["available_from"]
    ):
        errors["available_until"] = ("error.window_reversed", {})
    kind = values.get("kind") or "slides"
    if kind not in MATERIAL_KINDS:
        errors["kind"] = ("error.choice_invalid", {})
    elif kind == "recording" and row.recording == "do_not_record":
        errors["kind"] = ("error.recording_refused", {})
    if errors:
        raise ValidationFailed(errors)
    material = Material(
        session_id=row.id,
        title=title,
        url=url,
        kind=kind,
        available_from=window["available_from"],
        available_until=window["available_until"],
        publish_consent=not values.get("do_not_publish"),
    )
    if upload is not None and not url:
        filename, data = upload
        stored = files.checked_document("file", filename, data, MATERIAL_MAX_BYTES)
        session.add(stored)
        await session.flush()
        material.file_id = stored.id
    session.add(material)
    await session.flush()
    await audit.record(
        session,
        actor,
        "programme.material_add",
        "material",
        material.id,
        f"{material.title} · {row.title_en}",
        after={
            **audit.snapshot(material, MATERIAL_FIELDS),
            "file": upload[0] if upload is not None and not url else None,
        },
        edition_id=edition_id,
    )
    return material


MATERIAL_FIELDS = ("title", "url", "kind", "available_from", "available_until", "publish_consent")


async def set_publish_consent(
    session: AsyncSession,
    edition_id: int,
    session_id: int,
    material_id: int,
    consent: bool,
    actor: audit.Actor | None = None,
) -> None:
    row = await get_session(session, edition_id, session_id)
    material = next((m for m in row.materials if m.id == material_id), None)
    if material is None:
        raise NotFound("material")
    before = audit.snapshot(material, ("publish_consent",))
    material.publish_consent = consent
    await session.flush()
    await audit.record(
        session,
        actor,
        "programme.material_consent",
        "material",
        material.id,
        f"{material.title} · {row.title_en}",
        before=before,
        after=audit.snapshot(material, ("publish_consent",)),
        edition_id=edition_id,
    )


async def delete_material(
    session: AsyncSession,
    edition_id: int,
    session_id: int,
    material_id: int,
    actor: audit.Actor | None = None,
) -> None:
    row = await get_session(session, edition_id, session_id)
    material = next((m for m in row.materials if m.id == material_id), None)
    if material is None:
        raise NotFound("material")
    await audit.record(
        session,
        actor,
        "programme.material_delete",
        "material",
        material.id,
        f"{material.title} · {row.title_en}",
        before=audit.snapshot(material, MATERIAL_FIELDS),
        edition_id=edition_id,
    )
    row.materials.remove(material)
    await session.flush()


class Windowed(Protocol):
    """A material as far as its publication goes (a row, or the columns the public pages read)."""

    @property
    def publish_consent(self) -> bool: ...
    @property
    def available_from(self) -> date | None: ...
    @property
    def available_until(self) -> date | None: ...


def is_available(material: Windowed, today: date) -> bool:
    """Public within its window (dates in the edition's zone) and only with the speakers' consent: a
    material unpublishes itself the day after its deadline, without anyone doing anything."""
    return (
        material.publish_consent
        and (material.available_from is None or material.available_from <= today)
        and (material.available_until is None or today <= material.available_until)
    )
