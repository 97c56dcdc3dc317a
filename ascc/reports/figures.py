"""The figures organizers publish about an edition, their comparison between editions, and the tables the
CSV, Excel and PDF reports are made of. Pure: the numbers come in, tables go out.

An edition's figures come either from the platform (counted from its data) or, for editions run before
it, from what the organizers recorded (e.g. the 8th: 20 countries, 57 cities, about 850 participants).
A figure nobody knows is None and shows as a dash, never as 0.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

FIRST_YEAR = 2012  # the 1st ASCC; the n-th edition was held in FIRST_YEAR + n - 1
HOST_COUNTRY = "JP"  # every edition is in Yokohama: "overseas" means outside Japan

# The report's figures in the order organizers read them; each label is "report.fig.<key>".
KEYS = (
    "overseas_organizations",
    "overseas_cities",
    "countries",
    "participants",
    "participants_in_person",
    "participants_online",
    "attended_in_person",
    "watched_online",
    "sessions",
    "speakers",
    "site_visit_participants",
    "exhibitors",
    "solutions",
    "city_needs",
    "meetings_requested",
    "meetings_held",
    "meetings_no_show",
    "meetings_cooperation",
    "feasibility_studies",
    "pilots",
    "contracts",
)


def edition_number(year: int) -> int:
    return year - FIRST_YEAR + 1


@dataclass(frozen=True)
class Organization:
    name_en: str
    name_ja: str | None
    country: str | None
    kind: str
    people: int


@dataclass(frozen=True)
class EditionFigures:
    number: int  # 12 for the 12th ASCC (2023)
    label: str  # "2023" or "FY2020"
    name_en: str
    name_ja: str
    source: str  # platform | recorded
    values: Mapping[str, int | None]
    slug: str | None = None  # platform editions only
    note: str = ""
    organizations: Sequence[Organization] = field(default_factory=tuple)  # the overseas ones
    countries: Mapping[str, int] = field(default_factory=dict)  # country code -> participants
    outcomes: Mapping[str, int] = field(default_factory=dict)  # meeting feedback outcome -> meetings

    def get(self, key: str) -> int | None:
        return self.values.get(key)


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    values: tuple[int | None, ...]  # one per edition, in the editions' order

    @property
    def change(self) -> int | None:
        """The last edition against the one before it, when both are known."""
        if len(self.values) < 2 or self.values[-1] is None or self.values[-2] is None:
            return None
        return self.values[-1] - self.values[-2]


def comparison(editions: Sequence[EditionFigures]) -> list[ComparisonRow]:
    """One row per figure, editions oldest first; rows nobody knows for any edition are left out."""
    ordered = sorted(editions, key=lambda e: e.number)
    rows = [ComparisonRow(key, tuple(e.get(key) for e in ordered)) for key in KEYS]
    return [row for row in rows if any(value is not None for value in row.values)]


def figure_rows(report: EditionFigures, label: Callable[..., str]) -> list[list[object]]:
    """The report as a two-column table (figure, value) with a header, for CSV, Excel and PDF."""
    rows: list[list[object]] = [[label("report.figure"), label("report.value")]]
    for key in KEYS:
        value = report.get(key)
        rows.append([label(f"report.fig.{key}"), "" if value is None else value])
    return rows


def comparison_rows(editions: Sequence[EditionFigures], label: Callable[..., str]) -> list[list[object]]:
    """The comparison as a table: a figure per row, an edition per column, and the change since the one
    before."""
    ordered = sorted(editions, key=lambda e: e.number)
    header: list[object] = [label("report.figure")]
    header += [f"{label('report.nth', number=e.number)} ({e.label})" for e in ordered]
    header.append(label("report.change"))
    rows: list[list[object]] = [header]
    for row in comparison(ordered):
        change = row.change
        rows.append(
            [
                label(f"report.fig.{row.key}"),
                *("" if v is None else v for v in row.values),
                "" if change is None else change,
            ]
        )
    return rows


def organization_rows(
    report: EditionFigures,
    label: Callable[..., str],
    country: Callable[[str | None], str] = lambda code: code or "",
) -> list[list[object]]:
    rows: list[list[object]] = [
        [
            label("report.organization"),
            label("report.organization_ja"),
            label("report.country"),
            label("report.kind"),
            label("report.people"),
        ]
    ]
    for org in report.organizations:
        rows.append(
            [
                org.name_en,
                org.name_ja or "",
                country(org.country),
                label(f"organization.kind.{org.kind}"),
                org.people,
            ]
        )
    return rows


# Figures that are parts of another: a part may not exceed its whole.
PARTS = (
    (("participants_in_person", "participants_online"), "participants"),
    (("meetings_held", "meetings_no_show"), "meetings_requested"),
    (("contracts",), "pilots"),
    (("pilots",), "feasibility_studies"),
    (("overseas_cities",), "overseas_organizations"),
)


def parse_recorded(values: Mapping[str, str]) -> dict[str, int | None]:
    """Recorded figures typed by an organizer: whole numbers ≥ 0 (commas and full-width digits allowed), or
    empty for unknown. Raises RecordedFiguresInvalid naming every bad field, and every whole smaller than
    the sum of its known parts."""
    figures: dict[str, int | None] = {}
    bad: dict[str, str] = {}
    for key in KEYS:
        raw = unicodedata.normalize("NFKC", values.get(key) or "").strip().replace(",", "").replace(" ", "")
        if not raw:
            figures[key] = None
        elif raw.isascii() and raw.isdigit() and len(raw) <= 9:
            figures[key] = int(raw)
        else:
            figures[key] = None
            bad[key] = "figure"
    for parts, whole in PARTS:
        known = [value for part in parts if (value := figures[part]) is not None]
        total = figures[whole]
        if total is not None and known and sum(known) > total and whole not in bad:
            bad[whole] = "parts"
    if bad:
        raise RecordedFiguresInvalid(bad)
    return figures


class RecordedFiguresInvalid(ValueError):
    """field -> "figure" (not a whole number) or "parts" (smaller than its parts)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields
