"""A course's manifest as a PDF table: names in Latin and local script, ID data for the facility. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ascc.pdf_tables import Section, TablePdf, render_tables

HEADER = ("#", "Name", "現地表記 / Local", "Organization", "Country", "Dietary / access", "ID", "")
WIDTHS = (8, 42, 36, 52, 14, 50, 50, 20)  # mm, landscape A4 (272 mm usable)


@dataclass(frozen=True)
class ManifestPdf:
    title: str
    subtitle: str
    rows: list[tuple[str, ...]]


def render_manifest(data: ManifestPdf) -> bytes:
    return render_tables(TablePdf(data.title, data.subtitle, [Section("", HEADER, WIDTHS, data.rows)]))
