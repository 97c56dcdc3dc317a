"""Printed badges fit any name: the longest names of the shared test data, an 84-character and a
200-character organization, every script, read back from the PDF (text, font sizes, where each run is
drawn), the PNG (its QR decoded by a real decoder, its margins and the QR's quiet zone blank) and the SVG."""

from __future__ import annotations

import io
import itertools
import unicodedata
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from ascc.badges import fit, render, signing
from ascc.badges.face import BadgeFace
from tests.badges.pdf_runs import Run, page_texts, text_runs
from tests.support.pdf import pdf_text

MM = 72 / 25.4  # points per millimetre
A4_HEIGHT = 297.0
ORG84 = "Department of Natural Resources and Environment, Ho Chi Minh City People's Committee"
ORG200 = (
    "International Council for Local Environmental Initiatives, South and Southeast Asia Secretariat, "
    "Regional Programme on Resilient Cities, Water Utilities and Solid Waste Management in Mekong Basin"
)
JAPANESE = "横浜市温暖化対策統括本部脱炭素GREEN×EXPO推進局国際連携課" * 2
THAI = "กรมทรัพยากรธรรมชาติและสิ่งแวดล้อมกรุงเทพมหานครกระทรวงมหาดไทย"
LONG = (ORG200, JAPANESE, THAI)
KEY = signing.new_private_key()


def face(latin: str, local: str = "", organization: str = "", country: str = "VN", mode: str = "in_person"):
    now = datetime.now(UTC)
    payload = signing.Payload(1, "city_official", mode, signing.new_nonce(), now, now + timedelta(days=3))
    marks = ("speaker", "press", "organizer", "exhibitor")
    code = signing.sign(payload, KEY)
    return BadgeFace(
        latin, local, organization, country, "city_official", mode, marks, code, "K7QX-M2PA", "A-1"
    )


def squash(text: str) -> str:
    """Text as a reader compares it: compatibility forms folded, no spaces or zero-width characters.
    Control characters go too: fpdf2 maps the glyphs HarfBuzz splits a Sinhala vowel into (drawn before
    and after its consonant) to U+0005 and U+0007 in the text layer; viewers copy them as well."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(
        ch
        for ch in folded
        if not ch.isspace() and ch not in "\u200b\u200c\u200d" and unicodedata.category(ch) != "Cc"
    )


def rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def cases(inputs: dict) -> list[BadgeFace]:
    names = inputs["names"]
    longest_latin = max(names, key=lambda n: len(n["latin"]))
    longest_local = max(names, key=lambda n: len(n.get("local") or ""))
    reasonable = inputs["lengths"]["name_max_reasonable"]
    name200 = " ".join(n["latin"] for n in names)[:reasonable].strip()
    faces = [face(n["latin"], n.get("local") or "", ORG84, n["country"]) for n in names]
    return [
        *faces,
        face(longest_latin["latin"], longest_local["local"], ORG200, mode="online"),
        face(name200, "", ORG84),
        face("Haruka Sato", "佐藤 遥", JAPANESE, "JP"),
        face("Somchai Jaidee", "สมชาย ใจดี", THAI, "TH"),
        *(face(trap, trap, trap) for trap in inputs["unicode_traps"]),
        *(face("Maria Reyes", "", hostile, "PH") for hostile in inputs["hostile"]),
    ]


@pytest.fixture(scope="module")
def all_cases(inputs) -> list[BadgeFace]:
    return cases(inputs)


def test_the_test_names_lose_no_letter_to_the_fonts(inputs) -> None:
    for name in inputs["names"]:
        for text in (name["latin"], name["local"]):
            assert squash(fit.clean(text)) == squash(text)


def check_runs(runs: list[Run], card: list[fit.Line], ox: float = 0, oy: float = 0) -> None:
    """Every run inside the card's margins, above or below the QR with its quiet zone, at its line's size."""
    qr_left, qr_right = (fit.WIDTH - fit.QR_SIZE) / 2, (fit.WIDTH + fit.QR_SIZE) / 2
    for run in runs:
        x0, x1 = run.x0 / MM - ox, run.x1 / MM - ox
        baseline = oy - run.y / MM  # mm from the card's top; oy is the card's bottom edge
        top, bottom = baseline - 0.9 * run.size / MM, baseline + 0.3 * run.size / MM
        assert fit.MARGIN - 0.2 <= x0 <= x1 <= fit.WIDTH - fit.MARGIN + 0.2, (run, x0, x1)
        assert 0 <= top < bottom <= fit.HEIGHT, run
        if x1 > qr_left and x0 < qr_right:
            assert bottom <= fit.QR_TOP or top >= fit.QR_TOP + fit.QR_SIZE, run
        line = min(card, key=lambda line: abs(line.baseline - baseline))
        assert abs(line.baseline - baseline) < 1.0, run  # marks may sit a little off the baseline
        assert run.size == pytest.approx(line.size, abs=0.3)
        assert run.size >= fit.RULES[line.key].smallest - 0.3


def test_a6_pdf_carries_every_name_and_organization_whole_legible_and_inside_the_card(all_cases) -> None:
    pdf = render.pdf(all_cases, "Asia Smart City Conference 2023")
    texts, runs = page_texts(pdf), text_runs(pdf)
    assert len(texts) == len(all_cases)
    for page, badge in enumerate(all_cases):
        text = squash(texts[page])
        card = render.lines(badge, "Asia Smart City Conference 2023")
        assert not any(line.text.endswith(fit.ELLIPSIS) for line in card), badge
        for value in (badge.name_latin, badge.name_local, badge.organization):
            shown = fit.clean(value)
            if rtl(shown):  # a viewer reads right-to-left words in the order they are drawn
                assert all(squash(word) in text for word in shown.split()), value
            else:
                assert squash(shown) in text, value
        assert all(
            line.size >= {"name": 14, "local": 12}.get(line.key, 9) for line in card if line.key in fit.MIDDLE
        )
        check_runs([run for run in runs if run.page == page], card, oy=fit.HEIGHT)


def test_the_84_character_organization_prints_at_13_pt_in_three_lines() -> None:
    card = render.lines(face("Nguyen Thi Minh Thu", "Nguyễn Thị Minh Thư", ORG84), "ASCC 2023")
    organization = [line for line in card if line.key == "organization"]
    assert [line.size for line in organization] == [13, 13, 13]
    assert " ".join(line.text for line in organization) == ORG84
    runs = text_runs(render.pdf([face("Nguyen Thi Minh Thu", "Nguyễn Thị Minh Thư", ORG84)], "ASCC 2023"))
    assert {run.size for run in runs if run.y / MM < fit.HEIGHT - fit.BAND} >= {26, 20, 13}


def test_badge_sheets_keep_each_badge_inside_its_quarter_of_the_a4_page(all_cases) -> None:
    chosen = [badge for badge in all_cases if badge.organization in LONG or len(badge.name_latin) > 100]
    pdf = render.pdf(chosen, "ASCC 2023", "a4")
    runs = text_runs(pdf)
    for index, badge in enumerate(chosen):
        page, slot = divmod(index, 4)
        ox, card_top = (slot % 2) * fit.WIDTH, (slot // 2) * fit.HEIGHT
        mine = [
            run
            for run in runs
            if run.page == page
            and ox <= (run.x0 + run.x1) / 2 / MM < ox + fit.WIDTH
            and card_top <= A4_HEIGHT - run.y / MM < card_top + fit.HEIGHT
        ]
        assert len(mine) > 10
        check_runs(mine, render.lines(badge, "ASCC 2023"), ox=ox, oy=A4_HEIGHT - card_top)
    assert squash(ORG200) in squash(pdf_text(pdf))


def test_png_keeps_margins_and_the_qr_quiet_zone_blank_and_the_code_decodes(all_cases) -> None:
    for badge in all_cases:
        image = Image.open(io.BytesIO(render.png(badge, "Asia Smart City Conference 2023"))).convert("L")
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert [barcode.text for barcode in found] == [badge.code]
        scale = image.width / fit.WIDTH
        margin = int((fit.MARGIN - 0.5) * scale)
        below_band = range(round(fit.BAND * scale) + 1, image.height)
        pixels = image.load()
        assert all(
            pixels[x, y] > 240
            for y in below_band
            for x in (*range(margin), *range(image.width - margin, image.width))
        )
        corners = found[0].position
        xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x, corners.bottom_right.x]
        ys = [corners.top_left.y, corners.top_right.y, corners.bottom_left.y, corners.bottom_right.y]
        module = (max(xs) - min(xs)) / (len(render.qr_matrix(badge.code)) - 1)
        inner = (min(xs) - module, min(ys) - module, max(xs) + module, max(ys) + module)
        outer = (
            min(xs) - 3.5 * module,
            min(ys) - 3.5 * module,
            max(xs) + 3.5 * module,
            max(ys) + 3.5 * module,
        )
        ring = [
            (x, y)
            for x, y in itertools.product(
                range(int(outer[0]), int(outer[2]) + 1), range(int(outer[1]), int(outer[3]) + 1)
            )
            if not (inner[0] <= x <= inner[2] and inner[1] <= y <= inner[3])
        ]
        assert all(pixels[x, y] > 240 for x, y in ring), "text in the QR's quiet zone"


def test_svg_shows_the_same_lines_at_the_same_sizes_never_wider_than_the_card(all_cases) -> None:
    svg_ns = "{http://www.w3.org/2000/svg}text"
    for badge in all_cases:
        card = render.lines(badge, "ASCC 2023")
        texts = list(ET.fromstring(render.svg(badge, "ASCC 2023")).iter(svg_ns))
        assert [t.text for t in texts] == [line.text for line in card]
        for element, line in zip(texts, card, strict=True):
            assert float(element.get("font-size", 0)) == pytest.approx(line.size * fit.PT, abs=0.01)
            assert element.get("text-anchor") == "middle" and float(element.get("x", 0)) == fit.WIDTH / 2
            assert float(element.get("textLength", line.width)) <= fit.LINE


def test_cjk_breaks_between_characters_and_thai_never_inside_a_cluster() -> None:
    japanese = fit.fit("東京都環境局気候変動対策部計画課" * 5, fit.RULES["organization"])
    thai_text = THAI * 3
    thai = fit.fit(thai_text, fit.RULES["organization"])
    assert (
        len(japanese.lines) == 3
        and japanese.size >= 9
        and "".join(japanese.lines) == "東京都環境局気候変動対策部計画課" * 5
    )
    assert thai.size == 9 and "".join(thai.lines) == thai_text and len(thai.lines) > 1
    for before, after in itertools.pairwise(thai.lines):
        assert unicodedata.category(after[0]) not in ("Mn", "Mc") and after[0] not in "ะาำๅๆ"
        assert before[-1] not in "เแโใไ\u0e3a"
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Minh Thư")
    assert fit.fit(decomposed, fit.RULES["name"]).lines == ("Nguyễn Thị Minh Thư",)


def test_only_texts_too_long_together_are_shortened_and_still_fit() -> None:
    card = fit.layout({"name": "W" * 200, "local": "佐" * 200, "organization": "O" * 200, "country": "Japan"})
    middle = [line for line in card if line.key in fit.MIDDLE]
    assert any(line.text.endswith(fit.ELLIPSIS) for line in middle)
    assert all(line.size >= fit.RULES[line.key].smallest for line in middle)
    assert all(line.width <= fit.LINE for line in card)
    assert (
        fit.ZONE[0] <= min(line.baseline for line in middle)
        and max(line.baseline for line in middle) < fit.ZONE[1]
    )


def test_every_text_at_its_smallest_size_in_its_own_lines_fits_between_band_and_code() -> None:
    # The promise that only texts needing more than their own lines are ever shortened.
    at_minimum = [fit.Fitted(("x",) * fit.RULES[key].lines, fit.RULES[key].smallest) for key in fit.MIDDLE]
    assert (
        sum(f.height for f in at_minimum) + fit.TIGHT_GAP * (len(at_minimum) - 1) <= fit.ZONE[1] - fit.ZONE[0]
    )
    card = fit.layout(
        {
            "name": "Nur Aisyah binti Rahman Maria Cristina dela Cruz Andi Muhammad",
            "local": "María Cristina dela Cruz Nguyễn Thị Minh Thư Trần Văn Hoàng Somchai",
            "organization": ORG200,
            "country": "Viet Nam",
            "marks": "SPEAKER\u00a0登壇者  PRESS\u00a0報道  ORGANIZER\u00a0主催者  EXHIBITOR\u00a0出展者",
            "online": "ONLINE / オンライン参加",
        }
    )
    assert not any(line.text.endswith(fit.ELLIPSIS) for line in card)
    assert " ".join(line.text for line in card if line.key == "organization") == ORG200
