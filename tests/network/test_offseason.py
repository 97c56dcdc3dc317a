"""The proposed times of an off-season meeting, without a database: typed in the proposer's zone, refused
when the clocks skip them, compared as instants."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ascc.network import offseason

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _parse(*raw: str) -> tuple[list[datetime], dict]:
    errors: dict = {}
    return offseason.parse_slots(errors, list(raw), NEW_YORK, NOW), errors


def test_a_time_inside_the_spring_gap_is_refused_not_moved() -> None:
    slots, errors = _parse("2027-03-14T02:30")  # clocks jump from 02:00 to 03:00
    assert slots == [] and errors == {"slot_1": ("network.error.slot_nonexistent", {})}


def test_two_spellings_of_one_instant_are_one_time() -> None:
    # 02:30 does not exist that night; had it been taken as 03:30 it would repeat the first field.
    slots, errors = _parse("2027-03-14T03:30", "2027-03-14T02:30")
    assert slots == [datetime(2027, 3, 14, 7, 30, tzinfo=UTC)] and set(errors) == {"slot_2"}


def test_slots_are_instants_in_utc_in_their_true_order() -> None:
    # On the night the clocks go back, 01:30 happens twice: the first (daylight) one is meant.
    slots, errors = _parse("2027-11-07T01:59", "2027-11-07T01:30", "2027-11-06T23:00")
    assert errors == {}
    assert all(s.tzinfo is UTC for s in slots)
    assert sorted(slots) == [
        datetime(2027, 11, 7, 3, 0, tzinfo=UTC),
        datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
        datetime(2027, 11, 7, 5, 59, tzinfo=UTC),
    ]
