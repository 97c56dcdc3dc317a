"""Charts of the organizers' dashboard, drawn as SVG on the server: no chart library, no script.

Every label is escaped (organization and city names are what people typed) and every chart carries a
title and a text alternative, so a screen reader reads the figures the bars show.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

BAR_HEIGHT, GAP, LABEL_WIDTH, VALUE_WIDTH, WIDTH = 16, 5, 160, 44, 450
MAX_LABEL = 21  # characters; longer labels are cut with an ellipsis (the full one is in the tooltip)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(title: str, bars: Sequence[tuple[str, int]], css_class: str = "") -> str:
    """Horizontal bars, one per (label, value), longest first as given; an empty list draws a note."""
    title_text = escape(title)
    if not bars:
        return (
            f'<svg class="chart bars {escape(css_class)}" role="img" viewBox="0 0 {WIDTH} 30" '
            f'aria-label="{title_text}"><title>{title_text}</title>'
            f'<text x="0" y="20" class="empty">—</text></svg>'
        )
    top = max(value for _, value in bars) or 1
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = len(bars) * (BAR_HEIGHT + GAP)
    rows = []
    for i, (label, value) in enumerate(bars):
        y = i * (BAR_HEIGHT + GAP)
        width = max(plot * value / top, 1 if value else 0)
        full = escape(label, {'"': "&quot;"})
        rows.append(
            f"<g><title>{full}: {value}</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" rx="2"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 12}" class="value">{value}</text></g>'
        )
    summary = escape("; ".join(f"{label}: {value}" for label, value in bars), {'"': "&quot;"})
    return (
        f'<svg class="chart bars {escape(css_class)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-label="{title_text}. {summary}"><title>{title_text}</title>{"".join(rows)}</svg>'
    )


def funnel(title: str, stages: Sequence[tuple[str, int]]) -> str:
    """The meetings' pipeline (requested → accepted → scheduled → held): bars that narrow, with the share
    of the first stage each one kept."""
    if not stages:
        return bar_chart(title, stages)
    first = stages[0][1] or 1
    labelled = [
        (f"{label} ({round(100 * value / first)}%)" if i else label, value)
        for i, (label, value) in enumerate(stages)
    ]
    return bar_chart(title, labelled, "funnel")


def fill_bars(title: str, rows: Sequence[tuple[str, int, int]]) -> str:
    """Seats taken out of seats, one row per course or room: (label, taken, seats)."""
    height = len(rows) * (BAR_HEIGHT + GAP) or 30
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20
    title_text = escape(title)
    parts = []
    for i, (label, taken, seats) in enumerate(rows):
        y = i * (BAR_HEIGHT + GAP)
        share = min(taken / seats, 1.0) if seats else 0.0
        full = "full" if seats and taken >= seats else ""
        parts.append(
            f"<g><title>{escape(label)}: {taken}/{seats}</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{plot}" height="{BAR_HEIGHT}" rx="2" class="seats"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{plot * share:.1f}" height="{BAR_HEIGHT}" rx="2" class="taken {full}"/>'
            f'<text x="{LABEL_WIDTH + plot + 4}" y="{y + 12}" class="value">{taken}/{seats}</text></g>'
        )
    return (
        f'<svg class="chart fill" role="img" viewBox="0 0 {WIDTH} {height}" aria-label="{title_text}">'
        f"<title>{title_text}</title>{''.join(parts)}</svg>"
    )
