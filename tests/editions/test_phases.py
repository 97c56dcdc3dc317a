"""Where an edition stands at a moment (ascc.editions.phases): plain dates in, an answer out."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ascc.editions import phases

# The 12th edition: registration 1 September to 10 November, the conference 13-15 November 2023, Yokohama.
DEMO = phases.Timeline(
    starts_on=date(2023, 11, 13),
    ends_on=date(2023, 11, 15),
    timezone="Asia/Tokyo",
    status="live",
    registration_opens_on=date(2023, 9, 1),
    registration_closes_on=date(2023, 11, 10),
    meeting_requests_close_on=date(2023, 11, 14),
)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


@pytest.mark.parametrize(
    ("moment", "state", "headline"),
    [
        ("2023-08-31T23:59+09:00", "not_yet", ("phase.registration_opens", date(2023, 9, 1))),
        ("2023-09-01T00:00+09:00", "open", ("phase.registration_open_until", date(2023, 11, 10))),
        ("2023-10-20T12:00+09:00", "open", ("phase.registration_open_until", date(2023, 11, 10))),
        ("2023-11-10T23:59+09:00", "open", ("phase.registration_open_until", date(2023, 11, 10))),
        ("2023-11-11T00:00+09:00", "closed", ("phase.registration_closed_on", date(2023, 11, 10))),
        ("2023-11-13T00:00+09:00", "closed", ("phase.live", date(2023, 11, 15))),
        ("2023-11-15T23:59+09:00", "closed", ("phase.live", date(2023, 11, 15))),
        ("2023-11-16T00:00+09:00", "ended", ("phase.ended", date(2023, 11, 15))),
        ("2023-12-01T10:00+09:00", "ended", ("phase.ended", date(2023, 11, 15))),
    ],
)
def test_registration_and_headline_through_the_year(moment, state, headline) -> None:
    assert phases.registration(DEMO, at(moment)).state == state
    line = phases.headline(DEMO, at(moment))
    assert (line.key, line.day) == headline


def test_days_are_days_where_the_conference_is_not_utc() -> None:
    # 10 November 23:30 in Yokohama is 14:30 UTC: still the last day of registration there.
    assert phases.registration(DEMO, at("2023-11-10T14:30+00:00")).is_open
    # 11 November 00:30 in Yokohama is still 10 November in UTC and in Manila's evening: closed all the same.
    assert not phases.registration(DEMO, at("2023-11-10T15:30+00:00")).is_open
    assert not phases.registration(DEMO, at("2023-11-10T23:30+08:00")).is_open
    assert phases.stage(DEMO, at("2023-11-12T15:00+00:00")) == phases.LIVE  # 00:00 on the 13th in Tokyo


def test_a_category_may_close_on_its_own_day_but_never_after_the_conference() -> None:
    press = date(2023, 11, 12)
    moment = at("2023-11-11T10:00+09:00")
    assert not phases.registration(DEMO, moment).is_open
    own = phases.registration(DEMO, moment, press)
    assert own.is_open and own.closes_on == press
    late = phases.registration(DEMO, at("2023-11-14T10:00+09:00"), date(2024, 1, 31))
    assert late.is_open and late.closes_on == DEMO.ends_on  # a day after the conference counts as its last
    assert phases.registration(DEMO, at("2023-11-16T09:00+09:00"), date(2024, 1, 31)).state == "ended"


def test_without_dates_the_status_decides_as_before() -> None:
    bare = phases.Timeline(date(2023, 11, 13), date(2023, 11, 15), status="registration_open")
    assert phases.registration(bare, at("2023-01-01T00:00+09:00")).is_open
    assert phases.headline(bare, at("2023-10-01T00:00+09:00")).key == "phase.registration_open"
    assert phases.registration(
        phases.Timeline(date(2023, 11, 13), date(2023, 11, 15), status="draft"), at("2023-10-01T00:00+09:00")
    ).state == ("not_yet")
    closed = phases.Timeline(date(2023, 11, 13), date(2023, 11, 15), status="closed")
    assert phases.registration(closed, at("2023-10-01T00:00+09:00")).state == "closed"
    assert phases.headline(closed, at("2023-10-01T00:00+09:00")).key == "phase.registration_closed"
    # The conference still has its days: the home page says "Ended on 15 November" afterwards.
    assert phases.headline(bare, at("2023-11-20T00:00+09:00")) == phases.Headline("phase.ended", bare.ends_on)


def test_meeting_requests_close_on_their_day_or_with_the_conference() -> None:
    assert phases.meeting_requests(DEMO, at("2023-11-14T23:59+09:00")).is_open
    closed = phases.meeting_requests(DEMO, at("2023-11-15T09:00+09:00"))
    assert closed.state == "closed" and closed.closes_on == date(2023, 11, 14)
    bare = phases.Timeline(date(2023, 11, 13), date(2023, 11, 15))
    assert phases.meeting_requests(bare, at("2023-11-15T18:00+09:00")).is_open
    ended = phases.meeting_requests(bare, at("2023-12-01T10:00+09:00"))
    assert ended.state == "ended" and ended.closes_on == date(2023, 11, 15)
