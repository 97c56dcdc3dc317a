"""A campaign's mail as the recipient gets it (plain text and escaped HTML, with its footer) and the signed
unsubscribe link. Pure: no web framework, no database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from dataclasses import dataclass

from ascc.i18n import translate

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)）。、」』"


# --- The signed link -----------------------------------------------------------------------------------


def _signature(secret: str, user_id: int) -> str:
    digest = hmac.new(secret.encode(), f"mail-preferences:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def preferences_token(secret: str, user_id: int) -> str:
    """`<user id>.<signature>`: opens that person's mail preferences without signing in, and nothing else."""
    return f"{user_id}.{_signature(secret, user_id)}"


def user_of_token(secret: str, token: str) -> int | None:
    """The person a token was signed for, or None for anything forged, truncated or malformed."""
    if len(token) > 64 or "." not in token:
        return None
    raw_id, _, signature = token.partition(".")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 12:
        return None
    user_id = int(raw_id)
    if not hmac.compare_digest(signature.encode(), _signature(secret, user_id).encode()):
        return None
    return user_id


def preferences_url(base_url: str, secret: str, user_id: int, topic: str = "campaigns") -> str:
    return f"{base_url}/mail/preferences/{preferences_token(secret, user_id)}?list={topic}"


# --- The message ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str


def footer(lang: str, edition: str, essential: bool, unsubscribe_url: str | None) -> list[str]:
    if essential:
        return [translate(lang, "campaigns.footer_essential", edition=edition)]
    lines = [translate(lang, "campaigns.footer_news", edition=edition)]
    if unsubscribe_url:
        lines.append(translate(lang, "campaigns.footer_unsubscribe") + " " + unsubscribe_url)
    return lines


def _linked(escaped: str) -> str:
    """Web addresses in already escaped text made clickable (only http and https)."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        return f'<a href="{url}">{url}</a>{tail}'

    return _URL.sub(link, escaped)


def _paragraphs(text: str) -> str:
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "\n".join(
        '<p dir="auto">' + "<br>\n".join(_linked(html.escape(line)) for line in block.split("\n")) + "</p>"
        for block in blocks
    )


def letter(lang: str, subject: str, body: str, footer_lines: list[str]) -> Letter:
    """Text and HTML of one recipient's message; the HTML escapes everything the organizer or a name brought."""
    text = body.rstrip() + "\n\n-- \n" + "\n".join(footer_lines) + "\n"
    page = (
        f'<!DOCTYPE html>\n<html lang="{"ja" if lang == "ja" else "en"}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.6; max-width: 40em;">\n'
        f"{_paragraphs(body)}\n"
        '<hr>\n<p style="color: #555; font-size: 90%;" dir="auto">'
        + "<br>\n".join(_linked(html.escape(line)) for line in footer_lines)
        + "</p>\n</body>\n</html>\n"
    )
    return Letter(subject, text, page)
