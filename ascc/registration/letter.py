"""Bilingual (English, then Japanese) registration confirmation letter, rendered as A4 PDF bytes.

Overseas city officials present this letter for travel approval and visa applications, so it is laid out
as a formal letter: letterhead, date and reference, addressee, title, body, a table of the registration
details and the organizer's sign-off, first in English and then the same letter in Japanese.

This module renders: it cleans the fields, picks the fonts for exactly the characters used and builds the
document. What the letter says is ascc.registration.letter_content, how its pages look
ascc.registration.letter_layout, which fonts exist ascc.fonts. Pure: the standard library, Babel and fpdf2.

Fonts: Noto Sans CJK (Japanese face) for everything it covers; a fallback font only for the characters it
lacks (Thai, Sinhala, Bengali, Tamil, Khmer, Myanmar, Mongolian Cyrillic Ө/Ү, ...). Characters that no
installed font covers (emoji, missing scripts) are dropped from the text instead of being shown as boxes;
without the CJK font no letter can be rendered and `LetterFontError` is raised. fpdf2 subsets the font it
embeds in place when the PDF is written, so every document opens its own font objects; the per-letter
cost is dominated by subsetting the CJK font (one face only: bold text is drawn with a stroked outline
instead of a second 20 MB face).

Complex scripts (Indic, Sinhala, Khmer, Myanmar, Arabic...) are shaped correctly only when the optional
package ``uharfbuzz`` is importable: fpdf2 then enables its HarfBuzz text shaping. Without it, a
local-script name in such a script is left out of the letter (the Latin name stays), since it would print
garbled; other fields are drawn unshaped. Thai, Lao, Vietnamese, CJK and Cyrillic need no shaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from ascc import fonts
from ascc.registration.letter_content import (
    ELLIPSIS,
    JOINERS,
    TITLE_EN,
    clamp,
    clean,
    compose,
    keep_covered,
    needs_shaping,
)
from ascc.registration.letter_layout import FONT, LetterPDF
from ascc.registration.visa_letter_content import FIELDS as VISA_FIELDS
from ascc.registration.visa_letter_content import TITLE_EN as VISA_TITLE_EN
from ascc.registration.visa_letter_content import VisaDetails
from ascc.registration.visa_letter_content import apply as apply_visa

__all__ = ["LetterData", "LetterFontError", "VisaDetails", "render_letter"]


@dataclass(frozen=True)
class LetterData:
    reference: str  # registration reference, e.g. "ASCC2023-000123"
    issued_on: date
    name_latin: str
    name_local: str | None  # any script; emoji and control characters are tolerated
    position: str | None
    organization: str | None
    country_name_en: str | None
    edition_name_en: str
    edition_name_ja: str
    starts_on: date
    ends_on: date
    venue_en: str
    venue_address_en: str
    venue_ja: str
    venue_address_ja: str
    mode: str  # "in_person" | "online"
    status: str  # "confirmed" | "waiting" | "pending"
    organizer_en: str = "City of Yokohama, International Affairs Bureau"
    organizer_ja: str = "横浜市国際局"
    visa: VisaDetails | None = None  # set: the letter of invitation for a visa (visa_letter_content)


class LetterFontError(RuntimeError):
    """No usable CJK font is installed (Debian: ``apt-get install fonts-noto-cjk``)."""


class _FallbackFontFailed(Exception):
    """A fallback font failed to load into the document (it is then marked unusable)."""


def render_letter(data: LetterData) -> bytes:
    """Render the bilingual letter for ``data`` as the bytes of an A4 PDF document."""
    for _attempt in range(3):
        try:
            return _render(data)
        except _FallbackFontFailed:
            continue  # the failing file is now marked unusable: plan again without it
    return _render(data, use_fallbacks=False)


_FIELDS = (
    "reference",
    "name_latin",
    "name_local",
    "position",
    "organization",
    "country_name_en",
    "edition_name_en",
    "edition_name_ja",
    "venue_en",
    "venue_address_en",
    "venue_ja",
    "venue_address_ja",
    "mode",
    "organizer_en",
    "organizer_ja",
)
_ALWAYS = frozenset(map(ord, " 0123456789/-–…()（）:：" + ELLIPSIS))


def _render(data: LetterData, use_fallbacks: bool = True) -> bytes:
    try:
        primary = fonts.primary_font()
    except fonts.FontMissing as exc:
        raise LetterFontError(f"The registration letter cannot be made. {exc}") from exc
    fields = {name: clean(getattr(data, name)) for name in _FIELDS}
    if data.visa is not None:
        fields |= {name: clean(getattr(data.visa, name)) for name in VISA_FIELDS}
    # HarfBuzz shaping costs time and text fidelity: only for letters, and strings, that need it.
    shaping = any(needs_shaping(value) for value in fields.values()) and fonts.shaping_available()
    if fields["name_local"] and not shaping and needs_shaping(fields["name_local"]):
        # Without HarfBuzz such a name would print garbled (vowel signs out of order, right-to-left text
        # reversed): the letter then names the participant by the Latin name only.
        fields["name_local"] = ""

    used = {ch for value in fields.values() for ch in value}
    missing = {ch for ch in used if ord(ch) not in primary.cmap and ch not in " \u3000" and ch not in JOINERS}
    plan = fonts.plan_fallbacks(missing) if use_fallbacks else {}
    owner = {ch: font for font, chars in plan.items() for ch in chars}
    covered = frozenset(primary.cmap.union(ord(ch) for ch in owner))
    fields = {name: clamp(keep_covered(value, covered, owner)) for name, value in fields.items()}

    content = compose(fields, data)
    if data.visa is not None:
        apply_visa(content, fields, data.visa, content.letterhead_en, content.letterhead_ja)
    chars_used = {ch for text in content.strings() for ch in text}
    chars = {ord(ch) for ch in chars_used}
    primary_range = sorted((chars | _ALWAYS) & primary.cmap)

    pdf = LetterPDF(content, shaping=shaping)
    try:
        pdf.add_font(
            FONT, "", primary.path, collection_font_number=primary.index, unicode_range=primary_range
        )
    except Exception as exc:  # the file changed or vanished since it was read
        fonts.mark_unusable(primary.path)
        raise LetterFontError(f"Cannot load the Japanese font {primary.path}: {exc}") from exc
    # The embedded subset keeps the full font's bounding boxes instead of recomputing them by drawing
    # every glyph: a valid (larger) box, and a third less time spent writing the CJK font.
    ttfont = getattr(pdf.fonts[FONT], "ttfont", None)
    if ttfont is not None:
        ttfont.recalcBBoxes = False
    fallback_names = []
    for i, (font, font_chars) in enumerate(plan.items()):
        wanted = sorted(
            {ord(ch) for ch in font_chars} | {ord(j) for j in JOINERS & chars_used if ord(j) in font.cmap}
        )
        name = f"ascc-fallback-{i}"
        try:
            pdf.add_font(name, "", font.path, collection_font_number=font.index, unicode_range=wanted)
        except Exception as exc:
            fonts.mark_unusable(font.path)
            raise _FallbackFontFailed(font.path) from exc
        fallback_names.append(name)
    if fallback_names:
        pdf.set_fallback_fonts(fallback_names, exact_match=False)

    issued = datetime(data.issued_on.year, data.issued_on.month, data.issued_on.day, tzinfo=UTC)
    pdf.set_creation_date(issued)
    title = VISA_TITLE_EN if data.visa is not None else TITLE_EN.get(data.status, "Notice of Registration")
    pdf.set_title(f"{title} {content.reference}")
    pdf.set_subject(content.letterhead_en)
    pdf.set_author(content.organizer_en)
    pdf.set_creator("ASCC platform")
    pdf.set_lang("en")

    for section in content.sections:
        pdf.section(section)
    return bytes(pdf.output())
