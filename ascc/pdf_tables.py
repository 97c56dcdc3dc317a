"""Tables as PDF pages with names in every script of ASCC's participants. Pure.

Fonts (ascc.fonts): Noto Sans CJK (Japanese face) for Latin, Vietnamese and CJK, with Noto Sans and the
South and Southeast Asian scripts of Noto as fallbacks (`fonts.CITY_SCRIPTS`). Characters no installed font
has (emoji) are left out of the PDF rather than drawn as empty boxes; CSV exports keep them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont

from ascc import fonts


@dataclass(frozen=True)
class Section:
    """A heading and a table under it; `widths` in mm."""

    heading: str
    header: tuple[str, ...]
    widths: tuple[float, ...]
    rows: Sequence[tuple[str, ...]]
    note: str = ""


@dataclass(frozen=True)
class TablePdf:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)
    landscape: bool = True
    page_per_section: bool = False


class UnicodeDocument(FPDF):
    """A PDF with Noto fonts for every script of ASCC's participants: `main`, then the fallbacks."""

    def __init__(self, orientation: str = "P", format: str | tuple[float, float] = "A4") -> None:
        super().__init__(orientation=orientation, unit="mm", format=format)
        main = fonts.primary_font()
        self.add_font("main", "", main.path, collection_font_number=main.index)
        names = []
        for n, fallback in enumerate(fonts.fallback_fonts(fonts.CITY_SCRIPTS)):
            self.add_font(f"fallback{n}", "", fallback.path)
            names.append(f"fallback{n}")
        self.set_fallback_fonts(names)
        self.set_text_shaping(True)  # Devanagari, Sinhala and Thai marks need shaping (uharfbuzz)
        self.covered = set().union(*(font.cmap for font in self.fonts.values() if isinstance(font, TTFFont)))

    def printable(self, text: str) -> str:
        return "".join(ch for ch in text if ord(ch) in self.covered or ch in " \n")


class _Document(UnicodeDocument):
    def __init__(self, title: str, landscape: bool = True) -> None:
        super().__init__(orientation="L" if landscape else "P")
        self.title_text = title
        self.set_auto_page_break(True, margin=12)

    def header(self) -> None:
        self.set_font("main", size=13)
        self.cell(0, 8, self.printable(self.title_text), new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("main", size=8)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")


def render_tables(data: TablePdf) -> bytes:
    pdf = _Document(data.title, data.landscape)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("main", size=9)
    pdf.cell(0, 6, pdf.printable(data.subtitle), new_x="LMARGIN", new_y="NEXT")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fpdf2 notes glyph substitutions by fallback fonts
        headings = FontFace(emphasis="", fill_color=(225, 232, 235))  # one face only: no bold CJK to embed
        for index, section in enumerate(data.sections):
            if data.page_per_section and index:
                pdf.add_page()
            pdf.ln(2)
            if section.heading:
                pdf.set_font("main", size=11)
                pdf.cell(0, 7, pdf.printable(section.heading), new_x="LMARGIN", new_y="NEXT")
                pdf.set_font("main", size=9)
            if section.note:
                pdf.multi_cell(0, 5, pdf.printable(section.note), new_x="LMARGIN", new_y="NEXT")
            if not section.rows:
                continue
            with pdf.table(
                col_widths=section.widths,
                text_align="LEFT",
                line_height=5,
                first_row_as_headings=True,
                headings_style=headings,
            ) as table:
                table.row([pdf.printable(cell) for cell in section.header])
                for row in section.rows:
                    table.row([pdf.printable(cell)[:200] for cell in row])
    return bytes(pdf.output())
