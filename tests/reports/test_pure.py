"""The report's pure parts: the comparison, the charts and the workbook keep their promises."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from ascc.reports import charts, figures, workbook


def edition(number: int, **values: int) -> figures.EditionFigures:
    return figures.EditionFigures(number, str(2011 + number), "", "", "platform", values)


def test_comparison_orders_editions_and_claims_no_change_when_one_side_is_unknown() -> None:
    rows = figures.comparison([edition(12, participants=900, sessions=31), edition(9, participants=1300)])
    by_key = {row.key: row for row in rows}
    assert by_key["participants"].values == (1300, 900) and by_key["participants"].change == -400
    assert by_key["sessions"].values == (None, 31) and by_key["sessions"].change is None
    assert "exhibitors" not in by_key  # nobody knows it for any edition


@pytest.mark.parametrize("typed", ["-1", "12.5", "about 850", "1" * 10, "八百"])
def test_recorded_figures_must_be_whole_numbers(typed: str) -> None:
    with pytest.raises(figures.RecordedFiguresInvalid) as bad:
        figures.parse_recorded({"participants": typed, "countries": "x"})
    assert bad.value.fields == {"participants": "figure", "countries": "figure"}  # every bad field at once


def test_recorded_figures_accept_separators_and_full_width_digits_and_leave_blanks_unknown() -> None:
    parsed = figures.parse_recorded({"participants": "1,300", "countries": " ", "sessions": "２５"})
    assert (parsed["participants"], parsed["countries"], parsed["sessions"]) == (1300, None, 25)


def test_a_whole_smaller_than_its_parts_is_refused() -> None:
    with pytest.raises(figures.RecordedFiguresInvalid) as bad:
        figures.parse_recorded(
            {
                "participants": "1200",
                "participants_in_person": "900",
                "participants_online": "800",
                "meetings_requested": "500",
                "meetings_held": "700",
            }
        )
    assert bad.value.fields == {"participants": "parts", "meetings_requested": "parts"}
    figures.parse_recorded({"participants": "1700", "participants_in_person": "900"})  # parts may be unknown


def test_chart_labels_are_escaped_and_the_figures_are_readable_without_the_picture(inputs) -> None:
    names = [n["local"] or n["latin"] for n in inputs["names"][:3]]
    bars = [(name, i + 1) for i, name in enumerate(inputs["hostile"][:3] + names)]
    svg = charts.bar_chart("Cities", bars)
    assert "<script" not in svg and "<img" not in svg
    assert svg.count("<rect") == len(bars)
    assert 'role="img"' in svg and "aria-label=" in svg
    assert charts.bar_chart("Nothing", []).count("<rect") == 0


def test_workbook_keeps_names_as_text_and_numbers_as_numbers(inputs) -> None:
    rows = [
        ["Name", "People"],
        ['=HYPERLINK("http://x")', 3],
        ["Thành phố Đà Nẵng\x07", 12],
        *[[n["local"] or n["latin"], 1] for n in inputs["names"]],
    ]
    book = load_workbook(io.BytesIO(workbook.workbook([("Sheet", rows)])))
    cells = list(book["Sheet"].iter_rows(values_only=True))
    assert cells[1] == ('\'=HYPERLINK("http://x")', 3)
    assert cells[2] == ("Thành phố Đà Nẵng", 12)
    assert len(cells) == len(rows)
