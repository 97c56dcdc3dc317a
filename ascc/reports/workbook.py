"""The edition report as an Excel workbook: the figures, the comparison between editions and the overseas
organizations, one sheet each. Pure (openpyxl writes the file in memory)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from ascc.csv_export import safe_cell


def _cell(value: object) -> object:
    """Numbers stay numbers; text stays text (a name starting like a formula is not run), without the
    control characters the file format forbids."""
    if isinstance(value, str):
        return safe_cell("".join(ch for ch in value if ch in "\t\n" or ord(ch) >= 32))
    return value


def _display_width(text: str) -> int:
    """Columns a text needs: Japanese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def workbook(sheets: Sequence[tuple[str, list[list[object]]]]) -> bytes:
    """(sheet title, rows with a header first) → .xlsx bytes; the header bold, the columns sized."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append([_cell(value) for value in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, int):
                    cell.number_format = "#,##0"
        for cell in sheet[1] if rows else ():
            cell.font = Font(bold=True)
        sheet.freeze_panes = "B2"
        for column in sheet.columns:
            width = max((_display_width(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
