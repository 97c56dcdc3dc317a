"""Where an edition stands at a moment: registration not yet open, open, closed; the meeting-request window;
the conference days; and after. Pure: an edition's dates and a moment in, an answer out.

Every date is a whole day where the conference is (the edition's timezone, Asia/Tokyo for Yokohama):
registration opens at 00:00 of its first day and closes at 24:00 of its last day; the conference is live
from 00:00 of its first day to 24:00 of its last. Nothing stays open past the conference: a last day later
than the conference's counts as the conference's last day.

- Registration with no closing date set has no date limit (the edition's status alone decides, as before
  editions had dates); a category may close on a day of its own (`closes_on`).
- Meeting requests close at the end of their last day, or of the conference's last day when none is set: a
  request sent later could never become a meeting.
- An edition in draft is not open to anyone; one set to "closed" by its organizers is closed whatever the dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ascc.editions.models import Edition

# The conference itself.
BEFORE, LIVE, ENDED = "before", "live", "ended"
# A window (registration, meeting requests). "ended": closed because the conference is over.
NOT_YET, OPEN, CLOSED = "not_yet", "open", "closed"


@dataclass(frozen=True)
class Timeline:
    starts_on: date
    ends_on: date
    timezone: str = "Asia/Tokyo"
    status: str = "registration_open"
    registration_opens_on: date | None = None
    registration_closes_on: date | None = None
    meeting_requests_close_on: date | None = None


def timeline_of(edition: Edition) -> Timeline:
    """The timeline of an edition (any object with the Edition's attributes)."""
    return Timeline(
        starts_on=edition.starts_on,
        ends_on=edition.ends_on,
        timezone=edition.timezone or "Asia/Tokyo",
        status=edition.status,
        registration_opens_on=edition.registration_opens_on,
        registration_closes_on=edition.registration_closes_on,
        meeting_requests_close_on=edition.meeting_requests_close_on,
    )


def day_start(day: date, timezone: str) -> datetime:
    """00:00 of `day` where the conference is."""
    return datetime.combine(day, time(0), ZoneInfo(timezone))


def day_end(day: date, timezone: str) -> datetime:
    """24:00 of `day` where the conference is: the first moment it is over."""
    return day_start(day + timedelta(days=1), timezone)


def stage(timeline: Timeline, now: datetime) -> str:
    """The conference at `now`: before it, live (one of its days), or ended."""
    if now >= day_end(timeline.ends_on, timeline.timezone):
        return ENDED
    if now >= day_start(timeline.starts_on, timeline.timezone):
        return LIVE
    return BEFORE


@dataclass(frozen=True)
class Window:
    """A window at a moment: `state` is NOT_YET, OPEN, CLOSED or ENDED (closed because the conference is over);
    `opens_on` its first day, `closes_on` its last day (None: no date set)."""

    state: str
    opens_on: date | None = None
    closes_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.state == OPEN


def registration(timeline: Timeline, now: datetime, closes_on: date | None = None) -> Window:
    """Registration at `now`; `closes_on`, a category's own last day, replaces the edition's."""
    if timeline.status == "draft":
        return Window(NOT_YET)
    opens_on = timeline.registration_opens_on
    last_day = closes_on or timeline.registration_closes_on
    if last_day is not None:
        last_day = min(last_day, timeline.ends_on)
    over = now >= day_end(timeline.ends_on, timeline.timezone)
    if timeline.status == "closed":
        return Window(ENDED if over else CLOSED, opens_on, last_day)
    if opens_on is not None and now < day_start(opens_on, timeline.timezone):
        return Window(NOT_YET, opens_on, last_day)
    if last_day is None:
        return Window(OPEN, opens_on, None)
    if over:
        return Window(ENDED, opens_on, last_day)
    if now >= day_end(last_day, timeline.timezone):
        return Window(CLOSED, opens_on, last_day)
    return Window(OPEN, opens_on, last_day)


def meeting_requests(timeline: Timeline, now: datetime) -> Window:
    """Meeting requests at `now`: open until the end of their last day (the conference's, when unset)."""
    last_day = min(timeline.meeting_requests_close_on or timeline.ends_on, timeline.ends_on)
    if now >= day_end(timeline.ends_on, timeline.timezone):
        return Window(ENDED, None, last_day)
    if now >= day_end(last_day, timeline.timezone):
        return Window(CLOSED, None, last_day)
    return Window(OPEN, None, last_day)


@dataclass(frozen=True)
class Headline:
    """What the home page says about the edition: a catalogue key ("phase.*") and the day it names."""

    key: str
    day: date | None = None


def headline(timeline: Timeline, now: datetime) -> Headline:
    """The one line that says where the edition stands: "Registration open until 10 November", "Live now",
    "Ended on 15 November"."""
    if timeline.status == "draft":
        return Headline("phase.draft")
    conference = stage(timeline, now)
    if conference == ENDED:
        return Headline("phase.ended", timeline.ends_on)
    if conference == LIVE:
        return Headline("phase.live", timeline.ends_on)
    window = registration(timeline, now)
    if window.state == NOT_YET:
        return Headline("phase.registration_opens", window.opens_on)
    if window.state == OPEN:
        if window.closes_on is None:
            return Headline("phase.registration_open")
        return Headline("phase.registration_open_until", window.closes_on)
    if window.closes_on is None:
        return Headline("phase.registration_closed", timeline.starts_on)
    return Headline("phase.registration_closed_on", window.closes_on)
