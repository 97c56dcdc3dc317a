"""The bilingual registration letter (ascc.registration.letter): content, scripts, hostile input, fonts.

Text is read back with pypdf. fpdf2 writes Noto Sans CJK (a CID-keyed CFF font) with an embedded
encoding CMap whose codes are two bytes; pypdf 7 does not parse such a CMap and would read the codes
byte by byte (NUL + character, and wrong characters past the 256th glyph). `_text` therefore declares
those fonts Identity-H before extracting: the codes are then read as two bytes and mapped through the
font's own ToUnicode table, which is what PDF viewers and poppler's pdftotext do.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from ascc import fonts
from ascc.registration.letter import LetterData, LetterFontError, render_letter
from tests.support import needs
from tests.support.pdf import pdf_text

CONFERENCE_EN = "Asia Smart City Conference 2023"
CONFERENCE_JA = "アジア・スマートシティ会議2023"

BASE = LetterData(
    reference="ASCC2023-000123",
    issued_on=date(2023, 9, 1),
    name_latin="Haruka Sato",
    name_local="佐藤 遥",
    position="Director, Smart City Promotion Division",
    organization="Yokohama Smart City Partners Association",
    country_name_en="Japan",
    edition_name_en=CONFERENCE_EN,
    edition_name_ja=CONFERENCE_JA,
    starts_on=date(2023, 10, 10),
    ends_on=date(2023, 10, 12),
    venue_en="Pacifico Yokohama",
    venue_address_en="1-1-1 Minatomirai, Nishi-ku, Yokohama, Kanagawa 220-0012, Japan",
    venue_ja="パシフィコ横浜",
    venue_address_ja="〒220-0012 神奈川県横浜市西区みなとみらい1-1-1",
    mode="in_person",
    status="confirmed",
)


# --- helpers ----------------------------------------------------------------------------------------------------


def _require_font(name: str, package: str) -> None:
    needs.installed(fonts.find_font(name) is not None, f"font file {name} (Debian package {package})")


@pytest.fixture
def cjk() -> None:
    """Every rendering test needs Noto Sans CJK: without it render_letter raises LetterFontError."""
    found = any(fonts.find_font(name) is not None for name in fonts.CJK_FILES)
    needs.installed(found, "Noto Sans CJK (Debian package fonts-noto-cjk)")


def _reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def _fonts(reader: PdfReader) -> list:
    fonts = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            fonts.append(ref.get_object())
    return fonts


def _text(pdf: bytes, first_page_only: bool = False) -> str:
    return pdf_text(pdf, first_page_only)


@functools.cache
def _base_pdf() -> bytes:
    return render_letter(BASE)


def _flat(text: str) -> str:
    """Whitespace, line breaks included, as single spaces: wrapped lines read as one sentence."""
    return re.sub(r"\s+", " ", text)


def _dense(text: str) -> str:
    """No whitespace at all: Japanese wraps between any two characters."""
    return re.sub(r"\s+", "", text)


def _base_fonts(pdf: bytes) -> list[str]:
    return [str(font["/BaseFont"]) for font in _fonts(_reader(pdf))]


# --- content ----------------------------------------------------------------------------------------------------


def test_letter_names_from_inputs_appear_in_text(cjk, inputs):
    for person in inputs["names"]:
        pdf = render_letter(replace(BASE, name_latin=person["latin"], name_local=person["local"]))
        text = _flat(_text(pdf, first_page_only=True))  # the English version
        assert person["latin"] in text, person
        assert CONFERENCE_EN in text, person
        if person["country"] in ("JP", "CN", "KR", "VN", "PH", "MN"):
            # Scripts Noto Sans CJK covers itself: the local name is always printed.
            assert _dense(person["local"]) in _dense(text), person


def test_letter_japanese_local_name_appears_in_both_versions(cjk):
    text = _text(_base_pdf())
    english, japanese = text.split("和文（JAPANESE）")
    assert "Haruka Sato (佐藤 遥)" in _flat(english)
    assert "HarukaSato（佐藤遥）様" in _dense(japanese)


def test_letter_conference_name_appears_in_english_and_japanese(cjk):
    text = _text(_base_pdf())
    assert CONFERENCE_EN in _flat(text)
    assert CONFERENCE_JA in _dense(text)


def test_letter_vietnamese_name_extracts_exactly(cjk):
    for given in ("Nguyễn Thị Minh Thư", unicodedata.normalize("NFD", "Nguyễn Thị Minh Thư")):
        pdf = render_letter(replace(BASE, name_latin="Nguyen Thi Minh Thu", name_local=given))
        assert "Nguyen Thi Minh Thu (Nguyễn Thị Minh Thư)" in _flat(_text(pdf))


def test_letter_details_appear_with_reference_dates_venue_and_mode(cjk):
    text = _flat(_text(_base_pdf()))
    for expected in (
        "Reference: ASCC2023-000123",
        "Date: 1 September 2023",
        "Tuesday 10 – Thursday 12 October 2023",
        "Pacifico Yokohama",
        "1-1-1 Minatomirai, Nishi-ku, Yokohama, Kanagawa 220-0012, Japan",
        "In person",
        "City of Yokohama, International Affairs Bureau",
    ):
        assert expected in text
    dense = _dense(text)
    for expected in (
        "登録番号：ASCC2023-000123",
        "2023年10月10日(火)～12日(木)",
        "パシフィコ横浜",
        "会場参加",
    ):
        assert expected in dense


def test_letter_local_name_equal_to_latin_is_not_repeated(cjk):
    pdf = render_letter(
        replace(BASE, name_latin="Nur Aisyah binti Rahman", name_local="Nur Aisyah binti Rahman")
    )
    text = _flat(_text(pdf))
    assert "Nur Aisyah binti Rahman" in text
    assert "(Nur Aisyah binti Rahman)" not in text


def test_letter_online_mode_says_venue_attendance_is_not_included(cjk):
    text = _text(render_letter(replace(BASE, mode="online")))
    assert "does not include attendance at the venue" in _flat(text)
    assert "オンライン参加" in _dense(text)


# --- status -----------------------------------------------------------------------------------------------------


def test_letter_confirmed_status_confirms_the_place(cjk):
    text = _text(_base_pdf())
    assert "Letter of Confirmation of Registration" in _flat(text)
    assert "your place at the conference is confirmed" in _flat(text)
    assert "登録確認書" in _dense(text)
    assert "参加登録が確定いたしました" in _dense(text)


@pytest.mark.parametrize("status", ["waiting", "pending"])
def test_letter_unconfirmed_status_does_not_say_place_is_confirmed(cjk, status):
    text = _text(render_letter(replace(BASE, status=status)))
    flat, dense = _flat(text), _dense(text)
    assert "Letter of Confirmation" not in flat
    assert "place at the conference is confirmed" not in flat
    assert "not yet confirmed" in flat
    assert "cannot be used to support a visa application" in flat
    assert "登録確認書" not in dense
    assert "確定いたしました" not in dense
    assert "参加はまだ確定していません" in dense
    expected = {"waiting": ("Waiting List", "キャンセル待ち"), "pending": ("Pending Review", "確認中")}[
        status
    ]
    assert expected[0] in flat
    assert expected[1] in dense


# --- hostile and unusual input ----------------------------------------------------------------------------------


def test_letter_hostile_strings_render_as_literal_text(cjk, inputs):
    hostile = [value for value in inputs["hostile"] if value.strip()]
    pdf = render_letter(
        replace(
            BASE,
            position=" | ".join(hostile),
            organization=" | ".join(inputs["unicode_traps"]),
            name_local="\u202e佐藤\x00 遥",
        )
    )
    text = _flat(_text(pdf))
    assert "<script>alert(1)</script>" in text
    assert "{{ 7*7 }}" in text
    assert "'; DROP TABLE registration; --" in text
    assert "Haruka Sato (佐藤 遥)" in text
    assert "xy" in text  # "x\x00y" without its NUL
    assert "\u202e" not in text
    assert "\x00" not in text


@pytest.mark.parametrize(
    "field", ["name_latin", "name_local", "position", "organization", "reference", "venue_en"]
)
def test_letter_control_and_override_characters_do_not_raise(cjk, field):
    value = "A\x00B\x07C\x1b[31mD\u202eE\u2066F\ufeffG\ud800H\tI\r\nJ"
    pdf = render_letter(replace(BASE, **{field: value}))
    text = _text(pdf)
    for bad in ("\x07", "\x1b", "\u202e", "\u2066", "\ufeff", "\ud800"):
        assert bad not in text
    assert "ABC[31mDEFGH I J" in _flat(text)


def test_letter_empty_and_blank_values_do_not_raise(cjk):
    pdf = render_letter(
        replace(BASE, name_local=" ", position="", organization=None, country_name_en=None, name_latin=" ")
    )
    assert "Letter of Confirmation of Registration" in _flat(_text(pdf))


def test_letter_emoji_is_dropped_without_error(cjk):
    pdf = render_letter(replace(BASE, name_local="佐藤 遥 👩🏽‍💼", position="Delegate 🎉 lead 🏙️"))
    text = _flat(_text(pdf))
    assert "Haruka Sato (佐藤 遥)" in text
    assert "Delegate lead" in text  # an emoji no installed font has is left out
    assert "👩" not in text and "🎉" not in text and "\ufe0f" not in text


def test_letter_nb_alias_in_user_text_is_not_replaced_by_page_count(cjk):
    text = _flat(_text(render_letter(replace(BASE, reference="{nb}-REF", position="page {nb}"))))
    assert "Reference: {nb}-REF" in text
    assert "page {nb}" in text
    assert "Page 1 of 2" in text


def test_letter_long_organization_wraps_within_the_page(cjk):
    organization = (
        "Department of Urban Development and Smart Infrastructure, Metropolitan Government Office for "
        "Sustainable Transport, Digital Services, Resilience and International Cooperation of the Capital Region"
    )
    assert len(organization) >= 190
    pdf = render_letter(replace(BASE, organization=organization))
    text = _text(pdf)
    assert organization in _flat(text)
    assert all(organization not in line for line in text.splitlines())  # wrapped over several lines
    assert max(len(line) for line in text.splitlines()) < 160
    assert len(_reader(pdf).pages) == 2


def test_letter_unbroken_long_value_wraps_within_the_page(cjk):
    pdf = render_letter(replace(BASE, organization="X" * 300))
    lines = [line for line in _text(pdf).splitlines() if "XXXX" in line]
    assert len(lines) >= 3
    assert "".join(lines).count("X") >= 300 * 2  # English and Japanese versions, nothing lost


def test_letter_ten_thousand_character_organization_does_not_raise(cjk):
    pdf = render_letter(replace(BASE, organization="Very Long Organization " * 435, status="waiting"))
    reader = _reader(pdf)
    assert 2 <= len(reader.pages) <= 8
    assert "Haruka Sato" in _text(pdf)


def test_letter_header_prints_the_demo_conferences_full_japanese_name(cjk):
    """The letterhead's Japanese half shrinks the name to fit instead of cutting it (#25): "（Y-SHIP 2…"."""
    name_ja = "第12回アジア・スマートシティ会議（Y-SHIP 2023）"
    pdf = render_letter(replace(BASE, edition_name_ja=name_ja))
    # The English page: the Japanese name is in its letterhead only.
    header = _text(pdf, first_page_only=True).splitlines()[0]
    assert _dense(name_ja) in _dense(header)
    assert "…" not in header


# --- pages and fonts --------------------------------------------------------------------------------------------


def test_letter_ordinary_data_gives_one_a4_page_per_language(cjk):
    reader = _reader(_base_pdf())
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 595
        assert round(float(page.mediabox.height)) == 842


def test_letter_embeds_noto_sans_cjk_font(cjk):
    reader = _reader(_base_pdf())
    cjk_fonts = [font for font in _fonts(reader) if "NotoSansCJK" in str(font["/BaseFont"])]
    assert cjk_fonts
    for font in cjk_fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor  # embedded, not referenced


def test_letter_same_data_gives_same_bytes(cjk):
    assert render_letter(BASE) == render_letter(BASE)


def test_letter_thai_name_uses_thai_fallback_font(cjk):
    _require_font("NotoSansThai-Regular.ttf", "fonts-noto-core")
    pdf = render_letter(replace(BASE, name_latin="Somchai Jaidee", name_local="สมชาย ใจดี"))
    assert "Somchai Jaidee (สมชาย ใจดี)" in _flat(_text(pdf))
    assert any("NotoSansThai" in name for name in _base_fonts(pdf))


def test_letter_mongolian_cyrillic_letters_use_fallback_font(cjk):
    _require_font("NotoSans-Regular.ttf", "fonts-noto-core")
    pdf = render_letter(replace(BASE, name_latin="Ulziibat Bold", name_local="Өлзийбат Болд"))
    assert "Ulziibat Bold (Өлзийбат Болд)" in _flat(_text(pdf))


def test_letter_missing_fallback_fonts_drop_characters_without_error(cjk, monkeypatch):
    monkeypatch.setattr(fonts, "FALLBACK_FILES", ("NoSuchFont-Regular.ttf",))
    pdf = render_letter(replace(BASE, name_latin="Somchai Jaidee", name_local="สมชาย ใจดี", position="Өлзий"))
    text = _flat(_text(pdf))
    assert "Somchai Jaidee" in text
    assert "สมชาย" not in text
    assert "лзий" in text and "Ө" not in text


def test_letter_complex_script_name_without_shaping_keeps_latin_name_only(cjk, monkeypatch):
    monkeypatch.setattr(fonts, "shaping_available", lambda: False)
    pdf = render_letter(replace(BASE, name_latin="Kasun Perera", name_local="කසුන් පෙරේරා"))
    text = _flat(_text(pdf))
    assert "Dear Kasun Perera," in text
    assert "Kasun Perera (" not in text


def test_letter_font_files_are_read_once_per_process(cjk, monkeypatch):
    render_letter(replace(BASE, name_local="佐藤 遥 Өлзий สมชาย"))
    calls = []
    real = fonts._probe_face
    monkeypatch.setattr(fonts, "_probe_face", lambda *args: calls.append(args) or real(*args))
    render_letter(replace(BASE, name_local="佐藤 遥 Өлзий สมชาย"))
    assert calls == []


def test_letter_without_cjk_font_raises_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "CJK_FILES", ("NoSuchCJKFont-Regular.ttc",))
    with pytest.raises(LetterFontError, match="fonts-noto-cjk"):
        render_letter(BASE)
