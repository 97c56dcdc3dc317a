"""iCalendar files read back by two independent parsers (icalendar and ical): exact instants in any zone,
events across midnight and the date line, hostile and very long text, and meeting invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from ascc.ical import Attendee, CalendarItem, Revision, calendar, invitation

TOKYO = ZoneInfo("Asia/Tokyo")
STAMP = datetime(2023, 11, 1, tzinfo=UTC)


def item(**changes) -> CalendarItem:
    values = {
        "uid": "session-7@ascc.example.org",
        "starts_at": datetime(2023, 11, 14, 9, 0, tzinfo=TOKYO),
        "ends_at": datetime(2023, 11, 14, 10, 30, tzinfo=TOKYO),
        "summary": "Keynote / 基調講演",
        "location": "Main Hall, Pacifico Yokohama",
        "description": "English\n\n日本語",
        "url": "https://ascc.example.org/sessions/7",
    }
    values.update(changes)
    return CalendarItem(**values)


def both_parsers(body: bytes) -> tuple[list, list]:
    """The events as `icalendar` and as `ical` (pydantic, strict about RFC 5545) read them."""
    first = [c for c in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    second = IcsCalendarStream.calendar_from_ics(body.decode()).events
    return first, second


@pytest.mark.parametrize("viewer", ["America/New_York", "Asia/Kolkata", "Asia/Manila", "Pacific/Kiritimati"])
def test_nine_in_tokyo_is_the_same_instant_for_a_viewer_anywhere(viewer: str) -> None:
    body = calendar([Revision(item())], "Asia/Tokyo", STAMP)
    first, second = both_parsers(body)
    expected = datetime(2023, 11, 14, 0, 0, tzinfo=UTC)
    assert first[0].decoded("dtstart").astimezone(ZoneInfo(viewer)) == expected
    assert second[0].dtstart.astimezone(ZoneInfo(viewer)) == expected
    # What a calendar in that zone shows: e.g. 19:00 the evening before in New York, 05:30 in Kolkata.
    local = {
        "America/New_York": "2023-11-13 19:00",
        "Asia/Kolkata": "2023-11-14 05:30",
        "Asia/Manila": "2023-11-14 08:00",
        "Pacific/Kiritimati": "2023-11-14 14:00",
    }[viewer]
    assert second[0].dtstart.astimezone(ZoneInfo(viewer)).strftime("%Y-%m-%d %H:%M") == local


def test_file_carries_the_editions_vtimezone_and_tzid() -> None:
    body = calendar([Revision(item())], "Asia/Tokyo", STAMP)
    parsed = icalendar.Calendar.from_ical(body)
    [zone] = parsed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Tokyo"
    assert b"DTSTART;TZID=Asia/Tokyo:20231114T090000" in body


def test_the_vtimezone_holds_only_what_rfc_5545_allows() -> None:
    """icalendar put a COMMENT on the VTIMEZONE itself (allowed only inside STANDARD/DAYLIGHT): strict readers
    refused the whole file."""
    body = calendar([Revision(item())], "Asia/Tokyo", STAMP)
    [timezone] = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    assert set(timezone.keys()) <= {"TZID", "LAST-MODIFIED", "TZURL"}
    assert [c.name for c in timezone.subcomponents] == ["STANDARD"]


def test_event_across_midnight_keeps_both_days() -> None:
    late = item(
        starts_at=datetime(2023, 11, 14, 22, 30, tzinfo=TOKYO),
        ends_at=datetime(2023, 11, 15, 1, 0, tzinfo=TOKYO),
    )
    _, second = both_parsers(calendar([Revision(late)], "Asia/Tokyo", STAMP))
    assert second[0].dtend - second[0].dtstart == timedelta(hours=2, minutes=30)
    assert second[0].dtend.astimezone(TOKYO).date().isoformat() == "2023-11-15"


def test_event_across_the_date_line_stays_correct() -> None:
    # An online session run from Samoa (UTC+13) seen from Honolulu (UTC-10): a day apart on the calendar.
    apia = ZoneInfo("Pacific/Apia")
    online = item(
        starts_at=datetime(2023, 11, 15, 8, 0, tzinfo=apia), ends_at=datetime(2023, 11, 15, 9, 0, tzinfo=apia)
    )
    first, second = both_parsers(calendar([Revision(online)], "Pacific/Apia", STAMP))
    honolulu = second[0].dtstart.astimezone(ZoneInfo("Pacific/Honolulu"))
    assert honolulu.strftime("%Y-%m-%d %H:%M") == "2023-11-14 09:00"
    assert first[0].decoded("dtstart") == second[0].dtstart == datetime(2023, 11, 14, 19, 0, tzinfo=UTC)


def test_control_characters_and_long_titles_are_cleaned_and_folded(inputs: dict) -> None:
    hostile = " ".join(inputs["hostile"]) + "\x00\x07\x1b[31m" + "長" * 2000
    body = calendar(
        [Revision(item(summary=hostile, description=hostile, location="a;b,c\\d"))], "Asia/Tokyo", STAMP
    )
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    first, second = both_parsers(body)
    summary = str(first[0]["SUMMARY"])
    assert "\x00" not in summary and "\x07" not in summary
    assert summary.startswith(inputs["hostile"][0])
    assert len(summary) == 500 and summary.endswith("…")
    assert second[0].location == "a;b,c\\d"


def test_missing_room_and_people_still_make_valid_calendar() -> None:
    bare = item(location="", description="", url="")
    first, second = both_parsers(calendar([Revision(bare)], "Asia/Tokyo", STAMP))
    assert "LOCATION" not in first[0]
    assert second[0].summary == "Keynote / 基調講演"


def test_sequence_last_modified_and_cancelled_status_reach_calendars() -> None:
    modified = datetime(2023, 11, 12, 3, 0, tzinfo=UTC)
    body = calendar([Revision(item(status="CANCELLED"), 4, modified, STAMP)], "Asia/Tokyo", STAMP)
    first, second = both_parsers(body)
    assert second[0].sequence == 4
    assert second[0].last_modified == modified
    assert str(first[0]["STATUS"]) == "CANCELLED"


def test_invitation_is_an_itip_request_with_organizer_and_both_attendees() -> None:
    people = (Attendee("maria@example.org", "Maria Reyes"), Attendee("tanaka@例え.jp", "田中 花子, Wakato"))
    body = invitation(
        item(attendees=people), "Asia/Tokyo", 5, STAMP, Attendee("noreply@ascc.example.org", "ASCC")
    )
    parsed = icalendar.Calendar.from_ical(body)
    assert str(parsed["METHOD"]) == "REQUEST"
    [event] = parsed.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:noreply@ascc.example.org"
    assert sorted(str(a) for a in event["ATTENDEE"]) == ["mailto:maria@example.org", "mailto:tanaka@例え.jp"]
    [other] = IcsCalendarStream.calendar_from_ics(body.decode()).events
    assert [a.common_name for a in other.attendees] == ["Maria Reyes", "田中 花子, Wakato"]
    assert other.sequence == 5


def test_cancelled_invitation_is_an_itip_cancel() -> None:
    body = invitation(
        item(status="CANCELLED"), "Asia/Tokyo", 6, STAMP, Attendee("noreply@ascc.example.org", "ASCC")
    )
    parsed = icalendar.Calendar.from_ical(body)
    assert str(parsed["METHOD"]) == "CANCEL"
    assert str(parsed.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
