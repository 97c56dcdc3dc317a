"""What a stream address is (YouTube, Vimeo, an HLS playlist or a meeting link) and how a page plays it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

CHANNELS = ("floor", "ja", "en")  # the room's own sound, and the interpretation channels
PROVIDERS = ("youtube", "vimeo", "hls", "external")
FRAME_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com", "https://vimeo.com")

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


class BadStreamUrl(ValueError):
    """`reason` is a catalogue key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def classify(url: str) -> str:
    """The provider of an https address; anything that is not YouTube, Vimeo or HLS opens as a link."""
    parts = urlsplit(url.strip())
    if (
        parts.scheme != "https"
        or not parts.hostname
        or len(url) > 1000
        or any(c.isspace() for c in url)
        or parts.username is not None  # no credentials in an address that ends up in a page's CSP
        or not re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", parts.netloc)
    ):
        raise BadStreamUrl("error.url_invalid")
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise BadStreamUrl("error.url_invalid") from None
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    if host in ("youtube.com", "youtu.be", "youtube-nocookie.com"):
        if _youtube_id(url) is None:
            raise BadStreamUrl("error.stream_youtube_invalid")
        return "youtube"
    if host in ("vimeo.com", "player.vimeo.com"):
        if _vimeo_path(url) is None:
            raise BadStreamUrl("error.stream_vimeo_invalid")
        return "vimeo"
    if parts.path.lower().endswith(".m3u8"):
        return "hls"
    return "external"


def _youtube_id(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    candidate: str | None = None
    if host.endswith("youtu.be") and segments:
        candidate = segments[0]
    elif segments[:1] == ["watch"]:
        candidate = next(iter(parse_qs(parts.query).get("v", [])), None)
    elif len(segments) >= 2 and segments[0] in ("embed", "live", "shorts"):
        candidate = segments[1]
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def _vimeo_path(url: str) -> str | None:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if segments[:1] == ["video"] and len(segments) >= 2 and segments[1].isdigit():
        return f"video/{segments[1]}"
    if segments[:1] == ["event"] and len(segments) >= 2 and segments[1].isdigit():
        return f"event/{segments[1]}"
    if segments and segments[0].isdigit():
        return f"video/{segments[0]}"
    return None


def player_url(provider: str, url: str) -> str:
    """The address a page loads: the provider's embeddable player, or the address itself."""
    if provider == "youtube":
        return f"https://www.youtube-nocookie.com/embed/{_youtube_id(url)}?autoplay=1&rel=0"
    if provider == "vimeo":
        path = _vimeo_path(url) or ""
        if path.startswith("event/"):
            return f"https://vimeo.com/{path}/embed"
        return f"https://player.vimeo.com/{path}?autoplay=1"
    return url


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"https://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
