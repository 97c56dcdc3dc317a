"""The proposed times of an off-season meeting, without a database: typed in the proposer's zone, refused
when the clocks skip them, compared as instants."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


def test_times_on_the_conference_days_in_the_editions_zone_are_refused() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    days = offseason.conference_span(date(2027, 11, 13), date(2027, 11, 15), tokyo)
    assert days == (datetime(2027, 11, 12, 15, 0, tzinfo=UTC), datetime(2027, 11, 15, 15, 0, tzinfo=UTC))
    errors: dict = {}
    # 10:00 on the 12th in New York is midnight of the 13th in Tokyo; 10:30 on the 15th is the 16th there.
    raw = ["2027-11-12T10:00", "2027-11-12T09:59", "2027-11-15T10:30"]
    slots = offseason.parse_slots(errors, raw, NEW_YORK, NOW, days)
    assert errors == {"slot_1": (offseason.SLOT_ON_CONFERENCE_DAYS, {})}
    assert slots == [datetime(2027, 11, 12, 14, 59, tzinfo=UTC), datetime(2027, 11, 15, 15, 30, tzinfo=UTC)]
