"""Printouts of business matching: a person's meeting schedule and the organizers' table plan. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ascc.pdf_tables import Section, TablePdf, render_tables


@dataclass(frozen=True)
class Line:
    when: str  # already formatted in the edition's time zone
    place: str
    other: str  # name (local script), organization
    note: str = ""  # interpreter, online link


def personal_schedule(title: str, person: str, lines: list[Line]) -> bytes:
    rows = [(line.when, line.place, line.other, line.note) for line in lines]
    header = ("時間 / Time", "場所 / Place", "相手 / With", "")
    return render_tables(
        TablePdf(title, person, [Section("", header, (38, 40, 70, 42), rows)], landscape=False)
    )


def table_plan(title: str, subtitle: str, slots: list[tuple[str, list[tuple[str, str, str, str]]]]) -> bytes:
    """One section per slot: (table, first person, second person, interpreter)."""
    header = ("Table", "Participant", "Participant", "Interpreter")
    sections = [
        Section(heading, header, (22, 100, 100, 50), rows, note="" if rows else "-")
        for heading, rows in slots
    ]
    return render_tables(TablePdf(title, subtitle, sections, page_per_section=False))
