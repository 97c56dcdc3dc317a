"""Badges drawn as SVG (screens, browsers pick the fonts), PNG (a phone's lock screen) and PDF (print: one
A6 badge per page, or four on A4 with cut marks). Pure: a BadgeFace in, bytes out.

Layout of the A6 card (105 x 148 mm): a band in the category's colour with the edition and the category in
English and Japanese; the name in Latin script, large, then in the local script; organization and country;
the role marks; the signed QR code with the short code to type under it. Online badges say so.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable, Iterable
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from ascc.badges.face import CATEGORY_COLOURS, BadgeFace
from ascc.fonts import CITY_SCRIPTS, fallback_fonts, primary_font
from ascc.i18n import country_name, translate
from ascc.pdf_tables import UnicodeDocument

WIDTH, HEIGHT = 105.0, 148.0  # mm, A6 portrait
BAND = 24.0
QR_SIZE = 46.0
QUIET = 4  # modules of white around the code, as the QR standard asks


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of the code for `text` (error correction M: a creased badge still scans)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _runs(matrix: list[list[bool]]) -> Iterable[tuple[int, int, int]]:
    """Dark runs per row as (x, y, length): far fewer shapes than one per module."""
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield start, y, x - start
            else:
                x += 1


def labels(face: BadgeFace) -> dict[str, str]:
    """Texts of a badge besides the person's own, in both languages."""
    return {
        "category_en": translate("en", f"category.{face.category}"),
        "category_ja": translate("ja", f"category.{face.category}"),
        "country": country_name(face.country, "en") if face.country else "",
        "online": translate("en", "badges.online") + " / " + translate("ja", "badges.online"),
        "marks": "  ".join(
            translate("en", f"badges.mark.{m}").upper() + " " + translate("ja", f"badges.mark.{m}")
            for m in face.marks
        ),
    }


# --- SVG ---------------------------------------------------------------------------------------------------

_FONTS = "'Noto Sans CJK JP','Noto Sans JP','Noto Sans','Noto Sans Thai',sans-serif"


def svg(face: BadgeFace, edition: str) -> str:
    text = labels(face)
    colour = CATEGORY_COLOURS.get(face.category, "#333333")
    matrix = qr_matrix(face.code)
    module = QR_SIZE / (len(matrix) + 2 * QUIET)
    qr_x, qr_y = (WIDTH - QR_SIZE) / 2, HEIGHT - QR_SIZE - 14
    path = "".join(
        f"M{qr_x + (x + QUIET) * module:.3f} {qr_y + (y + QUIET) * module:.3f}h{n * module:.3f}v{module:.3f}h-{n * module:.3f}z"
        for x, y, n in _runs(matrix)
    )

    def line(y: float, size: float, value: str, weight: str = "400", fill: str = "#111") -> str:
        if not value:
            return ""
        return (
            f'<text x="{WIDTH / 2}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="middle" textLength="{WIDTH - 12}" lengthAdjust="spacingAndGlyphs">'
            f"{escape(_clean(value))}</text>"
            if len(value) * size * 0.55 > WIDTH - 12
            else f'<text x="{WIDTH / 2}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="middle">{escape(_clean(value))}</text>'
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}mm" '
        f'height="{HEIGHT}mm" font-family="{_FONTS}" role="img" aria-label="{escape(_clean(face.name_latin))}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<rect width="{WIDTH}" height="{BAND}" fill="{colour}"/>',
        line(9, 5.2, edition, "700", "#fff"),
        line(15.5, 4.2, text["category_en"], "400", "#fff"),
        line(21, 4.2, text["category_ja"], "400", "#fff"),
        line(40, 9, face.name_latin, "700"),
        line(50, 7, face.name_local),
        line(60, 4.6, face.organization),
        line(66.5, 4.2, text["country"], "400", "#444"),
        line(74, 3.6, text["marks"], "700", colour),
        line(80, 3.6, text["online"] if face.mode == "online" else "", "700", "#c0392b"),
        f'<path d="{path}" fill="#000"/>',
        line(HEIGHT - 7, 4.2, face.badge_code, "700"),
        line(HEIGHT - 2.5, 2.6, face.reference, "400", "#666"),
        "</svg>",
    ]
    return "".join(parts)


def _clean(value: str) -> str:
    """No control characters (XML refuses most of them; printers print garbage)."""
    return "".join(
        ch for ch in value if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff"
    )


# --- PNG ---------------------------------------------------------------------------------------------------


@functools.cache
def _png_fonts() -> list[tuple[str, int, frozenset[int]]]:
    """(path, collection index, covered code points), the CJK face first, then the fallbacks."""
    faces = [primary_font(), *fallback_fonts(CITY_SCRIPTS)]
    return [(face.path, face.index, face.cmap) for face in faces]


@functools.cache
def _png_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def _font_for(value: str, size: int) -> tuple[ImageFont.FreeTypeFont, str]:
    """The first font that has every character; else the CJK face, without the characters it lacks."""
    fonts = _png_fonts()
    for path, index, covered in fonts:
        if all(ord(ch) in covered or ch == " " for ch in value):
            return _png_font(path, index, size), value
    path, index, covered = fonts[0]
    return _png_font(path, index, size), "".join(ch for ch in value if ord(ch) in covered or ch == " ")


def png(face: BadgeFace, edition: str, width: int = 630) -> bytes:
    scale = width / WIDTH  # pixels per mm
    height = round(HEIGHT * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    text = labels(face)
    colour = CATEGORY_COLOURS.get(face.category, "#333333")
    draw.rectangle((0, 0, width, round(BAND * scale)), fill=colour)

    def line(y_mm: float, size_mm: float, value: str, fill: str = "#111111") -> None:
        value = _clean(value)
        if not value:
            return
        size = round(size_mm * scale)
        font, value = _font_for(value, size)
        while size > 8 and draw.textlength(value, font=font) > width - 12 * scale:
            size -= 2
            font, value = _font_for(value, size)
        draw.text((width / 2, y_mm * scale), value, font=font, fill=fill, anchor="ms")

    line(9, 5.2, edition, "#ffffff")
    line(15.5, 4.2, text["category_en"], "#ffffff")
    line(21, 4.2, text["category_ja"], "#ffffff")
    line(40, 9, face.name_latin)
    line(50, 7, face.name_local)
    line(60, 4.6, face.organization)
    line(66.5, 4.2, text["country"], "#444444")
    line(74, 3.6, text["marks"], colour)
    if face.mode == "online":
        line(80, 3.6, text["online"], "#c0392b")
    matrix = qr_matrix(face.code)
    module = max(1, round(QR_SIZE * scale / (len(matrix) + 2 * QUIET)))
    left = (width - module * (len(matrix) + 2 * QUIET)) // 2
    top = round((HEIGHT - QR_SIZE - 14) * scale)
    for x, y, n in _runs(matrix):
        x0, y0 = left + (x + QUIET) * module, top + (y + QUIET) * module
        draw.rectangle((x0, y0, x0 + n * module - 1, y0 + module - 1), fill="black")
    line(HEIGHT - 7, 4.2, face.badge_code)
    line(HEIGHT - 2.5, 2.6, face.reference, "#666666")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------------

LAYOUTS = ("a6", "a4")


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _draw(pdf: UnicodeDocument, face: BadgeFace, edition: str, ox: float, oy: float) -> None:
    text = labels(face)
    colour = _hex(CATEGORY_COLOURS.get(face.category, "#333333"))
    pdf.set_fill_color(*colour)
    pdf.rect(ox, oy, WIDTH, BAND, style="F")

    def line(y: float, size: float, value: str, rgb: tuple[int, int, int] = (17, 17, 17)) -> None:
        value = pdf.printable(_clean(value))
        if not value.strip():
            return
        pdf.set_text_color(*rgb)
        pdf.set_font("main", size=size)
        while size > 6 and pdf.get_string_width(value) > WIDTH - 12:
            size -= 1
            pdf.set_font("main", size=size)
        pdf.set_xy(ox + 6, oy + y - size * 0.3)
        pdf.cell(WIDTH - 12, size * 0.4, value, align="C")

    line(9, 15, edition, (255, 255, 255))
    line(15.5, 11, text["category_en"], (255, 255, 255))
    line(21, 11, text["category_ja"], (255, 255, 255))
    line(40, 26, face.name_latin)
    line(50, 20, face.name_local)
    line(60, 13, face.organization)
    line(66.5, 12, text["country"], (68, 68, 68))
    line(74, 10, text["marks"], colour)
    if face.mode == "online":
        line(80, 10, text["online"], (192, 57, 43))
    matrix = qr_matrix(face.code)
    module = QR_SIZE / (len(matrix) + 2 * QUIET)
    qx, qy = ox + (WIDTH - QR_SIZE) / 2, oy + HEIGHT - QR_SIZE - 14
    pdf.set_fill_color(0, 0, 0)
    for x, y, n in _runs(matrix):
        pdf.rect(qx + (x + QUIET) * module, qy + (y + QUIET) * module, n * module, module, style="F")
    line(HEIGHT - 6, 12, face.badge_code)
    line(HEIGHT - 2.5, 7, face.reference, (102, 102, 102))


def _cut_marks(pdf: UnicodeDocument) -> None:
    """Where to cut an A4 sheet into four A6 badges: ticks at the edges and a cross in the middle."""
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    for x in (WIDTH,):
        pdf.line(x, 0, x, 5)
        pdf.line(x, 2 * HEIGHT - 5, x, 2 * HEIGHT)
    for y in (HEIGHT,):
        pdf.line(0, y, 5, y)
        pdf.line(2 * WIDTH - 5, y, 2 * WIDTH, y)
    pdf.line(WIDTH - 4, HEIGHT, WIDTH + 4, HEIGHT)
    pdf.line(WIDTH, HEIGHT - 4, WIDTH, HEIGHT + 4)


def pdf(
    faces: list[BadgeFace],
    edition: str,
    layout: str = "a6",
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """One A6 page per badge, or four per A4 sheet with cut marks. `on_progress(done, total)` every 50."""
    document = UnicodeDocument(format=(WIDTH, HEIGHT) if layout == "a6" else "A4")
    document.set_auto_page_break(False)
    document.set_margins(0, 0)
    document.set_title(f"{edition} badges")
    total = len(faces)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fpdf2 notes glyph substitutions by fallback fonts
        for index, face in enumerate(faces):
            if layout == "a6":
                document.add_page()
                _draw(document, face, edition, 0, 0)
            else:
                slot = index % 4
                if slot == 0:
                    document.add_page()
                    _cut_marks(document)
                _draw(document, face, edition, (slot % 2) * WIDTH, (slot // 2) * HEIGHT)
            if on_progress and (index + 1) % 50 == 0:
                on_progress(index + 1, total)
    if on_progress:
        on_progress(total, total)
    return bytes(document.output())
