"""The certificate of attendance as an A4 PDF: English, then Japanese, on one page where it fits, with the
signed QR code of its verify address. Pure: the standard library, qrcode and fpdf2.

Fonts as in every PDF of the platform (ascc.fonts, ascc.pdf_tables): Noto Sans CJK (Japanese face), the
cities' scripts as fallbacks, and for a name in another script (Arabic, Hebrew ...) the first installed font
that has its characters. Characters no installed font has (emoji) are left out rather than drawn as boxes.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field, fields, replace
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode

from ascc import fonts, qr
from ascc.registration.letter_content import JOINERS, clamp, clean, keep_covered, needs_shaping

_NAVY = (22, 51, 94)
_TEXT = (25, 25, 25)
_GREY = (95, 95, 95)
_MARGIN = 20.0
FONT = "ascc-cjk"
_CJK = re.compile("[\u2e80-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
# Every fixed text of the page, so the subset of the CJK font has its characters.
LABELS = (
    "Certificate of Attendance 参加証明書 殿 上記の方が、に開催されたで参加したことを証明します。"
    "（オンライン視聴 分）This is to certify that the above named attended the , held at on (Watched online:"
    " minutes.) Sessions attended 参加したセッション Site visits (technical tours) 参加した視察ツアー "
    "Business meetings held 実施した商談 • Verify this certificate: scan the code or open この証明書の真正性は、"
    "QRコードまたは次のアドレスで確認できます： Reference / 証明書番号: ·"
)
QR_SIZE = 32.0  # mm


@dataclass(frozen=True)
class Item:
    """A session, tour or meeting in both languages, with when it was."""

    en: str
    ja: str
    when: str = ""


@dataclass(frozen=True)
class CertificateData:
    reference: str
    verify_url: str
    name_latin: str
    name_local: str
    organization: str
    edition_en: str
    edition_ja: str
    dates_en: str
    dates_ja: str
    venue_en: str
    venue_ja: str
    issued_en: str
    issued_ja: str
    online_minutes: int = 0
    sessions: list[Item] = field(default_factory=list)
    tours: list[Item] = field(default_factory=list)
    meetings: list[Item] = field(default_factory=list)
    organizer_en: str = "City of Yokohama, International Affairs Bureau"
    organizer_ja: str = "横浜市国際局"


class _Document(FPDF):
    """One CJK face subset to the characters used, fallbacks only for the characters it lacks, HarfBuzz
    shaping only for the strings that need it (as the registration letter does: a page in under a second)."""

    def __init__(self, data: CertificateData, primary: fonts.FontFile, shaping: bool) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self._shaping, self._shaping_on = shaping, False
        self.set_margins(_MARGIN, 18, _MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.alias_nb_pages(None)  # type: ignore[arg-type]  # user text must never become the page count
        used = {ord(ch) for value in _fixed_strings(data) for ch in value}
        self.add_font(
            FONT,
            "",
            primary.path,
            collection_font_number=primary.index,
            unicode_range=sorted(used & primary.cmap),
        )
        ttfont = getattr(self.fonts[FONT], "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False

    def _shape(self, text: str) -> None:
        wanted = self._shaping and needs_shaping(text)
        if wanted != self._shaping_on:
            self.set_text_shaping(wanted, features={"kern": False} if wanted else None)
            self._shaping_on = wanted

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*_GREY)
        d = self.data
        self._shape("")
        self.cell(0, 4, f"{d.organizer_en} · {d.organizer_ja}", align="L")
        self.set_x(_MARGIN)
        self.cell(0, 4, f"{d.reference} · {self.page_no()}", align="R")

    def line_of(self, text: str, size: float, color: tuple[int, int, int] = _TEXT, align: str = "L") -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*color)
        self._shape(text)
        wrap = WrapMode.CHAR if _CJK.search(text) else WrapMode.WORD
        self.multi_cell(0, size * 0.5, text, align=align, wrapmode=wrap, new_x="LMARGIN", new_y="NEXT")


def _fixed_strings(data: CertificateData) -> list[str]:
    return [
        *_strings(data),
        LABELS,
        "".join(map(chr, range(0x20, 0x7F))),
        data.verify_url,
        data.reference,
        data.dates_en,
        data.dates_ja,
        data.issued_en,
        data.issued_ja,
        data.organizer_en,
        data.organizer_ja,
        *(i.when for i in [*data.sessions, *data.tours, *data.meetings]),
    ]


def _strings(data: CertificateData) -> list[str]:
    items = [*data.sessions, *data.tours, *data.meetings]
    return [
        data.name_latin,
        data.name_local,
        data.organization,
        data.edition_en,
        data.edition_ja,
        data.venue_en,
        data.venue_ja,
        *(i.en for i in items),
        *(i.ja for i in items),
    ]


def _name(data: CertificateData) -> str:
    local = data.name_local.strip()
    return f"{data.name_latin} ({local})" if local and local != data.name_latin else data.name_latin


def _list(pdf: _Document, heading: str, items: list[Item], lang: str) -> None:
    if not items:
        return
    pdf.ln(1.5)
    pdf.line_of(heading, 11, _NAVY)
    for item in items:
        title = item.ja if lang == "ja" else item.en
        pdf.line_of(f"• {title}" + (f"  ({item.when})" if item.when else ""), 9.5)


def _part(pdf: _Document, lang: str) -> None:
    d = pdf.data
    ja = lang == "ja"
    pdf.line_of("参加証明書" if ja else "Certificate of Attendance", 20, _NAVY, "C")
    pdf.line_of(d.edition_ja if ja else d.edition_en, 12, _GREY, "C")
    pdf.ln(3)
    pdf.line_of(_name(d) + (" 殿" if ja else ""), 15, _TEXT, "C")
    if d.organization:
        pdf.line_of(d.organization, 10.5, _GREY, "C")
    pdf.ln(3)
    if ja:
        body = f"上記の方が、{d.dates_ja}に{d.venue_ja}で開催された{d.edition_ja}に参加したことを証明します。"
        if d.online_minutes:
            body += f"（オンライン視聴 {d.online_minutes} 分）"
    else:
        body = f"This is to certify that the above named attended the {d.edition_en}, held at {d.venue_en} on {d.dates_en}."
        if d.online_minutes:
            body += f" (Watched online: {d.online_minutes} minutes.)"
    pdf.line_of(body, 10.5)
    _list(pdf, "参加したセッション" if ja else "Sessions attended", d.sessions, lang)
    _list(pdf, "参加した視察ツアー" if ja else "Site visits (technical tours)", d.tours, lang)
    _list(pdf, "実施した商談" if ja else "Business meetings held", d.meetings, lang)
    pdf.ln(3)
    pdf.line_of(d.issued_ja if ja else d.issued_en, 9.5, _GREY)
    pdf.line_of(d.organizer_ja if ja else d.organizer_en, 10.5, _NAVY)


def _qr(pdf: _Document) -> None:
    d = pdf.data
    if pdf.y + QR_SIZE + 12 > pdf.page_break_trigger:
        pdf.add_page()
    top, left = pdf.y + 2, pdf.w - _MARGIN - QR_SIZE
    pdf.image(io.BytesIO(qr.png(d.verify_url)), x=left, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(_MARGIN, top + 4)
    width = pdf.w - 2 * _MARGIN - QR_SIZE - 4
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*_TEXT)
    text = (
        "Verify this certificate: scan the code or open\nこの証明書の真正性は、QRコードまたは次のアドレスで確認できます：\n"
        f"{d.verify_url}\nReference / 証明書番号: {d.reference}"
    )
    pdf._shape("")
    pdf.multi_cell(width, 4.8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + QR_SIZE + 2)


def _map_text(data: CertificateData, change: Any) -> CertificateData:
    """`data` with `change` applied to every text that comes from people (names, titles)."""
    changes: dict[str, Any] = {}
    for f in fields(data):
        value = getattr(data, f.name)
        if isinstance(value, str) and f.name not in ("verify_url", "reference"):
            changes[f.name] = change(value)
        elif isinstance(value, list):
            changes[f.name] = [Item(change(i.en), change(i.ja), change(i.when)) for i in value]
    return replace(data, **changes)


def render_certificate(data: CertificateData) -> bytes:
    """The bilingual certificate as the bytes of an A4 PDF; `fonts.FontMissing` without a CJK font."""
    primary = fonts.primary_font()
    data = _map_text(data, lambda text: clamp(clean(text), 300))
    can_shape = fonts.shaping_available()
    if not can_shape and needs_shaping(data.name_local):
        data = replace(data, name_local="")  # it would print garbled: the Latin name stands alone
    used = {ch for value in _strings(data) for ch in value}
    missing = {ch for ch in used if ord(ch) not in primary.cmap and not ch.isspace() and ch not in JOINERS}
    plan = fonts.plan_fallbacks(missing)
    owner = {ch: font for font, chars in plan.items() for ch in chars}
    covered = frozenset(primary.cmap.union(ord(ch) for ch in owner))
    data = _map_text(data, lambda text: keep_covered(text, covered, owner))
    shaping = can_shape and any(needs_shaping(text) for text in _strings(data))

    pdf = _Document(data, primary, shaping)
    names = []
    for n, (font, chars) in enumerate(plan.items()):
        wanted = sorted({ord(ch) for ch in chars} | {ord(j) for j in JOINERS if ord(j) in font.cmap})
        pdf.add_font(f"fallback{n}", "", font.path, collection_font_number=font.index, unicode_range=wanted)
        names.append(f"fallback{n}")
    if names:
        pdf.set_fallback_fonts(names, exact_match=False)
    pdf.set_title(f"Certificate of Attendance {data.reference}")
    pdf.set_author(data.organizer_en)
    pdf.set_creator("ASCC platform")
    pdf.set_lang("en")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fpdf2 notes glyph substitutions by fallback fonts
        pdf.add_page()
        _part(pdf, "en")
        pdf.ln(4)
        pdf.set_draw_color(185, 190, 200)
        pdf.line(_MARGIN, pdf.y, pdf.w - _MARGIN, pdf.y)
        pdf.ln(4)
        _part(pdf, "ja")
        pdf.ln(2)
        _qr(pdf)
    return bytes(pdf.output())
