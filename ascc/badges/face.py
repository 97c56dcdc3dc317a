"""What a badge shows: the person's data in a plain structure, the role marks and the category colours. Pure."""

from __future__ import annotations

from dataclasses import dataclass

# Marks printed on a badge beside the category band.
MARKS = ("speaker", "press", "organizer", "exhibitor")
# Colour bands by category (print-safe, distinct also in grey scale by their text).
CATEGORY_COLOURS = {
    "city_official": "#0b6e4f",
    "company": "#1f4e9c",
    "international": "#7a3e9d",
    "academia": "#b5651d",
    "ngo": "#2a7f8f",
    "press": "#c0392b",
    "speaker": "#d4a017",
    "organizer_staff": "#333333",
}


@dataclass(frozen=True)
class BadgeFace:
    """Everything printed on one badge; no database objects, so the renderers stay pure."""

    name_latin: str
    name_local: str
    organization: str
    country: str  # ISO code; the renderer shows the name
    category: str
    mode: str
    marks: tuple[str, ...]
    code: str  # the signed QR text
    badge_code: str  # the short code people type
    reference: str
