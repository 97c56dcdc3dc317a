"""Bilingual (English, then Japanese) registration confirmation letter, rendered as A4 PDF bytes.

Overseas city officials present this letter for travel approval and visa applications, so it is laid out
as a formal letter: letterhead, date and reference, addressee, title, body, a table of the registration
details and the organizer's sign-off, first in English and then the same letter in Japanese.

Pure module: it imports only the standard library and fpdf2.

Fonts
-----
* Primary: Noto Sans CJK, Japanese face (Debian package ``fonts-noto-cjk``). It covers Latin (Vietnamese
  included), Cyrillic, Greek, kana, kanji, hanzi and hangul. Without it no letter can be rendered and
  :class:`LetterFontError` is raised.
* Fallbacks, used only for characters the primary font lacks (Thai, Sinhala, Bengali, Tamil, Khmer,
  Myanmar, Mongolian Cyrillic Ө/Ү, ...): Noto fonts from ``fonts-noto-core`` and DejaVu Sans from
  ``fonts-dejavu-core``, each optional. Characters that no installed font covers (emoji, missing scripts)
  are dropped from the text instead of being shown as boxes.

Font files are looked up at every call (a font installed later is picked up), and what was read from a
file (the face index of a collection, the set of characters it covers) is cached per process, keyed by
path, size and modification time. fpdf2 subsets the font it embeds in place when the PDF is written,
so every document opens its own font objects; the per-letter cost is dominated by subsetting the CJK
font (one face only: bold text is drawn with a stroked outline instead of a second 20 MB face).

Complex scripts (Indic, Sinhala, Khmer, Myanmar, Arabic...) are shaped correctly only when the optional
package ``uharfbuzz`` is importable: fpdf2 then enables its HarfBuzz text shaping. Without it, a
local-script name in such a script is left out of the letter (the Latin name stays), since it would print
garbled; other fields are drawn unshaped. Thai, Lao, Vietnamese, CJK and Cyrillic need no shaping.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos

__all__ = ["LetterData", "LetterFontError", "render_letter"]


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


class LetterFontError(RuntimeError):
    """No usable CJK font is installed (Debian: ``apt-get install fonts-noto-cjk``)."""


def render_letter(data: LetterData) -> bytes:
    """Render the bilingual letter for ``data`` as the bytes of an A4 PDF document."""
    for _attempt in range(3):
        try:
            return _render(data)
        except _FallbackFontFailed:
            continue  # the failing file is now marked unusable: plan again without it
    return _render(data, use_fallbacks=False)


# --------------------------------------------------------------------------------------------------
# Fonts: discovery at call time, per-process cache of what each file covers.

_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/truetype/noto",  # Debian/Ubuntu fonts-noto-core
    "/usr/share/fonts/noto-cjk",  # Arch
    "/usr/share/fonts/noto",  # Arch, Alpine
    "/usr/share/fonts/google-noto-cjk",  # Fedora
    "/usr/share/fonts/google-noto-sans-cjk-fonts",  # Fedora
    "/usr/share/fonts/google-noto",  # Fedora
    "/usr/share/fonts/truetype/dejavu",  # Debian fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
)

_CJK_FILES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKjp-Regular.otf",
    "NotoSansJP-Regular.otf",
    "NotoSansJP-Regular.ttf",
)

# Searched in this order for each character the CJK font lacks.
_FALLBACK_FILES = (
    "NotoSans-Regular.ttf",  # Latin, Greek and Cyrillic beyond the CJK font (Mongolian Ө ө Ү ү)
    "NotoSansThai-Regular.ttf",
    "NotoSansLao-Regular.ttf",
    "NotoSansKhmer-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansSinhala-Regular.ttf",
    "NotoSansTamil-Regular.ttf",
    "NotoSansBengali-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansGurmukhi-Regular.ttf",
    "NotoSansGujarati-Regular.ttf",
    "NotoSansOriya-Regular.ttf",
    "NotoSansTelugu-Regular.ttf",
    "NotoSansKannada-Regular.ttf",
    "NotoSansMalayalam-Regular.ttf",
    "NotoSansThaana-Regular.ttf",
    "NotoSansMongolian-Regular.ttf",
    "NotoSansTaiViet-Regular.ttf",
    "NotoSansTaiTham-Regular.ttf",
    "NotoSansJavanese-Regular.ttf",
    "NotoSansBalinese-Regular.ttf",
    "NotoSansSundanese-Regular.ttf",
    "NotoSansBuginese-Regular.ttf",
    "NotoSansTagalog-Regular.ttf",
    "NotoSansCham-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansGeorgian-Regular.ttf",
    "NotoSansArmenian-Regular.ttf",
    "NotoSansEthiopic-Regular.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "DejaVuSans.ttf",
)


@dataclass(frozen=True, eq=False)
class _FontFile:
    path: str
    index: int  # face number inside a .ttc/.otc collection
    cmap: frozenset[int]  # code points the face has a glyph for


class _FallbackFontFailed(Exception):
    pass


_cache_lock = threading.Lock()
_font_cache: dict[tuple[str, int, int], _FontFile | None] = {}
_MAX_FACES = 16


def _find_font_file(name: str) -> str | None:
    for folder in _FONT_DIRS:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def _file_key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns)


def _probe_face(path: str, index: int) -> tuple[str, frozenset[int]]:
    """Open one face through fpdf2 and return its family name and covered code points."""
    probe = FPDF()
    probe.add_font("probe", "", path, collection_font_number=index)
    font = probe.fonts["probe"]
    try:
        try:
            family = str(font.ttfont["name"].getDebugName(1) or "")
        except Exception:  # a name table fpdf2 or fontTools cannot read: the face is still usable
            family = ""
        return family, frozenset(font.cmap)
    finally:
        close = getattr(font, "close", None)
        if close is not None:
            close()


def _load_cjk(path: str) -> _FontFile | None:
    first: _FontFile | None = None
    faces = _MAX_FACES if path.lower().endswith((".ttc", ".otc")) else 1
    for index in range(faces):
        try:
            family, cmap = _probe_face(path, index)
        except Exception:
            break  # past the last face of the collection, or an unreadable file
        face = _FontFile(path, index, cmap)
        if first is None:
            first = face
        upper = family.upper()
        if upper.endswith(" JP") and "MONO" not in upper:
            return face
    return first


def _load_plain(path: str) -> _FontFile | None:
    try:
        _family, cmap = _probe_face(path, 0)
    except Exception:
        return None
    return _FontFile(path, 0, cmap)


def _cached_font(path: str, *, cjk: bool) -> _FontFile | None:
    key = _file_key(path)
    if key is None:
        return None
    with _cache_lock:
        if key not in _font_cache:
            _font_cache[key] = _load_cjk(path) if cjk else _load_plain(path)
        return _font_cache[key]


def _mark_unusable(path: str) -> None:
    key = _file_key(path)
    with _cache_lock:
        for cached in list(_font_cache):
            if cached[0] == path:
                del _font_cache[cached]
        if key is not None:
            _font_cache[key] = None


def _primary_font() -> _FontFile:
    for name in _CJK_FILES:
        path = _find_font_file(name)
        if path is not None:
            font = _cached_font(path, cjk=True)
            if font is not None:
                return font
    raise LetterFontError(
        "No Japanese font found for the registration letter: install Noto Sans CJK "
        "(Debian package fonts-noto-cjk, file NotoSansCJK-Regular.ttc)."
    )


def _plan_fallbacks(missing: set[str]) -> dict[_FontFile, set[str]]:
    """Assign each character the primary font lacks to the first fallback font covering it."""
    plan: dict[_FontFile, set[str]] = {}
    if not missing:
        return plan
    left = set(missing)
    for name in _FALLBACK_FILES:
        path = _find_font_file(name)
        if path is None:
            continue
        font = _cached_font(path, cjk=False)
        if font is None:
            continue
        covered = {ch for ch in left if ord(ch) in font.cmap}
        if covered:
            plan[font] = covered
            left -= covered
            if not left:
                break
    return plan


def _shaping_available() -> bool:
    try:
        return importlib.util.find_spec("uharfbuzz") is not None
    except (ImportError, ValueError):
        return False


# --------------------------------------------------------------------------------------------------
# Text cleaning.

_MAX_FIELD = 1000  # characters; longer values are cut with an ellipsis
_LINE_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_JOINERS = frozenset("\u200c\u200d")  # kept for shaping inside Indic words when a font covers them
_SPACES = re.compile(r"[^\S\u3000]+")  # whitespace runs, except the ideographic space
_ELLIPSIS = "…"


def _clean(value: object) -> str:
    """Remove control, format, bidi-override, surrogate and unassigned characters; normalize to NFC."""
    if value is None:
        return ""
    text = str(value)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cs")  # lone surrogates
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for ch in text:
        if ch in _LINE_BREAKS:
            out.append(" ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Cn", "Co"):
            continue
        if category == "Cf" and ch not in _JOINERS:
            continue  # bidi overrides and isolates, zero-width space, BOM, tags...
        if "\ufe00" <= ch <= "\ufe0f":
            continue  # variation selectors: emoji or text presentation means nothing in this letter
        out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def _covered(text: str, covered: frozenset[int], owner: dict[str, _FontFile]) -> str:
    """Drop characters no font covers; keep a joiner (ZWJ, ZWNJ) only inside a fallback-font script run."""
    out: list[str] = []
    previous = ""
    for ch in text:
        if ch in _JOINERS:
            font = owner.get(previous)
            if font is not None and ord(ch) in font.cmap:
                out.append(ch)
            continue
        if ch == " " or ch == "\u3000" or ord(ch) in covered:
            out.append(ch)
            previous = ch
    return _SPACES.sub(" ", "".join(out)).strip()


def _clamp(text: str, limit: int = _MAX_FIELD) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + _ELLIPSIS


# Scripts that print wrongly without a shaping engine: reordered vowel signs, conjuncts, joining or
# right-to-left order (Hebrew and Arabic to Thaana and N'Ko, Indic and Sinhala, Tibetan and Myanmar,
# Khmer and Mongolian, Tai Tham, Balinese to Batak, Javanese, Cham, presentation forms).
_SHAPED_RANGES = (
    (0x0590, 0x08FF),
    (0x0900, 0x0DFF),
    (0x0F00, 0x109F),
    (0x1780, 0x18AF),
    (0x1A20, 0x1AAF),
    (0x1B00, 0x1BFF),
    (0xA980, 0xAA7F),
    (0xFB1D, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def _needs_shaping(text: str) -> bool:
    for ch in text:
        cp = ord(ch)
        if unicodedata.bidirectional(ch) in ("R", "AL") or any(lo <= cp <= hi for lo, hi in _SHAPED_RANGES):
            return True
    return False


def _same_name(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).casefold().split())

    return key(a) == key(b)


# --------------------------------------------------------------------------------------------------
# Dates and labels.

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_JA = "月火水木金土日"


def _en_date(d: date, weekday: bool = False) -> str:
    text = f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
    return f"{_WEEKDAYS_EN[d.weekday()]}, {text}" if weekday else text


def _en_range(start: date, end: date) -> str:
    if start == end:
        return _en_date(start, weekday=True)
    return f"{_en_date(start, weekday=True)} – {_en_date(end, weekday=True)}"


def _en_range_short(start: date, end: date) -> str:
    if start == end:
        return f"on {_en_date(start)}"
    if (start.year, start.month) == (end.year, end.month):
        return f"from {start.day} to {end.day} {_MONTHS_EN[end.month - 1]} {end.year}"
    return f"from {_en_date(start)} to {_en_date(end)}"


def _ja_date(d: date, weekday: bool = False, year: bool = True) -> str:
    text = f"{d.year}年{d.month}月{d.day}日" if year else f"{d.month}月{d.day}日"
    return f"{text}（{_WEEKDAYS_JA[d.weekday()]}）" if weekday else text


def _ja_range(start: date, end: date) -> str:
    if start == end:
        return _ja_date(start, weekday=True)
    return f"{_ja_date(start, weekday=True)}～{_ja_date(end, weekday=True, year=start.year != end.year)}"


_MODE_EN = {"in_person": "In person (attendance at the venue)", "online": "Online (remote participation)"}
_MODE_JA = {"in_person": "会場参加", "online": "オンライン参加"}

_TITLE_EN = {
    "confirmed": "Letter of Confirmation of Registration",
    "waiting": "Notice of Registration: Waiting List",
    "pending": "Acknowledgement of Registration: Pending Review",
}
_TITLE_JA = {
    "confirmed": "登録確認書",
    "waiting": "登録受付通知書（キャンセル待ち）",
    "pending": "登録受付通知書（確認中）",
}
_STATUS_EN = {
    "confirmed": "Confirmed",
    "waiting": "Waiting list (not yet confirmed)",
    "pending": "Pending review (not yet confirmed)",
}
_STATUS_JA = {
    "confirmed": "確定",
    "waiting": "キャンセル待ち（未確定）",
    "pending": "確認中（未確定）",
}


# --------------------------------------------------------------------------------------------------
# Content model: every string is composed (and cleaned) before the PDF is built, so that the fonts can
# be registered for exactly the characters used.


@dataclass
class _Section:
    lang: str  # "en" | "ja"
    version_label: str
    date_line: str
    reference_line: str
    addressee: list[str]
    sender: list[str]  # Japanese letters name the sender at the top right
    title: str
    subtitle: str
    salutation: str
    paragraphs: list[str]
    notice: str  # warning box for a place that is not confirmed; "" when confirmed
    closing_before_details: str  # 敬具
    details_heading: str  # 記
    details: list[tuple[str, str]]
    after_details: list[str]
    end_mark: str  # 以上
    sign_off: str
    signature: list[str]
    footnote: str
    footer_reference: str
    footer_page: str  # contains {page} and the total pages alias
    footer_issued: str

    def strings(self) -> list[str]:
        parts = [
            self.version_label,
            self.date_line,
            self.reference_line,
            *self.addressee,
            *self.sender,
            self.title,
            self.subtitle,
            self.salutation,
            *self.paragraphs,
            self.notice,
            self.closing_before_details,
            self.details_heading,
            *(s for row in self.details for s in row),
            *self.after_details,
            self.end_mark,
            self.sign_off,
            *self.signature,
            self.footnote,
            self.footer_reference,
            self.footer_page,
            self.footer_issued,
        ]
        return parts


@dataclass
class _Content:
    letterhead_en: str
    letterhead_ja: str
    organizer_en: str
    organizer_ja: str
    sections: list[_Section] = field(default_factory=list)
    reference: str = ""

    def strings(self) -> list[str]:
        out = [self.letterhead_en, self.letterhead_ja, self.organizer_en, self.organizer_ja]
        for section in self.sections:
            out.extend(section.strings())
        return out


_NB = "{nb}"  # fpdf2's total-pages alias; enabled only while the footer's page number is drawn


def _compose(f: dict[str, str], data: LetterData) -> _Content:
    status = data.status if data.status in _TITLE_EN else "other"
    confirmed = status == "confirmed"
    mode = data.mode
    in_person = mode == "in_person"

    latin = f["name_latin"]
    local = f["name_local"]
    if not latin:
        latin, local = local, ""
    if local and _same_name(local, latin):
        local = ""
    name_en = f"{latin} ({local})" if latin and local else latin or "Participant"
    name_ja = f"{latin}（{local}）" if latin and local else latin or "参加者"

    ref = f["reference"] or "-"
    edition_en = f["edition_name_en"] or "Asia Smart City Conference"
    edition_ja = f["edition_name_ja"] or edition_en
    venue_en = f["venue_en"]
    venue_ja = f["venue_ja"] or venue_en
    address_en = f["venue_address_en"]
    address_ja = f["venue_address_ja"] or address_en
    organizer_en = f["organizer_en"] or "City of Yokohama, International Affairs Bureau"
    organizer_ja = f["organizer_ja"] or organizer_en
    mode_en = _MODE_EN.get(mode, f["mode"] or "-")
    mode_ja = _MODE_JA.get(mode, f["mode"] or "-")
    issued_en = _en_date(data.issued_on)
    issued_ja = _ja_date(data.issued_on)
    profile = [v for v in (f["position"], f["organization"], f["country_name_en"]) if v]

    # English letter --------------------------------------------------------------------------------
    if confirmed:
        body_en = [
            f"Thank you for registering for the {edition_en}. We are pleased to confirm that your "
            "registration has been accepted and that your place at the conference is confirmed. "
            "The conference will be held at "
            f"{venue_en or 'the venue below'} {_en_range_short(data.starts_on, data.ends_on)}. "
            "The details of your registration are as follows.",
        ]
        notice_en = ""
        after_en = []
        if in_person:
            after_en.append(f"We look forward to welcoming you at {venue_en or 'the conference'}.")
            after_en.append(
                "This letter may be presented to your organization and to the authorities concerned as "
                "evidence of your registration, for example in support of travel approval or a visa "
                "application. The issue of this letter does not guarantee that a visa will be granted."
            )
        else:
            if mode == "online":
                after_en.append(
                    "This registration is for online participation and does not include attendance at "
                    "the venue."
                )
            after_en.append(
                "This letter may be presented to your organization as evidence of your registration."
            )
    else:
        if status == "waiting":
            situation = (
                "The conference is currently fully booked, and your registration has been placed on the "
                "waiting list."
            )
        elif status == "pending":
            situation = "Your registration has been received and is being reviewed by the organizer."
        else:
            situation = "Your registration has been received."
        body_en = [
            f"Thank you for registering for the {edition_en}, to be held at "
            f"{venue_en or 'the venue below'} {_en_range_short(data.starts_on, data.ends_on)}. "
            f"{situation} The details of your registration are as follows.",
        ]
        notice_en = (
            "Important: your place at the conference is not yet confirmed. This notice is not a "
            "confirmation of attendance and cannot be used to support a visa application or travel "
            "approval. If your place is confirmed later, we will send you a confirmation letter."
        )
        after_en = []
    after_en.append(f"Please quote the reference number {ref} in any correspondence about this registration.")

    details_en = [
        ("Participant", name_en),
        ("Conference", edition_en),
        ("Dates", _en_range(data.starts_on, data.ends_on)),
        ("Venue", venue_en or "-"),
        ("Venue address", address_en or "-"),
        ("Attendance mode", mode_en),
        ("Registration status", _STATUS_EN.get(status, "Not yet confirmed")),
        ("Reference number", ref),
        ("Date of issue", issued_en),
    ]
    english = _Section(
        lang="en",
        version_label="ENGLISH",
        date_line=f"Date: {issued_en}",
        reference_line=f"Reference: {ref}",
        addressee=[name_en, *profile],
        sender=[],
        title=_TITLE_EN.get(status, "Notice of Registration"),
        subtitle=edition_en,
        salutation=f"Dear {latin or 'Participant'},",
        paragraphs=body_en,
        notice=notice_en,
        closing_before_details="",
        details_heading="",
        details=details_en,
        after_details=after_en,
        end_mark="",
        sign_off="Yours sincerely,",
        signature=[organizer_en, f"Organizer, {edition_en}"],
        footnote=(
            "This letter was issued electronically by the ASCC registration system. It is issued in "
            "English and in Japanese; both versions have the same content."
        ),
        footer_reference=f"Ref. {ref}",
        footer_page="Page {page} of " + _NB,
        footer_issued=f"Issued {issued_en}",
    )

    # Japanese letter -------------------------------------------------------------------------------
    greeting = "拝啓　時下ますますご清栄のこととお慶び申し上げます。"
    if confirmed:
        body_ja = [
            greeting,
            f"このたびは「{edition_ja}」にご登録いただき、誠にありがとうございます。"
            "下記のとおり、貴殿の参加登録が確定いたしましたのでお知らせいたします。",
        ]
        if in_person:
            body_ja.append(
                f"{venue_ja or '会場'}にてお目にかかれますことを、心よりお待ち申し上げております。"
            )
            body_ja.append(
                "本書は、ご所属先での出張承認や査証（ビザ）申請などの手続きに際し、参加登録を証明する書類として"
                "ご利用いただけます。なお、本書の発行は査証の発給を保証するものではありません。"
            )
        else:
            if mode == "online":
                body_ja.append("本登録はオンライン参加であり、会場での参加は含まれません。")
            body_ja.append(
                "本書は、ご所属先での手続きなどに際し、参加登録を証明する書類としてご利用いただけます。"
            )
        notice_ja = ""
    else:
        if status == "waiting":
            situation_ja = "現在定員に達しているため、下記のとおりキャンセル待ちとして受け付けております。"
        elif status == "pending":
            situation_ja = "下記のとおりお申し込みを受け付けており、現在主催者にて確認中です。"
        else:
            situation_ja = "下記のとおりお申し込みを受け付けております。"
        body_ja = [
            greeting,
            f"このたびは「{edition_ja}」にお申し込みいただき、誠にありがとうございます。{situation_ja}",
        ]
        notice_ja = (
            "【重要】参加はまだ確定していません。本通知書は参加の確定を証明するものではなく、"
            "査証（ビザ）申請や出張承認の根拠書類としてご使用いただくことはできません。"
            "参加が確定した場合は、改めて確認書をお送りいたします。"
        )
    body_ja.append(f"本件に関するお問い合わせの際は、登録番号（{ref}）をお知らせください。")
    body_ja = [body_ja[0], *("　" + text for text in body_ja[1:])]  # paragraphs open with a full-width indent

    details_ja = [
        ("参加者", name_ja),
        ("会議名", edition_ja),
        ("会期", _ja_range(data.starts_on, data.ends_on)),
        ("会場", venue_ja or "-"),
        ("所在地", address_ja or "-"),
        ("参加形態", mode_ja),
        ("登録状況", _STATUS_JA.get(status, "未確定")),
        ("登録番号", ref),
        ("発行日", issued_ja),
    ]
    japanese = _Section(
        lang="ja",
        version_label="和文（JAPANESE）",
        date_line=issued_ja,
        reference_line=f"登録番号：{ref}",
        addressee=[f"{name_ja} 様", *profile],
        sender=[organizer_ja],
        title=_TITLE_JA.get(status, "登録受付通知書"),
        subtitle=edition_ja,
        salutation="",
        paragraphs=body_ja,
        notice=notice_ja,
        closing_before_details="敬具",
        details_heading="記",
        details=details_ja,
        after_details=[],
        end_mark="以上",
        sign_off="",
        signature=[],  # the sender stands at the top right, as in Japanese business letters
        footnote="本書は ASCC 登録システムにより電子的に発行されたものです。本書は英文と和文で発行しており、両者の内容は同一です。",
        footer_reference=f"登録番号 {ref}",
        footer_page="{page} / " + _NB + " ページ",
        footer_issued=f"発行日 {issued_ja}",
    )

    return _Content(
        letterhead_en=edition_en,
        letterhead_ja=edition_ja,
        organizer_en=organizer_en,
        organizer_ja=organizer_ja,
        sections=[english, japanese],
        reference=ref,
    )


# --------------------------------------------------------------------------------------------------
# Layout.

_NAVY = (22, 51, 94)
_TEXT = (25, 25, 25)
_GREY = (95, 95, 95)
_RULE = (185, 190, 200)
_NOTICE_FILL = (253, 241, 220)
_NOTICE_EDGE = (176, 106, 0)
_FONT = "ascc-cjk"
_MARGIN = 20.0
_BOTTOM = 28.0  # room for the note, the rule and the page line at the foot of every page
_CJK = re.compile("[\u2e80-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
_PT = 25.4 / 72  # millimetres per point


class _LetterPDF(FPDF):
    def __init__(self, content: _Content, shaping: bool = False) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._content = content
        self._shaping = shaping
        self._shaping_on = False
        self._lang = "en"
        self._page_lang: dict[int, str] = {}
        self._bold = False
        self.alias_nb_pages(None)  # user text must never be replaced by the page count
        self.set_margins(_MARGIN, 34, _MARGIN)
        self.set_auto_page_break(True, margin=_BOTTOM)
        self.c_margin = 0

    # -- text helpers ------------------------------------------------------------------------------

    def _shape(self, text: object) -> None:
        """HarfBuzz only for the strings that need it: the rest keeps exact, unkerned text for copy and search."""
        wanted = self._shaping and isinstance(text, str) and _needs_shaping(text)
        if wanted != self._shaping_on:
            # Kerning off: it would split Latin words in text extraction, and these scripts need no kerning.
            self.set_text_shaping(wanted, features={"kern": False} if wanted else None)
            self._shaping_on = wanted

    def cell(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self._shape(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return super().cell(*args, **kwargs)

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self._shape(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return super().multi_cell(*args, **kwargs)

    def _style(self, size: float, color: tuple[int, int, int] = _TEXT, bold: bool = False) -> None:
        self.set_font(_FONT, "", size)
        self.set_text_color(*color)
        self._bold = bold
        if bold:
            # One CJK face only (a second 20 MB face would double the rendering time): draw bold text
            # filled and stroked with its own colour, as word processors do for fonts without a bold face.
            self.text_mode = TextMode.FILL_STROKE
            self.set_draw_color(*color)
            self.set_line_width(size * 0.045 * _PT)
        else:
            self.text_mode = TextMode.FILL

    def _wrap(self, text: str) -> WrapMode:
        """Japanese text breaks between any two characters; Latin-script text (even on the Japanese page) at spaces."""
        return WrapMode.CHAR if self._lang == "ja" and _CJK.search(text) else WrapMode.WORD

    def _lines(self, width: float, text: str) -> int:
        lines = self.multi_cell(width, 5, text, dry_run=True, output="LINES", wrapmode=self._wrap(text))
        return max(1, len(lines))

    def _fit(self, width: float, text: str) -> str:
        """Shorten ``text`` with an ellipsis until it fits on one line of ``width``."""
        if self._lines(width, text) == 1:
            return text
        low, high = 0, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if self._lines(width, text[:mid].rstrip() + _ELLIPSIS) == 1:
                low = mid
            else:
                high = mid - 1
        return text[:low].rstrip() + _ELLIPSIS

    def _para(self, text: str, lh: float, align: Align | str = Align.L, width: float = 0) -> None:
        if not text:
            return
        self.set_x(self.l_margin)
        self.multi_cell(
            width, lh, text, align=align, wrapmode=self._wrap(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def _ensure_space(self, height: float) -> None:
        if self.y + height > self.page_break_trigger:
            self.add_page()

    def _rule(self, y: float, color: tuple[int, int, int], width_pt: float) -> None:
        self.set_draw_color(*color)
        self.set_line_width(width_pt * _PT)
        self.line(self.l_margin, y, self.w - self.r_margin, y)

    # -- page furniture ----------------------------------------------------------------------------

    def header(self) -> None:
        # The footer enables the total-pages alias and leaves it on for output(); user text must never
        # be substituted, so it is off again for everything drawn after the footer.
        self.alias_nb_pages(None)
        self._page_lang[self.page] = self._lang
        auto, margin = self.auto_page_break, self.b_margin
        self.set_auto_page_break(False)
        half = (self.w - 2 * _MARGIN) / 2 - 2
        c = self._content
        self.set_xy(_MARGIN, 12)
        self._style(10.5, _NAVY, bold=True)
        self.cell(half, 6, self._fit(half, c.letterhead_en), align=Align.L)
        self.set_xy(self.w - _MARGIN - half, 12)
        self.cell(half, 6, self._fit(half, c.letterhead_ja), align=Align.R)
        self._style(8.5, _GREY)
        self.set_xy(_MARGIN, 18.5)
        self.cell(half, 5, self._fit(half, c.organizer_en), align=Align.L)
        self.set_xy(self.w - _MARGIN - half, 18.5)
        self.cell(half, 5, self._fit(half, c.organizer_ja), align=Align.R)
        self._rule(25.5, _NAVY, 1.2)
        self._rule(26.6, _NAVY, 0.4)
        self.set_auto_page_break(auto, margin)
        self.set_xy(_MARGIN, 34)
        self._style(10.5)

    def footer(self) -> None:
        lang = self._page_lang.get(self.page, self._lang)
        section = next((s for s in self._content.sections if s.lang == lang), self._content.sections[0])
        auto, margin = self.auto_page_break, self.b_margin
        self.set_auto_page_break(False)
        width = self.w - 2 * _MARGIN
        # The note stands on every page, just above the rule: it can never be pushed onto a page of its own.
        self._style(7, _GREY)
        note = section.footnote
        lines = self._lines(width, note)
        if lines > 2:
            note, lines = self._fit(width, note), 1
        self.set_xy(_MARGIN, self.h - 18.5 - lines * 3.3)
        self.multi_cell(width, 3.3, note, align=Align.L, wrapmode=self._wrap(note), new_x=XPos.LMARGIN)
        self._rule(self.h - 17, _RULE, 0.5)
        self._style(8, _GREY)
        third = width / 3
        y = self.h - 15
        self.set_xy(_MARGIN, y)
        self.cell(third, 5, self._fit(third, section.footer_reference), align=Align.L)
        self.set_xy(_MARGIN + third, y)
        self.alias_nb_pages(_NB)
        self.cell(third, 5, section.footer_page.replace("{page}", str(self.page_no())), align=Align.C)
        self.set_xy(_MARGIN + 2 * third, y)
        self.cell(third, 5, self._fit(third, section.footer_issued), align=Align.R)
        self.set_auto_page_break(auto, margin)

    # -- blocks ------------------------------------------------------------------------------------

    def section(self, s: _Section) -> None:
        self._lang = s.lang
        self.add_page()
        ja = s.lang == "ja"
        lh = 5.8 if ja else 5.2
        body = 10.0 if ja else 10.5
        width = self.w - 2 * _MARGIN

        # Version label (left) with date and reference (right).
        top = self.y
        self._style(8, _GREY, bold=True)
        self.set_xy(_MARGIN, top)
        self.cell(40, 5, s.version_label)
        self._style(body)
        right_w = width * 0.55
        for line in (s.date_line, s.reference_line):
            self.set_x(self.w - _MARGIN - right_w)
            self.multi_cell(right_w, lh, line, align=Align.R, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
        self.ln(3)

        # Addressee.
        for i, line in enumerate(s.addressee):
            self._style(11 if i == 0 else body, bold=i == 0)
            self._para(line, lh + (0.6 if i == 0 else 0))
        if s.sender:
            self.ln(1)
            self._style(body)
            for line in s.sender:
                self.set_x(self.w - _MARGIN - right_w)
                self.multi_cell(right_w, lh, line, align=Align.R, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)

        # Title.
        self.ln(4)
        self._ensure_space(30)
        self._style(15 if ja else 14.5, _NAVY, bold=True)
        self._para(s.title, 8, align=Align.C)
        self._style(10.5, _GREY)
        self._para(s.subtitle, 5.6, align=Align.C)
        self.ln(3.5)

        # Body.
        self._style(body)
        if s.salutation:
            self._para(s.salutation, lh)
            self.ln(2)
        for text in s.paragraphs:
            self._para(text, lh)
            self.ln(1.4)
        if s.notice:
            self._notice(s.notice, lh, body)
        if s.closing_before_details:
            self._style(body)
            self._para(s.closing_before_details, lh, align=Align.R)
        if s.details_heading:
            self.ln(2)
            self._style(body + 0.5, bold=True)
            self._para(s.details_heading, lh, align=Align.C)
        self.ln(2)
        self._details(s.details, lh, body, label_w=30 if ja else 42)
        self.ln(2.5)
        self._style(body)
        for text in s.after_details:
            self._para(text, lh)
            self.ln(1.4)
        if s.end_mark:
            self._para(s.end_mark, lh, align=Align.R)

        # Sign-off, kept together.
        if s.sign_off or s.signature:
            self.ln(4)
            self._ensure_space(8 + lh * (len(s.signature) + 1))
        if s.sign_off:
            self._style(body)
            self._para(s.sign_off, lh)
            self.ln(8)
        for i, line in enumerate(s.signature):
            self._style(body if i else body + 0.5, _TEXT if i else _NAVY, bold=i == 0)
            if ja:
                self.set_x(self.w - _MARGIN - right_w)
                self.multi_cell(right_w, lh, line, align=Align.R, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
            else:
                self._para(line, lh)

    def _notice(self, text: str, lh: float, size: float) -> None:
        self.ln(1)
        color = (120, 60, 0)
        self._style(size, color, bold=True)
        pad = 3.0
        inner = self.w - 2 * _MARGIN - 2 * pad
        height = self._lines(inner, text) * lh + 2 * pad
        self._ensure_space(min(height, 60))
        top, page = self.y, self.page
        if top + height <= self.page_break_trigger:
            # Box first, text on top; a notice taller than the rest of the page goes unboxed.
            self.set_fill_color(*_NOTICE_FILL)
            self.set_draw_color(*_NOTICE_EDGE)
            self.set_line_width(0.8 * _PT)
            self.rect(_MARGIN, top, self.w - 2 * _MARGIN, height, style="DF")
            self._style(size, color, bold=True)
        self.set_xy(_MARGIN + pad, top + pad)
        self.multi_cell(
            inner, lh, text, align=Align.L, wrapmode=self._wrap(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_y(max(self.y + pad, top + height) if self.page == page else self.y + pad)
        self.ln(3)

    def _details(self, rows: list[tuple[str, str]], lh: float, size: float, label_w: float) -> None:
        gap = 3.0
        value_w = self.w - 2 * _MARGIN - label_w - gap
        x_label, x_value = _MARGIN, _MARGIN + label_w + gap
        usable = self.page_break_trigger - self.t_margin
        self._rule(self.y, _NAVY, 0.8)
        for label, value in rows:
            self._style(size)
            height = max(self._lines(value_w, value), self._lines(label_w, label)) * lh + 2.0
            if height < usable:
                self._ensure_space(height)
            top, page = self.y + 1.0, self.page
            self._style(size - 0.5, _GREY, bold=False)
            self.set_xy(x_label, top)
            self.multi_cell(label_w, lh, label, align=Align.L, wrapmode=self._wrap(label), new_x=XPos.LMARGIN)
            label_end = self.y
            self._style(size)
            self.set_xy(x_value, top)
            self.multi_cell(
                value_w, lh, value or "-", align=Align.L, wrapmode=self._wrap(value), new_x=XPos.LMARGIN
            )
            end = self.y if self.page != page else max(self.y, label_end)
            self.set_y(end + 1.0)
            self._rule(self.y, _RULE, 0.4)
        self._rule(self.y, _NAVY, 0.8)


# --------------------------------------------------------------------------------------------------
# Rendering.

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
_ALWAYS = frozenset(map(ord, " 0123456789/-–…()（）:：" + _ELLIPSIS))


def _render(data: LetterData, use_fallbacks: bool = True) -> bytes:
    primary = _primary_font()
    fields = {name: _clean(getattr(data, name)) for name in _FIELDS}
    # HarfBuzz shaping costs time and text fidelity: only for letters, and strings, that need it.
    shaping = any(_needs_shaping(value) for value in fields.values()) and _shaping_available()
    if fields["name_local"] and not shaping and _needs_shaping(fields["name_local"]):
        # Without HarfBuzz such a name would print garbled (vowel signs out of order, right-to-left text
        # reversed): the letter then names the participant by the Latin name only.
        fields["name_local"] = ""

    used = {ch for value in fields.values() for ch in value}
    missing = {
        ch for ch in used if ord(ch) not in primary.cmap and ch not in " \u3000" and ch not in _JOINERS
    }
    plan = _plan_fallbacks(missing) if use_fallbacks else {}
    owner = {ch: font for font, chars in plan.items() for ch in chars}
    covered = frozenset(primary.cmap.union(ord(ch) for ch in owner))
    fields = {name: _clamp(_covered(value, covered, owner)) for name, value in fields.items()}

    content = _compose(fields, data)
    chars_used = {ch for text in content.strings() for ch in text}
    chars = {ord(ch) for ch in chars_used}
    primary_range = sorted((chars | _ALWAYS) & primary.cmap)

    pdf = _LetterPDF(content, shaping=shaping)
    try:
        pdf.add_font(
            _FONT, "", primary.path, collection_font_number=primary.index, unicode_range=primary_range
        )
    except Exception as exc:  # the file changed or vanished since it was read
        _mark_unusable(primary.path)
        raise LetterFontError(f"Cannot load the Japanese font {primary.path}: {exc}") from exc
    # The embedded subset keeps the full font's bounding boxes instead of recomputing them by drawing
    # every glyph: a valid (larger) box, and a third less time spent writing the CJK font.
    ttfont = getattr(pdf.fonts[_FONT], "ttfont", None)
    if ttfont is not None:
        ttfont.recalcBBoxes = False
    fallback_names = []
    for i, (font, font_chars) in enumerate(plan.items()):
        wanted = sorted(
            {ord(ch) for ch in font_chars} | {ord(j) for j in _JOINERS & chars_used if ord(j) in font.cmap}
        )
        name = f"ascc-fallback-{i}"
        try:
            pdf.add_font(name, "", font.path, collection_font_number=font.index, unicode_range=wanted)
        except Exception as exc:
            _mark_unusable(font.path)
            raise _FallbackFontFailed(font.path) from exc
        fallback_names.append(name)
    if fallback_names:
        pdf.set_fallback_fonts(fallback_names, exact_match=False)

    issued = datetime(data.issued_on.year, data.issued_on.month, data.issued_on.day, tzinfo=UTC)
    pdf.set_creation_date(issued)
    pdf.set_title(f"{_TITLE_EN.get(data.status, 'Notice of Registration')} {content.reference}")
    pdf.set_subject(content.letterhead_en)
    pdf.set_author(content.organizer_en)
    pdf.set_creator("ASCC platform")
    pdf.set_lang("en")

    for section in content.sections:
        pdf.section(section)
    return bytes(pdf.output())
