"""Making a PDF does not flood the log with fontTools' subsetting chatter (issue #25 item 11)."""

from __future__ import annotations

import logging

from ascc import fonts
from ascc.pdf_tables import Section, TablePdf, render_tables
from tests.support import needs


def test_a_pdf_logs_no_fonttools_info_lines(caplog) -> None:
    needs.installed(any(fonts.find_font(n) for n in fonts.CJK_FILES), "Noto Sans CJK (fonts-noto-cjk)")
    with caplog.at_level(logging.INFO):
        body = render_tables(
            TablePdf(
                "Visitors",
                "ASCC 2026",
                [Section("Course A", ("Name", "名前"), (60.0, 60.0), [("Nguyen Thi Lan", "佐藤花子")])],
            )
        )
    assert body.startswith(b"%PDF")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("fontTools")] == []
