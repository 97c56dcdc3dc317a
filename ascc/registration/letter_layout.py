"""The registration letter's pages (fpdf2, A4): the letterhead and the footer (note, reference, page x of y,
date of issue) on every page, and the blocks of each language's letter, laid out as a formal letter. Pure.
"""

from __future__ import annotations

import re
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos

from ascc import qr
from ascc.registration.letter_content import ELLIPSIS, NB, Content, Section, needs_shaping

_NAVY = (22, 51, 94)
_TEXT = (25, 25, 25)
_GREY = (95, 95, 95)
_RULE = (185, 190, 200)
_NOTICE_FILL = (253, 241, 220)
_NOTICE_EDGE = (176, 106, 0)
FONT = "ascc-cjk"
_MARGIN = 20.0
_BOTTOM = 28.0  # room for the note, the rule and the page line at the foot of every page
_CJK = re.compile("[\u2e80-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
_PT = 25.4 / 72  # millimetres per point


class LetterPDF(FPDF):
    def __init__(self, content: Content, shaping: bool = False) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._content = content
        self._shaping = shaping
        self._shaping_on = False
        self._lang = "en"
        self._page_lang: dict[int, str] = {}
        self._bold = False
        self.alias_nb_pages(None)  # type: ignore[arg-type]  # user text must never be replaced by the page count
        self.set_margins(_MARGIN, 34, _MARGIN)
        self.set_auto_page_break(True, margin=_BOTTOM)
        self.c_margin = 0

    # -- text helpers ------------------------------------------------------------------------------

    def _shape(self, text: object) -> None:
        """HarfBuzz only for the strings that need it: the rest keeps exact, unkerned text for copy and search."""
        wanted = self._shaping and isinstance(text, str) and needs_shaping(text)
        if wanted != self._shaping_on:
            # Kerning off: it would split Latin words in text extraction, and these scripts need no kerning.
            self.set_text_shaping(wanted, features={"kern": False} if wanted else None)
            self._shaping_on = wanted

    def cell(self, *args: Any, **kwargs: Any) -> Any:
        self._shape(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return super().cell(*args, **kwargs)

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        self._shape(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return super().multi_cell(*args, **kwargs)

    def _style(self, size: float, color: tuple[int, int, int] = _TEXT, bold: bool = False) -> None:
        self.set_font(FONT, "", size)
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
            if self._lines(width, text[:mid].rstrip() + ELLIPSIS) == 1:
                low = mid
            else:
                high = mid - 1
        return text[:low].rstrip() + ELLIPSIS

    def _shrunk(
        self,
        width: float,
        text: str,
        size: float,
        smallest: float,
        color: tuple[int, int, int],
        bold: bool = False,
    ) -> str:
        """Set the largest size down to ``smallest`` at which ``text`` fits one line of ``width``: a conference's
        full Japanese name (27 characters) needs 8 pt in half the letterhead. Only longer text is shortened."""
        self._style(size, color, bold)
        while size > smallest and self._lines(width, text) > 1:
            size = max(smallest, size - 0.5)
            self._style(size, color, bold)
        return self._fit(width, text)

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
        # be substituted, so it is off again for everything drawn after the footer. (None: no alias at all.)
        self.alias_nb_pages(None)  # type: ignore[arg-type]
        self._page_lang[self.page] = self._lang
        auto, margin = self.auto_page_break, self.b_margin
        self.set_auto_page_break(False)
        half = (self.w - 2 * _MARGIN) / 2 - 2
        c = self._content
        for x, text, align in (
            (_MARGIN, c.letterhead_en, Align.L),
            (self.w - _MARGIN - half, c.letterhead_ja, Align.R),
        ):
            self.set_xy(x, 12)
            self.cell(half, 6, self._shrunk(half, text, 10.5, 7, _NAVY, bold=True), align=align)
        for x, text, align in (
            (_MARGIN, c.organizer_en, Align.L),
            (self.w - _MARGIN - half, c.organizer_ja, Align.R),
        ):
            self.set_xy(x, 18.5)
            self.cell(half, 5, self._shrunk(half, text, 8.5, 6.5, _GREY), align=align)
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
        self.alias_nb_pages(NB)
        self.cell(third, 5, section.footer_page.replace("{page}", str(self.page_no())), align=Align.C)
        self.set_xy(_MARGIN + 2 * third, y)
        self.cell(third, 5, self._fit(third, section.footer_issued), align=Align.R)
        self.set_auto_page_break(auto, margin)

    # -- blocks ------------------------------------------------------------------------------------

    def section(self, s: Section) -> None:
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
        if self._content.qr_url:
            self._qr(self._content.qr_url)
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

    def _qr(self, url: str, size: float = 24.0) -> None:
        """A QR code of the visa letter's verification address, drawn as vector squares at the left margin."""
        modules = qr.matrix(url)
        module = size / len(modules)
        self._ensure_space(size + 4)
        top = self.y + 1
        self.set_fill_color(0, 0, 0)
        for x, y, n in qr.dark_runs(modules):
            self.rect(_MARGIN + x * module, top + y * module, n * module, module, style="F")
        self.set_y(top + size + 3)

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
