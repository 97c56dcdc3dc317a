"""The pure schedule module: filters, time zones, release diffs, conflicts and clashes."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ascc.programme.schedule import Filters, Schedule, Slot, all_conflicts, clashes, conflicts, diff, fold

TOKYO = ZoneInfo("Asia/Tokyo")


def _session(id_: int, start: str, end: str, **extra) -> dict:
    data = {
        "id": id_,
        "status": "published",
        "kind": "thematic",
        "title_en": f"Session {id_}",
        "title_ja": f"セッション{id_}",
        "abstract_en": "",
        "abstract_ja": "",
        "starts_at": datetime.fromisoformat(f"2023-11-14T{start}:00+09:00").isoformat(),
        "ends_at": datetime.fromisoformat(f"2023-11-14T{end}:00+09:00").isoformat(),
        "room_id": 1,
        "track_id": None,
        "sdgs": [],
        "sectors": [],
        "floor_language": "en",
        "interpretation": [],
        "format": "in_person",
        "capacity": None,
        "people": [],
    }
    data.update(extra)
    return data


def snapshot(*sessions: dict) -> dict:
    return {
        "version": 1,
        "published_at": None,
        "timezone": "Asia/Tokyo",
        "first_day": "2023-11-13",
        "last_day": "2023-11-15",
        "tracks": [{"id": 7, "name_en": "Water", "name_ja": "水", "colour": "#1565c0"}],
        "rooms": [
            {
                "id": 1,
                "name_en": "Main Hall",
                "name_ja": "メインホール",
                "floor": "1F",
                "capacity": 400,
                "hybrid": True,
            }
        ],
        "people": [{"id": 3, "slug": "aiko-fujimoto", "name": "Aiko Fujimoto", "name_local": "藤本 愛子"}],
        "sessions": list(sessions),
    }


def _ids(schedule: Schedule, **query: list[str]) -> list[int]:
    return [i.id for i in schedule.select(Filters.parse(query, [7]))]


SCHEDULE = Schedule.from_snapshot(
    snapshot(
        _session(
            1,
            "09:00",
            "10:00",
            track_id=7,
            sdgs=["6.3"],
            sectors=["water"],
            interpretation=["ja"],
            format="hybrid",
        ),
        _session(
            2, "09:30", "10:30", floor_language="ja", title_ja="ＳＤＧｓと自治体", people=[[3, "speaker"]]
        ),
        _session(3, "11:00", "12:00", kind="keynote", status="cancelled", format="online"),
    )
)


def test_filters_narrow_by_track_language_interpretation_sdg_and_format() -> None:
    assert _ids(SCHEDULE, track=["7"]) == [1]
    assert _ids(SCHEDULE, lang=["ja"]) == [1, 2]  # 1 through interpretation, 2 on the floor
    assert _ids(SCHEDULE, lang=["en"]) == [1, 3]
    assert _ids(SCHEDULE, interpretation=["1"]) == [1]
    assert _ids(SCHEDULE, sdg=["6"]) == [1]  # goal 6 finds target 6.3
    assert _ids(SCHEDULE, format=["online"]) == [1, 3]  # hybrid sessions can be followed online too
    assert _ids(SCHEDULE, format=["in_person"]) == [1, 2]
    assert _ids(SCHEDULE, kind=["keynote"], sector=["water"]) == []


def test_unknown_filter_values_are_ignored() -> None:
    filters = Filters.parse(
        {"track": ["99", "abc"], "kind": ["<script>"], "sdg": ["18"], "lang": ["fr"], "day": ["2023-02-30"]},
        [7],
    )
    assert filters == Filters()
    assert _ids(SCHEDULE, track=["99"], kind=["nope"]) == [1, 2, 3]


def test_free_text_finds_japanese_speakers_and_full_width_letters() -> None:
    assert _ids(SCHEDULE, q=["藤本"]) == [2]
    assert _ids(SCHEDULE, q=["sdgs 自治体"]) == [2]  # ＳＤＧｓ typed in full width in the title
    assert _ids(SCHEDULE, q=["water"]) == [1]  # the track's name
    assert _ids(SCHEDULE, q=["main hall"]) == [1, 2, 3]  # the room
    assert _ids(SCHEDULE, q=["SDG 6.3"]) == [1]


def test_search_ignores_latin_accents_but_not_japanese_voicing() -> None:
    assert fold("Nguyễn Thị Lan") == "nguyen thi lan"
    assert fold("ダナン") != fold("タナン")
    assert fold("ＳＤＧｓ") == "sdgs"


def test_days_are_the_edition_days_in_its_time_zone() -> None:
    assert SCHEDULE.days == (date(2023, 11, 13), date(2023, 11, 14), date(2023, 11, 15))
    assert _ids(SCHEDULE, day=["2023-11-14"]) == [1, 2, 3]
    assert _ids(SCHEDULE, day=["2023-11-13"]) == []


def test_diff_lists_added_changed_cancelled_and_removed_sessions() -> None:
    old = snapshot(
        _session(1, "09:00", "10:00"), _session(2, "10:00", "11:00"), _session(3, "11:00", "12:00")
    )
    new = copy.deepcopy(old)
    new["sessions"][0]["starts_at"] = datetime(2023, 11, 14, 1, 30, tzinfo=UTC).isoformat()
    new["sessions"][0]["room_id"] = 2
    new["sessions"][1]["status"] = "cancelled"
    del new["sessions"][2]
    new["sessions"].append(_session(4, "13:00", "14:00"))
    changes = {(c.session_id, c.change, c.fields) for c in diff(old, new)}
    assert changes == {
        (1, "changed", ("time", "room")),
        (2, "cancelled", ()),
        (3, "removed", ()),
        (4, "added", ()),
    }
    assert diff(None, new) == []
    same_instant = copy.deepcopy(new)
    same_instant["sessions"][0]["starts_at"] = "2023-11-14T10:30:00+09:00"  # = 01:30 UTC
    assert diff(new, same_instant) == []
    assert diff(new, copy.deepcopy(new)) == []
    reordered = copy.deepcopy(new)
    new["sessions"][0]["people"] = [[3, "speaker"], [4, "panelist"]]
    reordered["sessions"][0]["people"] = [[4, "panelist"], [3, "speaker"]]
    assert diff(new, reordered) == []


def _slot(id_: int, start: int, end: int, room: int | None = 1, people=()) -> Slot:
    return Slot(
        id_,
        f"S{id_}",
        datetime(2023, 11, 14, start, tzinfo=TOKYO),
        datetime(2023, 11, 14, end, tzinfo=TOKYO),
        room,
        frozenset(people),
    )


def test_conflicts_find_double_booked_rooms_and_people_and_days_outside_the_edition() -> None:
    first, last = date(2023, 11, 13), date(2023, 11, 15)
    found = conflicts(
        _slot(1, 9, 11, people=[5]), [_slot(2, 10, 12, people=[5]), _slot(3, 11, 12)], first, last, TOKYO
    )
    assert [(w.kind, w.other_id) for w in found] == [("room_double_booked", 2), ("person_double_booked", 2)]
    late = Slot(
        9,
        "Late",
        datetime(2023, 11, 16, 9, tzinfo=TOKYO),
        datetime(2023, 11, 16, 10, tzinfo=TOKYO),
        None,
        frozenset(),
    )
    assert [w.kind for w in conflicts(late, [], first, last, TOKYO)] == ["outside_edition_days"]
    # Back to back is not a conflict; each pair is reported once over the whole programme.
    assert conflicts(_slot(1, 9, 10), [_slot(2, 10, 11)], first, last, TOKYO) == []
    assert len(all_conflicts([_slot(1, 9, 11), _slot(2, 10, 12), _slot(3, 13, 14)], first, last, TOKYO)) == 1


def test_clashes_mark_overlapping_agenda_items_but_not_cancelled_ones() -> None:
    assert clashes(list(SCHEDULE.items)) == {1, 2}
    assert clashes([SCHEDULE.by_id[1], SCHEDULE.by_id[3]]) == set()
