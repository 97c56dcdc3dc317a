"""What the visa invitation letter adds to the bilingual registration letter: the title, an invitation
paragraph, the passport details (number, date of birth, nationality), the letter's own reference and where
a consulate verifies it (the address, and a QR code the layout draws). Pure: the standard library and Babel.

The registration letter (ascc.registration.letter) renders it: `LetterData.visa` set makes the letter a
visa letter; the rest of the letter (letterhead, addressee, conference, venue, sign-off) is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ascc import dates
from ascc.registration.letter_content import Content, Section


@dataclass(frozen=True)
class VisaDetails:
    letter_reference: str  # the visa letter's own reference, verified in public
    passport_number: str
    date_of_birth: date
    nationality_en: str
    nationality_ja: str
    verify_url: str  # the public page that says whether the letter is valid


FIELDS = ("letter_reference", "passport_number", "nationality_en", "nationality_ja", "verify_url")
TITLE_EN = "Letter of Invitation"
TITLE_JA = "招へい状"


def _replace(rows: list[tuple[str, str]], label: str, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows with `extra` inserted after the row named `label` (at the end when there is none)."""
    at = next((i + 1 for i, (name, _) in enumerate(rows) if name == label), len(rows))
    return [*rows[:at], *extra, *rows[at:]]


def apply(content: Content, f: dict[str, str], visa: VisaDetails, edition_en: str, edition_ja: str) -> None:
    """Turn the composed confirmation letter (`content`) into the invitation letter, in place."""
    ref = f["letter_reference"] or "-"
    url = f["verify_url"]
    born_en = dates.format_date(visa.date_of_birth, "en", "date")
    born_ja = dates.format_date(visa.date_of_birth, "ja", "date")
    content.qr_url = url
    content.reference = ref
    for section in content.sections:
        if section.lang == "en":
            _english(section, f, ref, url, born_en, edition_en)
        else:
            _japanese(section, f, ref, url, born_ja, edition_ja)


def _english(s: Section, f: dict[str, str], ref: str, url: str, born: str, edition: str) -> None:
    s.title = TITLE_EN
    s.reference_line = f"Letter reference: {ref}"
    s.paragraphs = [
        *s.paragraphs,
        f"On behalf of the organizer, we are pleased to invite the participant named below, holder of the "
        f"passport described, to attend the {edition} in Japan. This letter is issued to support the "
        "participant's application for a visa to enter Japan for this purpose.",
    ]
    s.details = _replace(
        s.details,
        "Participant",
        [
            ("Passport number", f["passport_number"] or "-"),
            ("Date of birth", born),
            ("Nationality", f["nationality_en"] or "-"),
        ],
    )
    s.details = [*s.details, ("Letter reference", ref)]
    s.after_details = [
        *s.after_details,
        f"The authenticity of this letter can be verified at {url} (letter reference {ref}). "
        "The page states whether the letter is valid or has been revoked; it shows no personal data.",
    ]
    s.footer_reference = f"Ref. {ref}"


def _japanese(s: Section, f: dict[str, str], ref: str, url: str, born: str, edition: str) -> None:
    s.title = TITLE_JA
    s.reference_line = f"招へい状番号：{ref}"
    s.paragraphs = [
        *s.paragraphs[:-1],  # before "please quote the registration number"
        f"　主催者を代表し、下記の旅券を所持する参加者を「{edition}」に招へいいたします。"
        "本書は、参加者が本会議参加のため日本への入国査証（ビザ）を申請するにあたり発行するものです。",
        *s.paragraphs[-1:],
    ]
    s.details = _replace(
        s.details,
        "参加者",
        [
            ("旅券番号", f["passport_number"] or "-"),
            ("生年月日", born),
            ("国籍", f["nationality_ja"] or f["nationality_en"] or "-"),
        ],
    )
    s.details = [*s.details, ("招へい状番号", ref)]
    s.after_details = [
        *s.after_details,
        f"本書の真正性は {url} （招へい状番号 {ref}）にてご確認いただけます。"
        "同ページには本書が有効か取り消されたかのみが表示され、個人情報は表示されません。",
    ]
    s.footer_reference = f"招へい状番号 {ref}"
