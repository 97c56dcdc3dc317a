"""Business matching pages and API as people use them: ask from a recommendation, answer, pick a time,
the organizer's "schedule all" with progress, printouts, hostile input and clear errors."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from tests.matching.conftest import PASSWORD, build_matching
from tests.support.pdf import pdf_text
from tests.support.web import sign_in, text_of
from tests.support.web import submit as post_form


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_matching(session)
        organizer = await accounts.create_user(
            session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
        )
        w.organizer = organizer.id
        tokens = {}
        for name in ("official", "company", "bank", "organizer"):
            tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
        w.tokens = tokens
    await engine.dispose()
    return w


def bearer(w, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.tokens[who]}"}


async def test_official_requests_from_a_recommendation_and_the_company_accepts_a_time(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    home = await client.get("/matching")
    assert home.status_code == 200
    recommendations = text_of(home.text.split('data-testid="recommendations">')[1])
    assert recommendations.startswith("Aiko Staff") and "Septage sludge dewatering unit" in recommendations
    person = await client.get(f"/matching/people/{world.company}")
    assert "Request a meeting" in text_of(person.text)
    hostile = '<script>alert("x")</script> 汚泥の件でぜひ 🙏'
    sent = await post_form(
        client,
        f"/matching/people/{world.company}/request",
        {"message": hostile, "priority": "must", "format": "in_person"},
    )
    assert sent.status_code == 303
    meeting_url = sent.headers["location"]
    page = await client.get(meeting_url)
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert "Requested · Must meet" in text_of(page.text)

    await sign_in(client, "staff-a@example.org", PASSWORD)
    incoming = await client.get("/matching")
    assert "Maria Reyes" in text_of(incoming.text.split('data-testid="incoming">')[1])
    answer_page = await client.get(meeting_url)
    slot_options = re.findall(r'<option value="(\d+)">', answer_page.text)
    assert slot_options, "the company can pick one of the common free times"
    accepted = await post_form(
        client, f"{meeting_url}/accept", {"slot_id": slot_options[0], "answer": "喜んで"}
    )
    assert accepted.status_code == 303
    page = text_of((await client.get(meeting_url)).text)
    assert "Scheduled" in page and "Tuesday 14 November 2023, 13:30" in page and "Table 1 , Hall B" in page

    await sign_in(client, "official@example.org", PASSWORD)
    mine = text_of((await client.get("/matching")).text)
    assert "Aiko Staff" in mine and "Table 1 , Hall B" in mine
    schedule = await client.get("/matching/schedule.pdf")
    assert schedule.headers["content-type"] == "application/pdf"
    assert "AikoStaff" in pdf_text(schedule.content).replace(" ", "")


async def test_form_errors_are_shown_beside_the_form(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    bad = await post_form(client, f"/matching/people/{world.company}/request", {"message": "x" * 1001})
    assert bad.status_code == 422 and "at most 1000" in text_of(bad.text).replace(",", "")
    same = await post_form(client, f"/matching/people/{world.other_company}/request", {"message": "hi"})
    assert same.status_code == 303
    again = await post_form(client, f"/matching/people/{world.other_company}/request", {"message": "hi"})
    assert "already have an open request" in text_of(again.text)
    profile = await post_form(client, "/matching/profile", {"offers": "y" * 2001, "meeting_limit": "500"})
    assert profile.status_code == 422
    assert {"offers", "meeting_limit"} <= set(re.findall(r'id="f-(\w+)"[^>]*aria-invalid', profile.text))
    block = await post_form(
        client, "/matching/blocks", {"day": "2023-11-14", "starts": "15:00", "ends": "14:00"}
    )
    assert block.status_code == 422


async def test_profile_and_availability_in_both_languages(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    saved = await post_form(
        client,
        "/matching/profile",
        {
            "sectors": ["water", "waste"],
            "offers": "Kinh nghiệm quản lý chất thải",
            "seeks": "し尿汚泥の脱水技術",
        },
    )
    assert saved.status_code == 303
    blocked = await post_form(
        client, "/matching/blocks", {"day": "2023-11-14", "starts": "13:30", "ends": "14:00", "note": "ล่าม"}
    )
    assert blocked.status_code == 303
    page = text_of((await client.get("/matching/profile")).text)
    assert "Kinh nghiệm quản lý chất thải" in page and "し尿汚泥の脱水技術" in page
    assert "blocked : ล่าม" in page and page.count(" free ") == 3
    japanese = text_of((await client.get("/lang/ja?next=/matching/profile")).text)
    assert "空き時間" in japanese


async def test_api_request_accept_mine_and_errors(client, world) -> None:
    recommended = await client.get("/api/v1/matching/recommendations", headers=bearer(world, "official"))
    assert recommended.status_code == 200
    first = recommended.json()[0]
    assert first["person"]["user_id"] == world.company and first["reason"]["solution"]["title_en"]
    missing = await client.post(
        "/api/v1/meetings/requests", json={"message": "hi"}, headers=bearer(world, "official")
    )
    assert missing.status_code == 400 and "recipient_id" in missing.text
    bad = await client.post(
        "/api/v1/meetings/requests",
        json={"recipient_id": world.company, "priority": "urgent"},
        headers=bearer(world, "official"),
    )
    assert bad.status_code == 400 and bad.json()["field"] == "priority"  # not one of the documented values
    made = await client.post(
        "/api/v1/meetings/requests",
        json={"recipient_id": world.company, "message": "Xin chào", "priority": "must"},
        headers=bearer(world, "official"),
    )
    assert made.status_code == 201
    meeting = made.json()
    assert meeting["status"] == "requested" and meeting["recipient"]["name"] == "Aiko Staff"
    stranger = await client.post(
        f"/api/v1/meetings/requests/{meeting['id']}/accept", headers=bearer(world, "bank")
    )
    assert stranger.status_code == 403 and stranger.json()["error"] == "not_yours"
    accepted = await client.post(
        f"/api/v1/meetings/requests/{meeting['id']}/accept",
        json={"slot_id": world.slots[1]},
        headers=bearer(world, "company"),
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "scheduled" and accepted.json()["place_number"] == 1
    twice = await client.post(
        f"/api/v1/meetings/requests/{meeting['id']}/decline", headers=bearer(world, "company")
    )
    assert twice.status_code == 409
    mine = (await client.get("/api/v1/meetings/mine", headers=bearer(world, "official"))).json()
    assert [m["id"] for m in mine["scheduled"]] == [meeting["id"]]
    assert mine["scheduled"][0]["location_en"] == "Hall B"
    forbidden = await client.post("/api/v1/matching/schedule", headers=bearer(world, "official"))
    assert forbidden.status_code == 403


async def test_organizer_schedules_all_with_progress_and_prints_the_table_plan(client, world) -> None:
    for requester, recipient in ((world.official, world.company), (world.bank, world.other_company)):
        made = await client.post(
            "/api/v1/meetings/requests",
            json={"recipient_id": recipient},
            headers=bearer(world, "official" if requester == world.official else "bank"),
        )
        who = "company" if recipient == world.company else None
        if who is None:  # the other company has no token: accept through its page
            await sign_in(client, "staff-b@example.org", PASSWORD)
            await post_form(client, f"/matching/meetings/{made.json()['id']}/accept", {})
        else:
            await client.post(
                f"/api/v1/meetings/requests/{made.json()['id']}/accept", headers=bearer(world, who)
            )
    await sign_in(client, "org@example.org", PASSWORD)
    overview = text_of((await client.get("/organizer/matching/")).text)
    assert "2 accepted meetings wait for a time" in overview and "Schedule all (2)" in overview

    started = await client.post("/api/v1/matching/schedule", headers=bearer(world, "organizer"))
    assert started.status_code == 202
    run_id = started.json()["id"]
    for _ in range(100):
        run = (await client.get(f"/api/v1/matching/runs/{run_id}", headers=bearer(world, "organizer"))).json()
        if run["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.1)
    assert run["status"] == "done" and run["scheduled"] == 2 and run["proven_optimal"] is True
    assert run["quality"] == 1.0 and run["left_out"] == []
    box = text_of((await client.get(f"/organizer/matching/runs/{run_id}")).text)
    assert "Scheduled 2 of 2 waiting meetings" in box and "Proven optimal." in box
    plan = await client.get("/organizer/matching/table-plan.pdf")
    text = pdf_text(plan.content).replace(" ", "")  # pypdf splits some words where kerning is wide
    assert "Table1MariaReyesAikoStaff" in text and "Table2AkaneShimizuBaoStaff" in text


async def test_organizer_sessions_form_and_capacity_warning(client, world) -> None:
    await sign_in(client, "org@example.org", PASSWORD)
    wrong = await post_form(
        client,
        "/organizer/matching/sessions",
        {"name_en": "", "day": "2023-11-15", "starts": "16:00", "ends": "15:00", "slot_minutes": "20"},
    )
    assert wrong.status_code == 422
    assert {"name_en", "ends"} <= set(re.findall(r'id="f-(\w+)"[^>]*aria-invalid', wrong.text))
    # A time form speaks of times: "To" before "From", not the "last day" of a date range.
    assert "“To” must be later than “From” on the same day." in text_of(wrong.text)
    made = await post_form(
        client,
        "/organizer/matching/sessions",
        {
            "name_en": "Online matching",
            "name_ja": "オンライン商談",
            "day": "2023-11-15",
            "starts": "09:00",
            "ends": "10:00",
            "slot_minutes": "20",
            "online_rooms": "3",
        },
    )
    assert made.status_code == 303
    page = text_of((await client.get("/organizer/matching/")).text)
    assert "Online matching" in page and "3 × 20 min" in page
    pairs = await post_form(
        client,
        "/organizer/matching/settings",
        {"pairs": ["city_official:company"], "meeting_limit": "8", "instant": "1", "requests_open": "1"},
    )
    assert pairs.status_code == 303
    refused = await client.post(
        "/api/v1/meetings/requests", json={"recipient_id": world.bank}, headers=bearer(world, "official")
    )
    assert refused.status_code == 403 and refused.json()["error"] == "categories"


async def test_someone_elses_meeting_is_not_found(client, world) -> None:
    made = await client.post(
        "/api/v1/meetings/requests", json={"recipient_id": world.company}, headers=bearer(world, "official")
    )
    await sign_in(client, "bank@example.org", PASSWORD)
    assert (await client.get(f"/matching/meetings/{made.json()['id']}")).status_code == 404
    cancel = await post_form(client, f"/matching/meetings/{made.json()['id']}/cancel", {})
    assert cancel.status_code == 404  # the same answer as for a meeting that does not exist: nothing leaks
    mine = (await client.get("/api/v1/meetings/mine", headers=bearer(world, "official"))).json()
    assert [m["status"] for m in mine["outgoing"]] == ["requested"]
