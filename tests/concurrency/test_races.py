"""The race harness: every state-changing API operation with a rule, fired at the same moment, on both databases.

Each race sends the same request twice from one person (a double click, two phones) and once each from
several people, then reads the database: the rule holds (docs/concurrency.md names the mechanism of each),
nobody gets a 5xx, and every answer is one a client can act on.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.concurrency.conftest import SIGNUP_PLACES, SLOT_PAIRS, TABLES, Arena

pytestmark = pytest.mark.xdist_group("races")


def _statuses(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


def _no_server_error(responses) -> None:
    errors = [
        (r.request.method, r.request.url.path, r.status_code, r.text[:200])
        for r in responses
        if r.status_code >= 500
    ]
    assert errors == []


# --- tours --------------------------------------------------------------------------------------------------------


async def test_one_course_per_tour_holds_when_both_courses_are_booked_at_once(arena: Arena) -> None:
    w = arena.world
    requests = []
    for token in w.tokens["tourists"]:
        for course in ("f1", "f2"):
            requests.append(("POST", f"/api/v1/tours/courses/{w.ids[course]}/booking", token, None))
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert _statuses(responses) == [200] * 30 + [409] * 30
    refused = {r.json()["error"] for r in responses if r.status_code == 409}
    assert refused == {"one_course_per_tour"}
    holding = await arena.rows(
        "select user_id, count(*) from tour_booking where active and course_id in (:a, :b) group by user_id",
        a=w.ids["f1"],
        b=w.ids["f2"],
    )
    assert sorted(n for _, n in holding) == [1] * 30


async def test_a_double_booked_course_is_one_seat(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["cancellers"][0], w.users["cancellers"][0]
    path = f"/api/v1/tours/courses/{w.ids['tour_c_courses'][0]}/booking"  # a ballot: refused, twice, cleanly
    responses = await arena.at_once(
        [("POST", f"/api/v1/tours/courses/{w.ids['f1']}/booking", token, None)] * 2
    )
    _no_server_error(responses)
    assert _statuses(responses) in ([200, 200], [200, 409])  # the same seat, or "already booked"
    assert await arena.scalar("select count(*) from tour_booking where user_id = :u", u=person) == 1
    entries = await arena.scalar(
        "select count(*) from capacity_entry where holder = :h and status = 'confirmed'", h=f"user:{person}"
    )
    assert entries == 1
    ballot = await arena.at_once([("POST", path, token, None)] * 2)
    assert _statuses(ballot) == [409, 409]


async def test_two_ballot_seats_cancelled_at_once_promote_the_person_heading_both_lists_once(
    arena: Arena,
) -> None:
    w = arena.world
    requests = []
    for n, (b1, b2) in enumerate(w.ids["ballots"]):
        holder_1, holder_2 = w.tokens["ballot"][4 * n : 4 * n + 2]
        requests += [
            ("DELETE", f"/api/v1/tours/courses/{b1}/booking", holder_1, None),
            ("DELETE", f"/api/v1/tours/courses/{b2}/booking", holder_2, None),
        ]
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert _statuses(responses) == [204] * len(requests)
    for n, (b1, b2) in enumerate(w.ids["ballots"]):
        first, second = w.users["ballot"][4 * n + 2 : 4 * n + 4]
        keys = {"a": f"course:{b1}", "b": f"course:{b2}"}
        seats = await arena.rows(
            "select e.holder from capacity_entry e join capacity_pool p on p.id = e.pool_id "
            "where p.key in (:a, :b) and e.status = 'confirmed'",
            **keys,
        )
        # The first in line has one of the seats (one course per tour), the second the other.
        assert sorted(holder for (holder,) in seats) == sorted([f"user:{first}", f"user:{second}"])
        waiting = await arena.scalar(
            "select count(*) from capacity_entry e join capacity_pool p on p.id = e.pool_id "
            "where p.key in (:a, :b) and e.status = 'waiting'",
            **keys,
        )
        assert waiting == 0


async def test_a_ranking_sent_twice_at_once_is_stored_once(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["ranking"][0], w.users["ranking"][0]
    courses = list(reversed(w.ids["tour_c_courses"]))
    responses = await arena.at_once(
        [("PUT", f"/api/v1/tours/{w.ids['tour_c']}/preferences", token, {"courses": courses})] * 2
    )
    _no_server_error(responses)
    assert _statuses(responses) == [200, 200]
    stored = await arena.rows(
        "select course_id from tour_preference where user_id = :u and tour_id = :t order by rank",
        u=person,
        t=w.ids["tour_c"],
    )
    assert [c for (c,) in stored] == courses


async def test_two_organizers_allocating_a_ballot_at_once_allocate_it_once(arena: Arena) -> None:
    w = arena.world
    organizer = w.tokens["organizer"][0]
    body = {"seed": "races", "close_early": True}
    responses = await arena.at_once(
        [("POST", f"/api/v1/tours/{w.ids['tour_c']}/allocate", organizer, body)] * 2
    )
    _no_server_error(responses)
    assert _statuses(responses) == [200, 409]
    seats = await arena.scalar(
        "select count(*) from tour_booking b where b.active and b.course_id in (:a, :b)",
        a=w.ids["tour_c_courses"][0],
        b=w.ids["tour_c_courses"][1],
    )
    assert seats == len(w.users["ranking"])  # one course each, never two
    confirmed = await arena.scalar(
        "select sum(confirmed) from capacity_pool where key in (:a, :b)",
        a=f"course:{w.ids['tour_c_courses'][0]}",
        b=f"course:{w.ids['tour_c_courses'][1]}",
    )
    assert confirmed == len(w.users["ranking"])


# --- registration ----------------------------------------------------------------------------------------------------


async def test_a_double_submitted_registration_is_one_registration(arena: Arena) -> None:
    w = arena.world
    body = {
        "mode": "in_person",
        "category": "city_official",
        "privacy_accepted": True,
        "organization": "Cebu City",
    }
    requests = [
        ("POST", "/api/v1/registrations/me", token, body) for token in w.tokens["newcomers"] for _ in (1, 2)
    ]
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert _statuses(responses) == [201] * 10 + [409] * 10
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"already_registered"}
    counts = await arena.rows(
        "select user_id, count(*) from registration where user_id in ("
        + ", ".join(str(u) for u in w.users["newcomers"])
        + ") group by user_id"
    )
    assert sorted(n for _, n in counts) == [1] * 10


async def test_a_registration_cancelled_twice_at_once_is_cancelled_once(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["cancellers"][1], w.users["cancellers"][1]
    responses = await arena.at_once([("POST", "/api/v1/registrations/me/cancel", token, None)] * 2)
    _no_server_error(responses)
    assert _statuses(responses) == [200, 409]
    assert await arena.scalar("select status from registration where user_id = :u", u=person) == "cancelled"
    holders = await arena.scalar(
        "select count(*) from capacity_entry where holder like 'registration:%' and status = 'confirmed'"
    )
    registered = await arena.scalar("select count(*) from registration where status = 'confirmed'")
    assert holders == registered


# --- programme ------------------------------------------------------------------------------------------------------


async def test_sign_ups_at_once_fill_the_places_exactly_and_a_double_click_is_one_seat(arena: Arena) -> None:
    w = arena.world
    path = f"/api/v1/me/signups/{w.ids['signup_session']}"
    tokens = w.tokens["agenda"][:12]
    responses = await arena.at_once(
        [("POST", path, t, None) for t in tokens] + [("POST", path, tokens[0], None)]
    )
    _no_server_error(responses)
    assert _statuses(responses) == [200] * 13
    pool = "from capacity_entry e join capacity_pool p on p.id = e.pool_id where p.key = :k and e.status = :s"
    key = f"session:{w.ids['signup_session']}"
    assert await arena.scalar("select count(*) " + pool, k=key, s="confirmed") == SIGNUP_PLACES
    assert await arena.scalar("select count(*) " + pool, k=key, s="waiting") == 12 - SIGNUP_PLACES
    cancels = await arena.at_once([("DELETE", path, tokens[0], None)] * 2)
    _no_server_error(cancels)
    # The next in line took the freed seat, once.
    assert await arena.scalar("select count(*) " + pool, k=key, s="confirmed") == SIGNUP_PLACES
    assert await arena.scalar("select count(*) " + pool, k=key, s="waiting") == 12 - SIGNUP_PLACES - 1


async def test_an_agenda_item_saved_and_removed_twice_at_once_is_saved_once_and_removed(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["agenda"][20], w.users["agenda"][20]
    path = f"/api/v1/me/agenda/{w.ids['session']}"
    saved = await arena.at_once([("POST", path, token, None)] * 2)
    _no_server_error(saved)
    count = "select count(*) from programme_agenda_entry where user_id = :u"
    assert await arena.scalar(count, u=person) == 1
    removed = await arena.at_once([("DELETE", path, token, None)] * 2)
    _no_server_error(removed)
    assert await arena.scalar(count, u=person) == 0


# --- business matching -------------------------------------------------------------------------------------------


async def test_identical_meeting_requests_at_once_leave_one_open_request_per_pair(arena: Arena) -> None:
    w = arena.world
    requests = [
        ("POST", "/api/v1/meetings/requests", token, {"recipient_id": company})
        for token, company in zip(w.tokens["officials"], w.users["companies"], strict=True)
        for _ in range(8)
    ]
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert _statuses(responses) == [201] * 5 + [409] * 35
    assert await _open_per_pair(arena, w.users["officials"]) == [1] * 5


async def test_requests_both_ways_at_once_leave_one_open_request_per_pair(arena: Arena) -> None:
    w = arena.world
    requests = []
    pairs = zip(
        w.tokens["reverse_officials"],
        w.users["reverse_officials"],
        w.tokens["reverse_companies"],
        w.users["reverse_companies"],
        strict=True,
    )
    for official_token, official, company_token, company in pairs:
        requests += [
            ("POST", "/api/v1/meetings/requests", official_token, {"recipient_id": company}),
            ("POST", "/api/v1/meetings/requests", company_token, {"recipient_id": official}),
        ] * 2
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert _statuses(responses) == [201] * 5 + [409] * 15
    assert await _open_per_pair(arena, w.users["reverse_officials"]) == [1] * 5


async def _open_per_pair(arena: Arena, people: list[int]) -> list[int]:
    rows = await arena.rows(
        "select requester_id, recipient_id from meeting where status in ('requested', 'accepted', 'scheduled')"
    )
    pairs: dict[tuple[int, int], int] = {}
    for a, b in rows:
        if a in people or b in people:
            pairs[(min(a, b), max(a, b))] = pairs.get((min(a, b), max(a, b)), 0) + 1
    return sorted(pairs.values())


async def test_a_burst_of_requests_from_one_person_stops_at_the_limit(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["flooder"][0], w.users["flooder"][0]
    recipients = w.users["slot_companies"][:20]
    responses = await arena.at_once(
        [("POST", "/api/v1/meetings/requests", token, {"recipient_id": r}) for r in recipients]
    )
    _no_server_error(responses)
    limit = 12  # the edition's default meeting limit
    assert _statuses(responses) == [201] * limit + [409] * (20 - limit)
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"limit_reached"}
    assert await arena.scalar("select count(*) from meeting where requester_id = :u", u=person) == limit


async def test_accepts_into_one_slot_at_once_fill_every_table_and_no_more(arena: Arena) -> None:
    w = arena.world
    slot = w.ids["slots"][0]
    requests = [
        ("POST", f"/api/v1/meetings/requests/{meeting}/accept", token, {"slot_id": slot})
        for meeting, token in zip(w.ids["slot_requests"], w.tokens["slot_companies"], strict=True)
    ]
    requests.append(requests[0])  # and one company presses twice
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert sum(r.status_code == 200 for r in responses) == TABLES
    assert {r.json()["error"] for r in responses if r.status_code != 200} <= {
        "slot_not_free",
        "already_answered",
        "changed_meanwhile",
    }
    tables = await arena.rows(
        "select place_number from meeting where slot_id = :s and status = 'scheduled' order by place_number",
        s=slot,
    )
    assert [n for (n,) in tables] == list(range(1, TABLES + 1))
    seats = await arena.scalar("select count(*) from meeting_seat where slot_id = :s", s=slot)
    assert seats == 2 * TABLES
    # The losers were not accepted either (nothing half-written): they can accept into another slot.
    still_asked = await arena.scalar(
        "select count(*) from meeting where id in (" + ", ".join(map(str, w.ids["slot_requests"])) + ") "
        "and status = 'requested'"
    )
    assert still_asked == SLOT_PAIRS - TABLES


async def test_two_organizers_starting_a_schedule_run_at_once_start_one(arena: Arena) -> None:
    organizer = arena.world.tokens["organizer"][0]
    responses = await arena.at_once([("POST", "/api/v1/matching/schedule", organizer, None)] * 2)
    _no_server_error(responses)
    assert _statuses(responses) == [202, 409]
    assert await arena.scalar("select count(*) from matching_run") == 1


# --- online: questions and polls ------------------------------------------------------------------------------------


async def test_a_burst_of_questions_from_one_person_stops_at_ten(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["audience"][0], w.users["audience"][0]
    responses = await arena.at_once(
        [
            ("POST", f"/api/v1/sessions/{w.ids['session']}/questions", token, {"body": f"Question {n}?"})
            for n in range(25)
        ]
    )
    _no_server_error(responses)
    assert _statuses(responses) == [201] * 10 + [429] * 15
    assert await arena.scalar("select count(*) from live_question where user_id = :u", u=person) == 10


async def test_votes_at_once_count_once_per_person(arena: Arena) -> None:
    w = arena.world
    path = f"/api/v1/questions/{w.ids['question']}/vote"
    tokens = w.tokens["audience"][1:11]
    responses = await arena.at_once(
        [("POST", path, t, None) for t in tokens] + [("POST", path, tokens[0], None)]
    )
    _no_server_error(responses)
    assert _statuses(responses) == [200] * 11
    assert await arena.scalar("select votes from live_question where id = :q", q=w.ids["question"]) == 10
    assert (
        await arena.scalar(
            "select count(*) from live_question_vote where question_id = :q", q=w.ids["question"]
        )
        == 10
    )


async def test_a_poll_voted_twice_at_once_counts_once(arena: Arena) -> None:
    w = arena.world
    path = f"/api/v1/polls/{w.ids['poll']}/vote"
    tokens = w.tokens["audience"][1:6]
    responses = await arena.at_once(
        [("POST", path, t, {"option": 0}) for t in tokens] + [("POST", path, tokens[0], {"option": 1})]
    )
    _no_server_error(responses)
    assert _statuses(responses) == [200] * 5 + [409]
    assert await arena.scalar("select count(*) from live_poll_vote where poll_id = :p", p=w.ids["poll"]) == 5


# --- check-in -----------------------------------------------------------------------------------------------------


async def test_one_badge_scanned_at_once_by_two_phones_checks_in_once(arena: Arena) -> None:
    w = arena.world
    door = w.tokens["checkin"][0]
    codes = w.badges["audience"][:6]
    requests = [
        (
            "POST",
            "/api/v1/checkin",
            door,
            {"code": code, "device_id": f"phone-{n}", "nonce": uuid.uuid4().hex},
        )
        for code in codes
        for n in (1, 2)
    ]
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    results = sorted(r.json()["result"] for r in responses)
    assert results == ["duplicate"] * 6 + ["ok"] * 6
    assert await arena.scalar("select count(*) from check_in where place_type = 'entrance'") == 6
    # The phone that lost the race says when the winner counted the person, naming the winner's phone.
    for pair in zip(responses[::2], responses[1::2], strict=True):  # the two phones' answers for one badge
        won, lost = sorted(pair, key=lambda r: r.json()["result"] != "ok")
        ok, duplicate = won.json(), lost.json()
        assert (ok["result"], duplicate["result"]) == ("ok", "duplicate")
        assert duplicate["checked_in_at"] == ok["checked_in_at"] is not None
        assert duplicate["first_device"] == json.loads(won.request.content)["device_id"]


async def test_both_parties_scanned_at_their_table_at_once_make_the_meeting_held(arena: Arena) -> None:
    w = arena.world
    door = w.tokens["checkin"][0]
    requests = [
        (
            "POST",
            "/api/v1/checkin",
            door,
            {
                "code": code,
                "place_type": "meeting",
                "place_id": w.ids["tables_session"],
                "device_id": f"table-phone-{party}",
                "nonce": uuid.uuid4().hex,
            },
        )
        for pair in w.badges["table_pairs"]
        for party, code in enumerate(pair)
    ]
    responses = await arena.at_once(requests)
    _no_server_error(responses)
    assert [r.json()["result"] for r in responses] == ["ok"] * len(requests)
    meetings = ", ".join(map(str, w.ids["table_meetings"]))
    rows = await arena.rows(
        "select status, requester_checked_in_at is not null, recipient_checked_in_at is not null "
        f"from meeting where id in ({meetings})"
    )
    assert rows == [("held", True, True)] * len(w.ids["table_meetings"])


# --- exhibitors' leads ---------------------------------------------------------------------------------------------


async def test_a_badge_scanned_twice_at_once_by_exhibitor_staff_is_one_lead(arena: Arena) -> None:
    w = arena.world
    staff = w.tokens["exhibitor_staff"][0]
    codes = w.badges["audience"][6:9]
    responses = await arena.at_once(
        [("POST", "/api/v1/leads", staff, {"code": c}) for c in codes for _ in (1, 2)]
    )
    _no_server_error(responses)
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["already"] * 3 + ["recorded"] * 3
    assert await arena.scalar("select count(*) from exhibitor_lead") == 3


# --- calendar feeds --------------------------------------------------------------------------------------------------


async def test_personal_feeds_built_at_once_while_people_write_all_answer(arena: Arena) -> None:
    w = arena.world
    feeds = [("GET", f"/calendar/feed/{token}/calendar.ics", "", None) for token in w.feeds] * 3
    saves = [("POST", f"/api/v1/me/agenda/{w.ids['session']}", t, None) for t in w.tokens["agenda"][10:20]]
    responses = await arena.at_once(feeds + saves)
    _no_server_error(responses)
    assert [r.status_code for r in responses[: len(feeds)]] == [200] * len(feeds)
    assert all(r.text.startswith("BEGIN:VCALENDAR") for r in responses[: len(feeds)])


async def test_a_feed_rotated_twice_at_once_has_one_address(arena: Arena) -> None:
    w = arena.world
    token, person = w.tokens["agenda"][25], w.users["agenda"][25]
    responses = await arena.at_once([("POST", "/api/v1/me/calendar-feed/rotate", token, None)] * 2)
    _no_server_error(responses)
    assert await arena.scalar("select count(*) from calendar_feed where user_id = :u", u=person) == 1
