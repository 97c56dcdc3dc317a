"""Other people's objects: a delegate (or an exhibitor's staff) addressing someone else's by its id.

Everyone here may use the route (the authorization matrix shows that); what they address is not theirs.
The answer must be 403 or 404, by the pages and by the API, and the database must hold exactly what it
held before. "A" is the demo's delegate@ (and exhibitor@ for exhibitor A), "B" another seeded delegate with
a confirmed registration, network membership and meetings of their own, and another approved exhibitor.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import Demo, app_client, csrf_header, rows, signed_in
from tests.support.web import post_form

REFUSED = (403, 404)


@pytest.fixture
async def as_a(demo: Demo):
    async with app_client(demo.settings()) as client:
        yield await signed_in(client, demo, "delegate")


@pytest.fixture
async def as_exhibitor_a(demo: Demo):
    async with app_client(demo.settings()) as client:
        yield await signed_in(client, demo, "exhibitor")


async def _unchanged(demo: Demo, sql: str, action: Any, **params: Any) -> list[int]:
    """Run `action` (returning responses) and assert the rows `sql` selects are the same after it."""
    before = await rows(demo, sql, **params)
    assert before, f"the demo lacks the object under test: {sql}"
    responses = await action()
    assert await rows(demo, sql, **params) == before
    return [r.status_code for r in responses]


async def test_another_delegates_business_meeting(demo: Demo, as_a) -> None:
    meeting = demo.ids["meeting_b"]
    sql = "select status, slot_id, checked_in_at, interpreter_needed, version from meeting where id = :m"

    async def attempts():
        return [
            await as_a.get(f"/matching/meetings/{meeting}"),
            await as_a.get(f"/matching/meetings/{meeting}/calendar.ics"),
            await as_a.get(f"/matching/meetings/{meeting}/join", follow_redirects=False),
            *[
                await post_form(as_a, f"/matching/meetings/{meeting}/{action}", {}, follow_redirects=False)
                for action in ("cancel", "accept", "decline", "check-in", "interpreter", "feedback", "move")
            ],
            await as_a.post(f"/api/v1/meetings/requests/{meeting}/accept", headers=demo.bearer("delegate")),
            await as_a.post(f"/api/v1/meetings/requests/{meeting}/decline", headers=demo.bearer("delegate")),
        ]

    codes = await _unchanged(demo, sql, attempts, m=meeting)
    assert all(code in REFUSED for code in codes), codes
    mine = (await as_a.get("/api/v1/meetings/mine", headers=demo.bearer("delegate"))).json()
    assert meeting not in [item["id"] for items in mine.values() for item in items]


async def test_another_delegates_off_season_network_meeting(demo: Demo, as_a) -> None:
    meeting = demo.ids["network_meeting_b"]

    async def attempts():
        return [
            await as_a.get(f"/network/meetings/{meeting}"),
            await as_a.get(f"/network/meetings/{meeting}/join", follow_redirects=False),
            *[
                await post_form(
                    as_a, f"/network/meetings/{meeting}/{action}", {"slot": "1"}, follow_redirects=False
                )
                for action in ("accept", "decline", "cancel")
            ],
        ]

    codes = await _unchanged(
        demo, "select status, chosen_slot, version from network_meeting where id = :m", attempts, m=meeting
    )
    assert all(code in REFUSED for code in codes), codes


async def test_another_delegates_time_block_and_api_token(demo: Demo, as_a) -> None:
    block = demo.ids["block_b"]
    token_b = await rows(
        demo, "select id from api_token where user_id = :u", u=demo.ids["users"]["delegate_b"]
    )

    async def attempts():
        return [
            await post_form(as_a, f"/matching/blocks/{block}/delete", {}, follow_redirects=False),
            await post_form(as_a, f"/account/tokens/{token_b[0][0]}/revoke", {}, follow_redirects=False),
        ]

    codes = await _unchanged(
        demo,
        "select b.id, t.revoked_at from matching_block b, api_token t where b.id = :b and t.id = :t",
        attempts,
        b=block,
        t=token_b[0][0],
    )
    assert all(code in REFUSED for code in codes), codes
    assert (await as_a.get("/api/v1/me", headers=demo.bearer("delegate_b"))).status_code == 200


async def test_a_lead_about_another_person_cannot_be_withdrawn_by_a(demo: Demo, as_a) -> None:
    """/me/scans withdraws the leads about oneself; lead_b is about delegate B."""
    lead = demo.ids["lead_b"]

    async def attempts():
        return [await post_form(as_a, f"/me/scans/{lead}/withdraw", {}, follow_redirects=False)]

    codes = await _unchanged(
        demo, "select withdrawn_at, note from exhibitor_lead where id = :l", attempts, l=lead
    )
    assert codes == [404]


async def test_another_exhibitors_leads_solutions_files_and_invitations(demo: Demo, as_exhibitor_a) -> None:
    client = as_exhibitor_a
    lead, solution, invite = demo.ids["lead_b"], demo.ids["solution_b"], demo.ids["invite_b"]
    staff_b = demo.ids["users"]["exhibitor_b"]
    sql = (
        "select l.note, l.rating, s.title_en, s.summary_en, s.brochure_id, i.status from exhibitor_lead l, "
        "solution s, exhibitor_invite i where l.id = :l and s.id = :s and i.id = :i"
    )

    async def attempts():
        return [
            await post_form(
                client,
                f"/exhibitor/leads/{lead}",
                {"note": "mine now", "rating": "5"},
                follow_redirects=False,
            ),
            await client.get(f"/exhibitor/solutions/{solution}"),
            await client.get(f"/exhibitor/solutions/{solution}/brochure"),
            await post_form(
                client, f"/exhibitor/solutions/{solution}", {"title_en": "taken"}, follow_redirects=False
            ),
            await post_form(client, f"/exhibitor/solutions/{solution}/delete", {}, follow_redirects=False),
            await post_form(client, f"/exhibitor/invites/{invite}/revoke", {}, follow_redirects=False),
            await post_form(client, f"/exhibitor/staff/{staff_b}/remove", {}, follow_redirects=False),
        ]

    codes = await _unchanged(demo, sql, attempts, l=lead, s=solution, i=invite)
    assert all(code in REFUSED for code in codes), codes
    assert await rows(demo, "select count(*) from exhibitor_staff where user_id = :u", u=staff_b) == [(1,)]
    listed = (await client.get("/api/v1/leads", headers=demo.bearer("exhibitor"))).json()
    assert demo.ids["users"]["delegate_b"] not in [item.get("user_id") for item in listed]
    csv = (await client.get("/exhibitor/leads.csv")).text
    assert demo.emails["delegate_b"] not in csv


async def test_another_citys_need_cannot_be_edited(demo: Demo, as_a) -> None:
    need = demo.ids["need_b"]

    async def attempts():
        return [
            await as_a.get(f"/marketplace/needs/{need}/edit"),
            await post_form(
                as_a, f"/marketplace/needs/{need}", {"title_en": "taken"}, follow_redirects=False
            ),
            await post_form(
                as_a, f"/marketplace/needs/{need}/status", {"status": "closed"}, follow_redirects=False
            ),
        ]

    codes = await _unchanged(demo, "select title_en, status from city_need where id = :n", attempts, n=need)
    assert all(code in REFUSED for code in codes), codes


async def test_a_question_of_another_person_is_not_moderated_by_a_participant(demo: Demo, as_a) -> None:
    question, session = demo.ids["question"], demo.ids["session_with_qa"]

    async def attempts():
        return [
            await post_form(
                as_a,
                f"/sessions/{session}/questions/{question}/moderate",
                {"action": "hide"},
                follow_redirects=False,
            ),
            await as_a.post(
                f"/api/v1/questions/{question}/moderate",
                json={"action": "hide"},
                headers=demo.bearer("delegate"),
            ),
        ]

    codes = await _unchanged(
        demo, "select status, answer from live_question where id = :q", attempts, q=question
    )
    assert all(code in REFUSED for code in codes), codes


async def test_my_pages_and_api_show_only_my_own_data(demo: Demo, as_a) -> None:
    """Registration, badge, agenda, calendar feed and the privacy export have no id in their address:
    they are the signed-in person's. Nothing of B's appears in A's, and B's feed address is B's alone."""
    b_email, b_feed = demo.emails["delegate_b"], demo.ids["feed_tokens"]["delegate_b"]
    export = await as_a.get("/account/export.json")
    assert export.status_code == 200 and export.json()["account"]["email"] == demo.emails["delegate"]
    assert b_email not in export.text
    registration = (await as_a.get("/api/v1/registrations/me", headers=demo.bearer("delegate"))).json()
    cities = {
        who: await rows(demo, "select city from registration where user_id = :u", u=demo.ids["users"][who])
        for who in ("delegate", "delegate_b")
    }
    assert cities["delegate"] != cities["delegate_b"]
    assert [(registration["city"],)] == cities["delegate"]
    badge = await as_a.get("/api/v1/me/badge.svg", headers=demo.bearer("delegate"))
    b_name = await rows(
        demo, "select name_latin from user_account where id = :u", u=demo.ids["users"]["delegate_b"]
    )
    assert badge.status_code == 200 and b_name[0][0] not in badge.text
    feed = (await as_a.get("/api/v1/me/calendar-feed", headers=demo.bearer("delegate"))).json()
    assert b_feed not in feed["url"]
    before = await rows(
        demo, "select token from calendar_feed where user_id = :u", u=demo.ids["users"]["delegate_b"]
    )
    await as_a.post("/api/v1/me/calendar-feed/rotate", headers=demo.bearer("delegate"))
    await post_form(as_a, "/calendar/revoke", {}, follow_redirects=False)
    assert (
        await rows(
            demo, "select token from calendar_feed where user_id = :u", u=demo.ids["users"]["delegate_b"]
        )
        == before
    )
    assert (await as_a.get(f"/calendar/feed/{b_feed}/calendar.ics")).status_code == 200  # B's, still working


async def test_organizer_only_views_of_people_stay_closed_to_a_delegate(demo: Demo, as_a) -> None:
    """The per-person privacy export, registrations list and manifests of others are the organizers'."""
    b_email = demo.emails["delegate_b"]
    export = await post_form(as_a, "/organizer/privacy/export", {"email": b_email}, follow_redirects=False)
    listing = await as_a.get("/api/v1/registrations", headers=demo.bearer("delegate"))
    manifest = await as_a.get(f"/organizer/tours/courses/{demo.ids['course']}/manifest.csv")
    assert (export.status_code, listing.status_code, manifest.status_code) == (403, 403, 403)
    assert b_email not in export.text + listing.text + manifest.text


async def test_the_api_refuses_the_same_objects_with_a_delegates_token(demo: Demo, as_a) -> None:
    """Booking and agenda calls act on the caller's own rows only: B's bookings and agenda stay as they were."""
    b = demo.ids["users"]["delegate_b"]
    sql = (
        "select (select count(*) from tour_booking where user_id = :b and active), "
        "(select count(*) from programme_agenda_entry where user_id = :b)"
    )
    course, session = demo.ids["course"], demo.ids["session"]

    async def attempts():
        headers = demo.bearer("delegate")
        return [
            await as_a.delete(f"/api/v1/tours/courses/{course}/booking", headers=headers),
            await as_a.delete(f"/api/v1/me/agenda/{session}", headers=headers),
            await as_a.request(
                "DELETE", f"/api/v1/me/signups/{session}", headers={**headers, **csrf_header(as_a)}
            ),
        ]

    await _unchanged(demo, sql, attempts, b=b)
