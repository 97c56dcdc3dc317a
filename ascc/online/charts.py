"""The attendance chart of a session, drawn as SVG on the server: people watching online minute by minute
beside the people checked in at the room's door so far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from ascc import dates

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 40  # margins for the axes' labels
MARGIN = timedelta(minutes=10)  # shown before the start and after the end


def minutes(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(second=0, microsecond=0)
    return [first + timedelta(minutes=i) for i in range(int((end - first).total_seconds() // 60) + 1)]


def attendance_svg(
    start: datetime,
    end: datetime,
    zone: str,
    online: Mapping[datetime, int],
    checkins: Sequence[datetime],
    labels: tuple[str, str],
) -> str:
    """`online`: viewers per minute (UTC, whole minutes); `checkins`: the moments of the door's check-ins."""
    span = minutes(start - MARGIN, end + MARGIN)
    at_door, arrived, done = [], 0, sorted(checkins)
    for minute in span:
        while arrived < len(done) and done[arrived] < minute + timedelta(minutes=1):
            arrived += 1
        at_door.append(arrived)
    watching = [online.get(minute, 0) for minute in span]
    top = max([*watching, *at_door, 1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * i / max(len(span) - 1, 1)

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / top)

    def line(values: list[int]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))

    tz = ZoneInfo(zone)
    ticks = []
    for i, minute in enumerate(span):
        if minute.astimezone(tz).minute % 15 == 0:
            ticks.append(
                f'<line x1="{x(i):.1f}" y1="{TOP}" x2="{x(i):.1f}" y2="{TOP + plot_h}" class="grid"/>'
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{dates.format_moment(minute, 'en', tz, 'time')}</text>"
            )
    m = int(MARGIN.total_seconds() // 60)  # the session itself, between the margins
    session_band = f'<rect x="{x(m):.1f}" y="{TOP}" width="{x(len(span) - 1 - m) - x(m):.1f}" height="{plot_h}" class="band"/>'
    online_label, door_label = (escape(label) for label in labels)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
        f'aria-label="{online_label} / {door_label}">'
        f"{session_band}{''.join(ticks)}"
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="axis"/>'
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top}</text>'
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>'
        f'<polyline points="{line(watching)}" class="series online" data-peak="{max(watching)}"/>'
        f'<polyline points="{line(at_door)}" class="series door" data-total="{at_door[-1]}"/>'
        f'<text x="{LEFT + 4}" y="{HEIGHT - 6}" class="legend online">■ {online_label}</text>'
        f'<text x="{LEFT + 260}" y="{HEIGHT - 6}" class="legend door">■ {door_label}</text>'
        "</svg>"
    )
