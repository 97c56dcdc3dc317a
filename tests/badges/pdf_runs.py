"""Where a PDF draws its text, read from the page's content stream as a viewer would place it: each text
showing operator (Tj, TJ) as a run with its font size, its left and right edge and its baseline, in points
from the page's bottom left. Widths come from the fonts' own /W arrays, so a run is as wide as a viewer
draws it. Made for the PDFs fpdf2 writes (Type0 fonts, two-byte codes, an embedded CMap or Identity-H)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject, NameObject


@dataclass(frozen=True)
class Run:
    page: int
    size: float  # pt
    x0: float
    x1: float
    y: float  # the baseline


class _Font:
    def __init__(self, font: DictionaryObject) -> None:
        assert font["/Subtype"] == "/Type0", "fpdf2 writes every TrueType/OpenType font as Type0"
        cid_font = font["/DescendantFonts"][0].get_object()
        self.default = float(cid_font.get("/DW", 1000))
        self.widths: dict[int, float] = {}
        w = list(cid_font.get("/W", []))
        i = 0
        while i < len(w):
            first = int(w[i])
            if isinstance(w[i + 1], list) or hasattr(w[i + 1], "__iter__"):
                for n, width in enumerate(w[i + 1]):
                    self.widths[first + n] = float(width)
                i += 2
            else:
                for cid in range(first, int(w[i + 1]) + 1):
                    self.widths[cid] = float(w[i + 2])
                i += 3
        encoding = font["/Encoding"].get_object()
        self.cids: dict[int, int] | None = None  # None: Identity-H, the code is the CID
        if not isinstance(encoding, NameObject):
            cmap = encoding.get_data().decode("latin-1")
            self.cids = {
                int(code, 16): int(cid) for code, cid in re.findall(r"<([0-9A-Fa-f]{4})>\s+(\d+)", cmap)
            }
            for start, end, cid in re.findall(
                r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>\s+(\d+)", cmap.split("begincidrange")[-1]
            ):
                for n, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                    self.cids[code] = int(cid) + n

    def width(self, data: bytes) -> float:
        """In thousandths of the font size."""
        total = 0.0
        for i in range(0, len(data) - 1, 2):
            code = int.from_bytes(data[i : i + 2], "big")
            cid = code if self.cids is None else self.cids.get(code, 0)
            total += self.widths.get(cid, self.default)
        return total


def _bytes(value: object) -> bytes:
    original = getattr(value, "original_bytes", None)
    return original if isinstance(original, bytes) else bytes(value)  # type: ignore[call-overload]


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, as `tests.support.pdf.pdf_text` reads it (the fonts' ToUnicode tables)."""
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if not isinstance(font["/Encoding"].get_object(), NameObject):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    return [page.extract_text() for page in reader.pages]


def text_runs(pdf: bytes) -> list[Run]:
    reader = PdfReader(io.BytesIO(pdf))
    runs: list[Run] = []
    for number, page in enumerate(reader.pages):
        fonts = {name: _Font(ref.get_object()) for name, ref in page["/Resources"]["/Font"].items()}
        font: _Font | None = None
        size = x = y = line_x = line_y = 0.0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"cm":
                raise AssertionError("a transformed text space: not what fpdf2 writes for badges")
            if operator == b"Tf":
                font, size = fonts[operands[0]], float(operands[1])
            elif operator == b"BT":
                x = y = line_x = line_y = 0.0
            elif operator == b"Td":
                x = line_x = line_x + float(operands[0])
                y = line_y = line_y + float(operands[1])
            elif operator == b"Tm":
                assert [float(v) for v in operands[:4]] == [1, 0, 0, 1], "scaled or rotated text"
                x = line_x = float(operands[4])
                y = line_y = float(operands[5])
            elif operator in (b"Tj", b"TJ"):
                assert font is not None
                start = x
                for item in [operands[0]] if operator == b"Tj" else operands[0]:
                    if isinstance(item, (int, float)) or type(item).__name__ in (
                        "FloatObject",
                        "NumberObject",
                    ):
                        x -= float(item) / 1000 * size
                    else:
                        x += font.width(_bytes(item)) / 1000 * size
                runs.append(Run(number, size, start, x, y))
            elif operator in (b"Tc", b"Tw", b"Tz", b"TL", b"T*", b"'", b'"'):
                raise AssertionError(f"{operator!r}: spacing fpdf2 does not use for badges")
    return runs
