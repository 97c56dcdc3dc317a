"""Placeholders in campaign subjects and bodies: `{name}` is filled per recipient. Pure: no web, no database.

`{{` and `}}` stand for literal braces. A value is inserted as it is and never read again for placeholders,
so a name that contains "{edition}" stays that text. Anything else between braces is refused with the
placeholder and the field named, before anything is saved or sent.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ascc.text import FieldError

# Documented beside the editor: name -> catalogue key of its description.
COMMON = (
    "name",
    "name_local",
    "organization",
    "country",
    "category",
    "mode",
    "reference",
    "edition",
    "dates",
    "venue",
    "agenda_url",
    "my_agenda_url",
    "badge_url",
    "meetings_url",
    "preferences_url",
)
# Only in a campaign to the people of one site visit or one session: the item they are booked on.
TOUR = ("tour", "tour_departs", "meeting_point")
SESSION = ("session", "session_starts", "session_place")
ALL = COMMON + TOUR + SESSION

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHOWN = 24  # characters of a malformed piece quoted in the message


@dataclass(frozen=True)
class Slot:
    name: str


Piece = str | Slot


def _snippet(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def parse(field: str, text: str, allowed: tuple[str, ...] = ALL) -> list[Piece]:
    """Text and placeholders in order; FieldError(field, ...) names the first problem."""
    pieces: list[Piece] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "{":
            if text.startswith("{{", i):
                literal.append("{")
                i += 2
                continue
            close = text.find("}", i + 1)
            opened = text.find("{", i + 1)
            if close == -1 or (opened != -1 and opened < close):
                raise FieldError(field, "campaigns.error.unclosed_brace", text=_snippet(text[i:]))
            inner = text[i + 1 : close].strip()
            if not _NAME.fullmatch(inner):
                raise FieldError(
                    field, "campaigns.error.malformed_placeholder", text=_snippet(text[i : close + 1])
                )
            if inner not in allowed:
                if inner in ALL:
                    raise FieldError(
                        field, "campaigns.error.placeholder_not_here", placeholder=f"{{{inner}}}"
                    )
                close_match = difflib.get_close_matches(inner.lower(), allowed, n=1)
                if close_match:
                    raise FieldError(
                        field,
                        "campaigns.error.unknown_placeholder_hint",
                        placeholder=f"{{{inner}}}",
                        hint=f"{{{close_match[0]}}}",
                    )
                raise FieldError(field, "campaigns.error.unknown_placeholder", placeholder=f"{{{inner}}}")
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(Slot(inner))
            i = close + 1
        elif char == "}":
            if text.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise FieldError(field, "campaigns.error.lone_brace", text=_snippet(text[max(0, i - 12) : i + 1]))
        else:
            literal.append(char)
            i += 1
    if literal:
        pieces.append("".join(literal))
    return pieces


def used(pieces: list[Piece]) -> set[str]:
    return {p.name for p in pieces if isinstance(p, Slot)}


def fill(pieces: list[Piece], values: dict[str, str]) -> str:
    """The text with each placeholder replaced by its value (empty when the person has none)."""
    return "".join(p if isinstance(p, str) else values.get(p.name, "") for p in pieces)


def render(field: str, text: str, values: dict[str, str], allowed: tuple[str, ...] = ALL) -> str:
    return fill(parse(field, text, allowed), values)
