"""Badges drawn as SVG (screens, browsers pick the fonts), PNG (a phone's lock screen) and PDF (print: one
A6 badge per page, or four on A4 with cut marks). Pure: a BadgeFace in, bytes out.

Layout of the A6 card (105 x 148 mm): a band in the category's colour with the edition and the category in
English and Japanese; the name in Latin script, large, then in the local script; organization and country;
the role marks; the signed QR code with the short code to type under it. Online badges say so. Where each
text goes, in how many lines and at what size, is decided once by `ascc.badges.fit`; the three renderers
draw those lines.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from ascc import qr
from ascc.badges import fit
from ascc.badges.face import CATEGORY_COLOURS, BadgeFace
from ascc.fonts import CITY_SCRIPTS, fallback_fonts, primary_font
from ascc.i18n import country_name, translate
from ascc.pdf_tables import UnicodeDocument

WIDTH, HEIGHT, BAND, QR_SIZE = fit.WIDTH, fit.HEIGHT, fit.BAND, fit.QR_SIZE  # mm
QUIET = qr.QUIET


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of the code for `text` (error correction M: a creased badge still scans)."""
    return qr.matrix(text)


def labels(face: BadgeFace) -> dict[str, str]:
    """Texts of a badge besides the person's own, in both languages."""
    return {
        "category_en": translate("en", f"category.{face.category}"),
        "category_ja": translate("ja", f"category.{face.category}"),
        "country": country_name(face.country, "en") if face.country else "",
        "online": translate("en", "badges.online") + " / " + translate("ja", "badges.online"),
        "marks": "  ".join(
            translate("en", f"badges.mark.{m}").upper() + "\u00a0" + translate("ja", f"badges.mark.{m}")
            for m in face.marks
        ),
    }


STYLES = {  # colour and (SVG) weight of each text; None: the category's colour
    "edition": ("#ffffff", "700"),
    "category_en": ("#ffffff", "400"),
    "category_ja": ("#ffffff", "400"),
    "name": ("#111111", "700"),
    "local": ("#111111", "400"),
    "organization": ("#111111", "400"),
    "country": ("#444444", "400"),
    "marks": (None, "700"),
    "online": ("#c0392b", "700"),
    "badge_code": ("#111111", "700"),
    "reference": ("#666666", "400"),
}


def lines(face: BadgeFace, edition: str) -> list[fit.Line]:
    """Every text of the card where it goes, fitted once for all three renderings (`ascc.badges.fit`)."""
    text = labels(face)
    return fit.layout(
        {
            "edition": edition,
            "category_en": text["category_en"],
            "category_ja": text["category_ja"],
            "name": face.name_latin,
            "local": face.name_local,
            "organization": face.organization,
            "country": text["country"],
            "marks": text["marks"],
            "online": text["online"] if face.mode == "online" else "",
            "badge_code": face.badge_code,
            "reference": face.reference,
        }
    )


def _colour(key: str, face: BadgeFace) -> str:
    return STYLES[key][0] or CATEGORY_COLOURS.get(face.category, "#333333")


# --- SVG ---------------------------------------------------------------------------------------------------

_FONTS = "'Noto Sans CJK JP','Noto Sans JP','Noto Sans','Noto Sans Thai',sans-serif"


def svg(face: BadgeFace, edition: str) -> str:
    colour = CATEGORY_COLOURS.get(face.category, "#333333")
    matrix = qr_matrix(face.code)
    module = QR_SIZE / (len(matrix) + 2 * QUIET)
    qr_x, qr_y = (WIDTH - QR_SIZE) / 2, fit.QR_TOP
    path = "".join(
        f"M{qr_x + (x + QUIET) * module:.3f} {qr_y + (y + QUIET) * module:.3f}h{n * module:.3f}v{module:.3f}h-{n * module:.3f}z"
        for x, y, n in qr.dark_runs(matrix)
    )

    def line(item: fit.Line) -> str:
        # A browser may pick another font (or bold) than the one measured: a line near the full width is
        # held to its measured width, so it can never run off the card.
        length = (
            f' textLength="{item.width:.2f}" lengthAdjust="spacingAndGlyphs"'
            if item.width > 0.8 * fit.LINE
            else ""
        )
        return (
            f'<text x="{WIDTH / 2}" y="{item.baseline:.2f}" font-size="{item.size * fit.PT:.3f}" '
            f'font-weight="{STYLES[item.key][1]}" fill="{_colour(item.key, face)}" text-anchor="middle"'
            f"{length}>{escape(item.text)}</text>"
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}mm" '
        f'height="{HEIGHT}mm" font-family="{_FONTS}" role="img" aria-label="{escape(_clean(face.name_latin))}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<rect width="{WIDTH}" height="{BAND}" fill="{colour}"/>',
        *(line(item) for item in lines(face, edition)),
        f'<path d="{path}" fill="#000"/>',
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
def _png_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def _png_line(draw: ImageDraw.ImageDraw, item: fit.Line, scale: float, fill: str) -> None:
    """One fitted line, each run in its own font (fallbacks per script, as in the PDF), centred."""
    runs = fit.runs(item.text)
    size = max(1, round(item.size * fit.PT * scale))
    while True:  # the rasterizer's hinting may widen a line by a pixel or two: never past the margins
        faces = [(_png_font(font.path, font.index, size), run) for font, run in runs]
        lengths = [draw.textlength(run, font=font) for font, run in faces]
        if sum(lengths) <= fit.LINE * scale or size <= 6:
            break
        size -= 1
    y = item.baseline * scale
    if len(faces) == 1:  # one run: the layout engine orders right-to-left text itself
        draw.text((WIDTH * scale / 2, y), faces[0][1], font=faces[0][0], fill=fill, anchor="ms")
        return
    x = (WIDTH * scale - sum(lengths)) / 2
    for (font, run), length in zip(faces, lengths, strict=True):
        draw.text((x, y), run, font=font, fill=fill, anchor="ls")
        x += length


def png(face: BadgeFace, edition: str, width: int = 630) -> bytes:
    scale = width / WIDTH  # pixels per mm
    height = round(HEIGHT * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    colour = CATEGORY_COLOURS.get(face.category, "#333333")
    draw.rectangle((0, 0, width, round(BAND * scale)), fill=colour)
    for item in lines(face, edition):
        _png_line(draw, item, scale, _colour(item.key, face))
    matrix = qr_matrix(face.code)
    module = max(1, round(QR_SIZE * scale / (len(matrix) + 2 * QUIET)))
    left = (width - module * (len(matrix) + 2 * QUIET)) // 2
    top = round(fit.QR_TOP * scale)
    for x, y, n in qr.dark_runs(matrix):
        x0, y0 = left + (x + QUIET) * module, top + (y + QUIET) * module
        draw.rectangle((x0, y0, x0 + n * module - 1, y0 + module - 1), fill="black")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------------

LAYOUTS = ("a6", "a4")


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _add_fonts(pdf: UnicodeDocument, cards: list[list[fit.Line]]) -> None:
    """Fonts beyond the cities' scripts that these cards need (Arabic, Hebrew ...), as fallbacks."""
    known = {font.path for font in (primary_font(), *fallback_fonts(CITY_SCRIPTS))}
    needed = fit.fonts_of(item.text for card in cards for item in card)
    extra = sorted(font.path for font in needed if font.path not in known)
    if not extra:
        return
    names = [name for name in pdf.fonts if name.startswith("fallback")]
    for n, path in enumerate(extra):
        pdf.add_font(f"extra{n}", "", path)
        names.append(f"extra{n}")
    pdf.set_fallback_fonts(names)


def _draw(pdf: UnicodeDocument, face: BadgeFace, card: list[fit.Line], ox: float, oy: float) -> None:
    pdf.set_fill_color(*_hex(CATEGORY_COLOURS.get(face.category, "#333333")))
    pdf.rect(ox, oy, WIDTH, BAND, style="F")
    for item in card:
        pdf.set_text_color(*_hex(_colour(item.key, face)))
        size = item.size
        pdf.set_font("main", size=size)
        while pdf.get_string_width(item.text) > fit.LINE and size > 1:  # a guard: the fit measured this
            size -= 0.25
            pdf.set_font("main", size=size)
        # cell() puts the baseline at y + h/2 + 0.3 * the font size; with h = the font size, at y + 0.8 size.
        pdf.set_xy(ox + fit.MARGIN, oy + item.baseline - 0.8 * size * fit.PT)
        pdf.cell(fit.LINE, size * fit.PT, item.text, align="C")
    matrix = qr_matrix(face.code)
    module = QR_SIZE / (len(matrix) + 2 * QUIET)
    qx, qy = ox + (WIDTH - QR_SIZE) / 2, oy + fit.QR_TOP
    pdf.set_fill_color(0, 0, 0)
    for x, y, n in qr.dark_runs(matrix):
        pdf.rect(qx + (x + QUIET) * module, qy + (y + QUIET) * module, n * module, module, style="F")


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
    cards = [lines(face, edition) for face in faces]
    _add_fonts(document, cards)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fpdf2 notes glyph substitutions by fallback fonts
        for index, (face, card) in enumerate(zip(faces, cards, strict=True)):
            if layout == "a6":
                document.add_page()
                _draw(document, face, card, 0, 0)
            else:
                slot = index % 4
                if slot == 0:
                    document.add_page()
                    _cut_marks(document)
                _draw(document, face, card, (slot % 2) * WIDTH, (slot // 2) * HEIGHT)
            if on_progress and (index + 1) % 50 == 0:
                on_progress(index + 1, total)
    if on_progress:
        on_progress(total, total)
    return bytes(document.output())
