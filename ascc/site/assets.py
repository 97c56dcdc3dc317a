"""Static files from memory: read once, then answered without a thread hop per request.

Litestar's file responses stat, open and read each file in a worker thread; for our few small
files (CSS, JS, vendor libraries) that costs more than the request itself. Behind a reverse proxy
the proxy can serve static/ directly; this keeps a single process fast too.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


class AssetCache:
    def __init__(self, root: Path, reload: bool = False) -> None:
        self.root = root.resolve()
        self.reload = reload
        self._assets: dict[str, Asset | None] = {}

    def get(self, path: str) -> Asset | None:
        if not self.reload and path in self._assets:
            return self._assets[path]
        asset = self._load(path)
        if asset is not None:  # misses are not kept: made-up paths would fill the memory
            self._assets[path] = asset
        return asset

    def _load(self, path: str) -> Asset | None:
        try:
            candidate = (self.root / path.lstrip("/")).resolve()
            # No way out of the static folder (../, absolute paths, symlinks pointing elsewhere).
            if not candidate.is_relative_to(self.root) or not candidate.is_file():
                return None
            body = candidate.read_bytes()
        except (ValueError, OSError):  # NUL in the name ("embedded null byte"); a name too long to open
            return None
        media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        return Asset(body=body, media_type=media_type, etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"')
