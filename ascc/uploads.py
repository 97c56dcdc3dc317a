"""Upload fields: how much of a request an upload route reads, and reading the file a person chose.

A file over its field's limit must not cost the person what they typed. The browser refuses it before sending
(`static/js/app.js`, from the field's `data-max-bytes`); without JavaScript, an upload route still reads a
body up to the limit plus `OVERSIZE_MARGIN`, so the file's service refuses it and the form comes back with
what was typed and the message beside the field. Only a larger body is cut off, with a 413 page that names the
limit and goes back to the form, which the browser keeps (`error_handlers.http_exception_handler`). Bytes
beyond the limit are never read into memory (Litestar spools the upload to a temporary file).
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile

MIB = 1024 * 1024
OVERSIZE_MARGIN = 40 * MIB  # a phone photo or a brochure a few times over the limit still gets its form back


def route_options(max_bytes: int) -> dict[str, Any]:
    """Keyword arguments of an upload route's decorator: `@post(path, **uploads.route_options(LIMIT))`."""
    return {"request_max_body_size": max_bytes + OVERSIZE_MARGIN, "opt": {"upload_max_bytes": max_bytes}}


def megabytes(max_bytes: int) -> int:
    return max_bytes // MIB


async def chosen_file(form: Any, name: str, max_bytes: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of the file chosen under `name`, or None. At most `max_bytes + 1` bytes are read:
    enough for the service to refuse a file that is too large."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value.filename, await value.read(max_bytes + 1)
    return None
