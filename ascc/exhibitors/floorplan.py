"""Booth geometry on a hall's floor plan, in whole metres. Pure."""

from __future__ import annotations

from typing import NamedTuple


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int


def overlaps(a: Rect, b: Rect) -> bool:
    """Whether two booths share floor (touching edges is fine: booths stand side by side)."""
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def booth_problem(hall: Rect, booth: Rect, others: list[Rect]) -> str | None:
    """The catalogue key of what is wrong with placing `booth`, or None when it fits."""
    if booth.w <= 0 or booth.h <= 0 or booth.w > 30 or booth.h > 30:
        return "error.booth_size"
    if booth.x < hall.x or booth.y < hall.y or booth.x + booth.w > hall.w or booth.y + booth.h > hall.h:
        return "error.booth_outside_hall"
    if any(overlaps(booth, other) for other in others):
        return "error.booth_overlaps"
    return None
