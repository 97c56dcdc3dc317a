"""The named date and time formats every page, mail and PDF uses (ascc/dates.py), in both languages."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ascc import dates

TOKYO = "Asia/Tokyo"
# 14:00 to 14:30 in Yokohama, written in UTC as the database keeps it.
START = datetime.fromisoformat("2023-11-14T05:00+00:00")
END = datetime.fromisoformat("2023-11-14T05:30+00:00")


@pytest.mark.parametrize(
    ("name", "en", "ja"),
    [
        ("time", "14:00", "14:00"),
        ("day", "Tue 14 Nov", "11月14日(火)"),
        ("date", "14 November 2023", "2023年11月14日"),
        ("date_long", "Tuesday 14 November 2023", "2023年11月14日(火)"),
        ("date_short", "14 Nov 2023", "2023/11/14"),
        ("day_time", "Tue 14 Nov, 14:00", "11月14日(火) 14:00"),
        ("datetime", "Tuesday 14 November 2023, 14:00 (JST)", "2023年11月14日(火) 14:00 (日本時間)"),
        ("stamp", "2023-11-14 14:00:00", "2023-11-14 14:00:00"),
    ],
)
def test_a_moment_reads_the_same_everywhere_in_conference_time(name: str, en: str, ja: str) -> None:
    assert dates.format_moment(START, "en", TOKYO, name) == en
    assert dates.format_moment(START, "ja", TOKYO, name) == ja


@pytest.mark.parametrize(
    ("name", "en", "ja"),
    [
        ("time_range", "14:00–14:30", "14:00–14:30"),
        ("day_time_range", "Tue 14 Nov, 14:00–14:30", "11月14日(火) 14:00–14:30"),
        (
            "datetime_range",
            "Tuesday 14 November 2023, 14:00–14:30 (JST)",
            "2023年11月14日(火) 14:00–14:30 (日本時間)",
        ),
    ],
)
def test_a_range_writes_its_day_once(name: str, en: str, ja: str) -> None:
    assert dates.format_range(START, END, "en", TOKYO, name) == en
    assert dates.format_range(START, END, "ja", TOKYO, name) == ja


def test_a_range_past_midnight_names_both_days() -> None:
    late = datetime.fromisoformat("2023-11-14T22:00+09:00")
    after = datetime.fromisoformat("2023-11-15T01:00+09:00")
    assert dates.format_range(late, after, "en", TOKYO) == "Tue 14 Nov, 22:00 – Wed 15 Nov, 01:00"
    assert dates.format_range(late, after, "ja", TOKYO) == "11月14日(火) 22:00～11月15日(水) 01:00"


def test_the_zone_is_the_one_asked_for_not_the_machines() -> None:
    # 14:00 in Yokohama is 12:00 in Manila and 05:00 UTC: a viewer's own zone, when a page offers it.
    assert dates.format_moment(START, "en", "Asia/Manila", "datetime") == (
        "Tuesday 14 November 2023, 13:00 (Philippine Time)"
    )
    assert dates.format_moment(START, "ja", "Asia/Ho_Chi_Minh", "datetime") == (
        "2023年11月14日(火) 12:00 (ベトナム時間)"
    )
    assert dates.format_moment(START, "en", "UTC", "datetime") == "Tuesday 14 November 2023, 05:00 (UTC)"


def test_the_days_of_an_edition() -> None:
    first, last = date(2023, 11, 13), date(2023, 11, 15)
    assert dates.date_range(first, last, "en") == "13–15 November 2023"
    assert dates.date_range(first, last, "ja") == "2023年11月13日～15日"
    assert dates.date_range(first, last, "en", "date_long") == "Monday 13 – Wednesday 15 November 2023"
    assert dates.date_range(first, last, "ja", "date_long") == "2023年11月13日(月)～15日(水)"
    assert dates.date_range(date(2023, 10, 30), date(2023, 11, 1), "en") == "30 October – 1 November 2023"
    assert dates.date_range(date(2023, 10, 30), date(2023, 11, 1), "ja") == "2023年10月30日～11月1日"


def test_a_moment_without_a_zone_is_refused_as_a_day() -> None:
    with pytest.raises(TypeError):
        dates.format_date(START, "en")  # type: ignore[arg-type]
