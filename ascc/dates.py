"""Dates and times as people read them: one set of named formats per language, in a given time zone.

Pages, mails, PDFs and the check-in page all go through these names, so a moment reads the same
everywhere: "Tuesday 14 November 2023, 14:00–14:30 (JST)" / "2023年11月14日(火) 14:00–14:30 (日本時間)".
Times are shown in the edition's zone (conference time) unless a page offers the viewer's own.
Machine formats (ISO in the API, iCalendar, CSV and XML exports, form inputs) do not come here.

Pure: Babel only, no web framework and no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.dates import get_timezone_name

# A date alone.                                  English                      Japanese
DATE_FORMATS: dict[str, dict[str, str]] = {
    "day": {"en": "EEE d MMM", "ja": "M月d日(E)"},  # Tue 14 Nov              11月14日(火)
    "date": {"en": "d MMMM y", "ja": "y年M月d日"},  # 14 November 2023        2023年11月14日
    "date_long": {
        "en": "EEEE d MMMM y",
        "ja": "y年M月d日(E)",
    },  # Tuesday 14 November 2023  2023年11月14日(火)
    "date_short": {"en": "d MMM y", "ja": "y/MM/dd"},  # 14 Nov 2023           2023/11/14
    "month": {"en": "MMMM y", "ja": "y年M月"},  # November 2023           2023年11月
}
# A moment (a date and a time), shown in a zone.
_TIME = "HH:mm"
MOMENT_FORMATS: dict[str, dict[str, str]] = {
    "time": {"en": _TIME, "ja": _TIME},  # 14:00
    "time_seconds": {"en": "HH:mm:ss", "ja": "HH:mm:ss"},  # 14:00:05 (scan logs, "updated at")
    "day_time": {"en": f"EEE d MMM, {_TIME}", "ja": f"M月d日(E) {_TIME}"},  # Tue 14 Nov, 14:00
    "datetime": {"en": f"EEEE d MMMM y, {_TIME}", "ja": f"y年M月d日(E) {_TIME}"},  # + " (JST)"
    # Log tables (audit log, outbox, campaign progress): sortable, to the second.
    "stamp": {"en": "y-MM-dd HH:mm:ss", "ja": "y-MM-dd HH:mm:ss"},
}
# A moment and its zone: the formats a person may read away from the conference (mails, session pages).
_WITH_ZONE = {"datetime"}
RANGE_FORMATS = ("time_range", "day_time_range", "datetime_range")
DASH = "–"
JA_RANGE = "～"


def zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _key(tz: str | tzinfo) -> str:
    return tz if isinstance(tz, str) else getattr(tz, "key", str(tz))


def _lang(lang: str) -> str:
    return "ja" if lang == "ja" else "en"


def _offset(moment: datetime) -> str:
    minutes = int((moment.utcoffset() or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@cache
def _zone_name(key: str, lang: str) -> str | None:
    """CLDR's generic name of a zone ("Vietnam Time", "日本時間"), None where CLDR has none."""
    try:
        name = get_timezone_name(ZoneInfo(key), "long", locale=lang, zone_variant="generic")
    except (LookupError, ValueError):
        return None
    return None if "Unknown" in name or "不明" in name else name


# Abbreviations that name another zone first: Manila's PST, Shanghai's CST, Kolkata's IST read as
# Pacific, Central, Irish time to many; those zones are written by name ("Philippines Time").
_AMBIGUOUS = {"PST", "CST", "IST", "AST", "BST", "EST", "MST"}


def _ambiguous(key: str, abbreviation: str) -> bool:
    return abbreviation in _AMBIGUOUS and not key.startswith(("America/", "Europe/", "US/", "Canada/"))


def zone_label(tz: str | tzinfo, lang: str, at: datetime | None = None) -> str:
    """ "JST" / "日本時間": the abbreviation in English where the zone has a common one, else the zone's
    name ("Vietnam Time" / "ベトナム時間"), else its offset ("UTC+5:45")."""
    where = zone(tz)
    moment = (at or datetime.now(UTC)).astimezone(where)
    key = _key(tz)
    if key in ("UTC", "Etc/UTC"):
        return "UTC"
    lang = _lang(lang)
    abbreviation = moment.tzname() or ""
    if lang == "en" and abbreviation.isalpha() and not _ambiguous(key, abbreviation):
        return abbreviation
    return _zone_name(key, lang) or _offset(moment)


def format_date(value: date | None, lang: str, name: str = "date") -> str:
    """A day in one of DATE_FORMATS ("day", "date", "date_long", "date_short", "month")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        raise TypeError("a moment needs a zone: use format_moment")
    lang = _lang(lang)
    return babel_date(value, format=DATE_FORMATS[name][lang], locale=lang)


def format_moment(value: datetime | None, lang: str, tz: str | tzinfo, name: str = "day_time") -> str:
    """A moment in zone `tz`: a name of MOMENT_FORMATS or DATE_FORMATS (the day it is there)."""
    if value is None:
        return ""
    lang = _lang(lang)
    local = value.astimezone(zone(tz))
    if name in DATE_FORMATS:
        return format_date(local.date(), lang, name)
    text = babel_datetime(local, format=MOMENT_FORMATS[name][lang], locale=lang)
    return f"{text} ({zone_label(tz, lang, value)})" if name in _WITH_ZONE else text


def time_range(start: datetime, end: datetime, lang: str, tz: str | tzinfo) -> str:
    """14:00–14:30"""
    return f"{format_moment(start, lang, tz, 'time')}{DASH}{format_moment(end, lang, tz, 'time')}"


def format_range(
    start: datetime | None, end: datetime | None, lang: str, tz: str | tzinfo, name: str = "day_time_range"
) -> str:
    """From `start` to `end` in zone `tz`, the day written once when both are on it.

    time_range       14:00–14:30
    day_time_range   Tue 14 Nov, 14:00–14:30              11月14日(火) 14:00–14:30
    datetime_range   Tuesday 14 November 2023, 14:00–14:30 (JST)   2023年11月14日(火) 14:00–14:30 (日本時間)
    """
    if start is None:
        return ""
    if end is None:
        return format_moment(start, lang, tz, "datetime" if name == "datetime_range" else "day_time")
    lang = _lang(lang)
    if name == "time_range":
        return time_range(start, end, lang, tz)
    day_name = {"day_time_range": "day", "datetime_range": "date_long"}[name]
    where = zone(tz)
    if start.astimezone(where).date() == end.astimezone(where).date():
        day = format_moment(start, lang, tz, day_name)
        text = (
            f"{day} {time_range(start, end, lang, tz)}"
            if lang == "ja"
            else f"{day}, {time_range(start, end, lang, tz)}"
        )
    else:
        moment = "day_time" if name == "day_time_range" else "datetime"
        first = babel_datetime(start.astimezone(where), format=MOMENT_FORMATS[moment][lang], locale=lang)
        last = babel_datetime(end.astimezone(where), format=MOMENT_FORMATS[moment][lang], locale=lang)
        text = f"{first} {DASH} {last}" if lang == "en" else f"{first}{JA_RANGE}{last}"
    return f"{text} ({zone_label(tz, lang, start)})" if name == "datetime_range" else text


def date_range(first: date, last: date, lang: str, name: str = "date") -> str:
    """The days of an edition, the month and year written once: "13–15 November 2023", "2023年11月13日～15日";
    with name="date_long": "Monday 13 – Wednesday 15 November 2023", "2023年11月13日(月)～15日(水)"."""
    lang = _lang(lang)
    if first == last:
        return format_date(first, lang, name)
    weekday = name == "date_long"
    if lang == "ja":
        if first.year != last.year:
            tail = DATE_FORMATS[name]["ja"]
        elif first.month != last.month:
            tail = "M月d日(E)" if weekday else "M月d日"
        else:
            tail = "d日(E)" if weekday else "d日"
        return f"{format_date(first, lang, name)}{JA_RANGE}{babel_date(last, format=tail, locale='ja')}"
    if first.year != last.year:
        head = DATE_FORMATS[name]["en"]
    elif first.month != last.month:
        head = "EEEE d MMMM" if weekday else "d MMMM"
    else:
        head = "EEEE d" if weekday else "d"
    sep = f" {DASH} " if weekday or first.month != last.month or first.year != last.year else DASH
    return f"{babel_date(first, format=head, locale='en')}{sep}{format_date(last, lang, name)}"
