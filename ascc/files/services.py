"""Checking uploads by their content (never by their name alone) and storing them."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from ascc.errors import DomainError, NotFound
from ascc.files.models import StoredFile
from ascc.text import clean_line

_IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
_DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def image_type(data: bytes) -> str | None:
    """The type of a PNG, JPEG or WebP image judged by its content, not by its name."""
    for magic, content_type in _IMAGE_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def document_type(filename: str, data: bytes) -> str | None:
    """PDF, or an Office file (a ZIP container) whose name says which one."""
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    content_type = _DOCUMENT_TYPES.get(suffix)
    if content_type is None:
        return None
    if suffix == ".pdf":
        return content_type if data.startswith(b"%PDF-") else None
    return content_type if data.startswith(b"PK\x03\x04") else None


def _safe_filename(filename: str) -> str:
    name = clean_line(filename).replace("/", "_").replace("\\", "_").replace('"', "")
    return name[-150:] or "file"


def stored(filename: str, content_type: str, data: bytes) -> StoredFile:
    """A new file row (not yet added to a session)."""
    return StoredFile(
        token=secrets.token_urlsafe(32),
        filename=_safe_filename(filename),
        content_type=content_type,
        size=len(data),
        data=data,
    )


def checked_document(
    field: str, filename: str, data: bytes, max_bytes: int, pdf_only: bool = False
) -> StoredFile:
    """A PDF (or Office file unless pdf_only) upload, or a DomainError naming the field (413 or 415)."""
    if len(data) > max_bytes:
        raise DomainError(
            "error.file_too_large", "file_too_large", field=field, status=413, max_mb=max_bytes // 1_048_576
        )
    content_type = document_type(filename, data)
    if content_type is None or (pdf_only and content_type != "application/pdf"):
        raise DomainError(
            "error.pdf_type" if pdf_only else "error.document_type",
            "unsupported_type",
            field=field,
            status=415,
        )
    return stored(filename, content_type, data)


def checked_image(field: str, filename: str, data: bytes, max_bytes: int) -> StoredFile:
    """An image upload, or a DomainError naming the field: too large (413) or not PNG/JPEG/WebP (415)."""
    if len(data) > max_bytes:
        raise DomainError(
            "error.file_too_large", "file_too_large", field=field, status=413, max_mb=max_bytes // 1_048_576
        )
    content_type = image_type(data)
    if content_type is None:
        raise DomainError("error.image_type", "unsupported_type", field=field, status=415)
    return stored(filename, content_type, data)


async def get_file(session: AsyncSession, file_id: int) -> StoredFile:
    row = await session.scalar(
        select(StoredFile).where(StoredFile.id == file_id).options(undefer(StoredFile.data))
    )
    if row is None:
        raise NotFound("file")
    return row
