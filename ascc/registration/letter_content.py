"""What the registration letter says, as plain strings, before any PDF is built: the fields cleaned
(control and override characters, characters no installed font has, lengths), dates in each language's
words (Babel), and the English and the Japanese letter composed. Fonts are then registered for exactly the
characters used (ascc.registration.letter). Pure: the standard library and Babel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ascc import dates

if TYPE_CHECKING:
    from ascc.fonts import FontFile
    from ascc.registration.letter import LetterData

# --------------------------------------------------------------------------------------------------
# Text cleaning.

_MAX_FIELD = 1000  # characters; longer values are cut with an ellipsis
_LINE_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
JOINERS = frozenset("\u200c\u200d")  # kept for shaping inside Indic words when a font covers them
_SPACES = re.compile(r"[^\S\u3000]+")  # whitespace runs, except the ideographic space
ELLIPSIS = "…"


def clean(value: object) -> str:
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
        if category == "Cf" and ch not in JOINERS:
            continue  # bidi overrides and isolates, zero-width space, BOM, tags...
        if "\ufe00" <= ch <= "\ufe0f":
            continue  # variation selectors: emoji or text presentation means nothing in this letter
        out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def keep_covered(text: str, covered: frozenset[int], owner: dict[str, FontFile]) -> str:
    """Drop characters no font covers; keep a joiner (ZWJ, ZWNJ) only inside a fallback-font script run."""
    out: list[str] = []
    previous = ""
    for ch in text:
        if ch in JOINERS:
            font = owner.get(previous)
            if font is not None and ord(ch) in font.cmap:
                out.append(ch)
            continue
        if ch == " " or ch == "\u3000" or ord(ch) in covered:
            out.append(ch)
            previous = ch
    return _SPACES.sub(" ", "".join(out)).strip()


def clamp(text: str, limit: int = _MAX_FIELD) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


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


def needs_shaping(text: str) -> bool:
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

# The named formats of every page and mail (ascc/dates.py): "Tuesday 10 October 2023", "2023年10月10日(火)".


def _en_date(d: date, weekday: bool = False) -> str:
    return dates.format_date(d, "en", "date_long" if weekday else "date")


def _en_range(start: date, end: date) -> str:
    return dates.date_range(start, end, "en", "date_long")


def _en_range_short(start: date, end: date) -> str:
    if start == end:
        return f"on {_en_date(start)}"
    first, _, last = dates.date_range(start, end, "en").partition(dates.DASH)
    return f"from {first.strip()} to {last.strip()}"


def _ja_date(d: date) -> str:
    return dates.format_date(d, "ja", "date")


def _ja_range(start: date, end: date) -> str:
    return dates.date_range(start, end, "ja", "date_long")


_MODE_EN = {"in_person": "In person (attendance at the venue)", "online": "Online (remote participation)"}
_MODE_JA = {"in_person": "会場参加", "online": "オンライン参加"}

TITLE_EN = {
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
class Section:
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
class Content:
    letterhead_en: str
    letterhead_ja: str
    organizer_en: str
    organizer_ja: str
    sections: list[Section] = field(default_factory=list)
    reference: str = ""
    qr_url: str = ""  # a visa letter's verification address, drawn as a QR code after the details

    def strings(self) -> list[str]:
        out = [self.letterhead_en, self.letterhead_ja, self.organizer_en, self.organizer_ja]
        for section in self.sections:
            out.extend(section.strings())
        return out


NB = "{nb}"  # fpdf2's total-pages alias; enabled only while the footer's page number is drawn


def compose(f: dict[str, str], data: LetterData) -> Content:
    status = data.status if data.status in TITLE_EN else "other"
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
    english = Section(
        lang="en",
        version_label="ENGLISH",
        date_line=f"Date: {issued_en}",
        reference_line=f"Reference: {ref}",
        addressee=[name_en, *profile],
        sender=[],
        title=TITLE_EN.get(status, "Notice of Registration"),
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
        footer_page="Page {page} of " + NB,
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
    japanese = Section(
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
        footer_page="{page} / " + NB + " ページ",
        footer_issued=f"発行日 {issued_ja}",
    )

    return Content(
        letterhead_en=edition_en,
        letterhead_ja=edition_ja,
        organizer_en=organizer_en,
        organizer_ja=organizer_ja,
        sections=[english, japanese],
        reference=ref,
    )
