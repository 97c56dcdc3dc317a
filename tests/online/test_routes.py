"""Online attendance as people meet it: stream addresses that never leave the server except through a
signed link, the watch page with its language channel remembered, Q&A and polls through the API and the
pages, announcements, recordings with their window and consent, and the organizers' attendance view."""

from __future__ import annotations

import html
import json
import re
import time
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.online import links
from ascc.programme.models import ProgrammeSession
from ascc.registration import registering
from ascc.registration import services as registration
from tests.online.conftest import HLS, YOUTUBE, build_online
from tests.programme.conftest import publish
from tests.support.web import post_form, sign_in, submit, text_of
from tests.tours.conftest import PASSWORD


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_online(session)
        w.tokens = {}
        for name in ("viewer", "in_room", "outsider", "organizer", "moderator"):
            w.tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
    await engine.dispose()
    w.settings = settings
    return w


def bearer(world, name: str) -> dict[str, str]:
    return {"authorization": f"Bearer {world.tokens[name]}"}


async def test_stream_addresses_never_appear_in_public_pages_api_or_exports(client, world) -> None:
    for path in (
        f"/sessions/{world.water}",
        "/agenda",
        "/now",
        f"/api/v1/sessions/{world.water}",
        "/api/v1/sessions",
        "/schedule.json",
        "/schedule.xml",
        "/calendar/program.ics",
        f"/sessions/{world.water}/calendar.ics",
    ):
        body = (await client.get(path)).text
        assert "example.org/ascc2023" not in body and "ascc23water" not in body, path
    session_page = await client.get(f"/sessions/{world.water}")
    assert "Streamed with: Floor 日本語 Sign in to watch" in text_of(session_page.text)


async def test_a_participant_watches_through_a_signed_link_in_their_channel(client, world) -> None:
    await sign_in(client, "viewer@example.org", PASSWORD)
    page = await client.get(f"/sessions/{world.water}/watch")
    assert page.status_code == 200
    assert "ascc23water" not in page.text and "live.example.org/ascc2023" not in page.text
    assert "frame-src https://www.youtube-nocookie.com" in page.headers["content-security-policy"]
    link = re.search(r'data-link="(/online/go/[^"]+)"', page.text).group(1)
    assert link.startswith("/online/go/stream.")
    played = await client.get(link, headers={"accept": "application/json"})
    assert played.json() == {
        "provider": "youtube",
        "url": "https://www.youtube-nocookie.com/embed/ascc23water?autoplay=1&rel=0",
    }
    assert played.headers["cache-control"] == "no-store"
    # Choosing Japanese is remembered for the next visit.
    japanese = await client.get(f"/sessions/{world.water}/watch?channel=ja")
    assert 'aria-current="true" data-channel="ja"' in japanese.text
    again = await client.get(f"/sessions/{world.water}/watch")
    link = re.search(r'data-link="(/online/go/[^"]+)"', again.text).group(1)
    opened = await client.get(link, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == HLS
    tab = await client.get(f"/sessions/{world.water}/watch/open?channel=ja", follow_redirects=False)
    assert urlsplit(tab.headers["location"]).path.startswith("/online/go/stream.")


async def test_forged_expired_borrowed_or_cancelled_links_answer_403(client, world) -> None:
    await sign_in(client, "viewer@example.org", PASSWORD)
    page = await client.get(f"/sessions/{world.water}/watch")
    link = re.search(r'data-link="(/online/go/[^"]+)"', page.text).group(1)
    stream_id = int(link.split(".")[1])
    forged = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    assert (await client.get(forged)).status_code == 403
    assert (await client.get(link[:-3] + "%C3%A9")).status_code == 403  # not even ASCII
    async with AsyncTestClient(app=client.app, base_url="http://testserver.local") as anonymous:
        assert (await anonymous.get(link)).status_code == 403  # only in the browser of its person
    expired = "/online/go/" + links.sign(
        world.settings.secret_key, "stream", stream_id, world.viewer, time.time() - 3600 * 24 * 365 * 4
    )
    answer = await client.get(expired)
    assert answer.status_code == 403 and "expired" in text_of(answer.text)
    other = "/online/go/" + links.sign(
        world.settings.secret_key, "stream", stream_id, world.outsider, 1_700_000_000
    )
    assert (await client.get(other)).status_code == 403  # signed for someone else than who is signed in
    # Cancelling the registration closes the link at once.
    engine = create_engine(world.settings.database_url)
    async with async_sessionmaker(engine)() as session:
        reg = await registration.my_registration(session, world.edition_id, world.viewer)
        await registering.cancel(session, reg, "http://testserver.local", notify=False)
        await session.commit()
    await engine.dispose()
    assert (await client.get(link)).status_code == 403
    refused = await client.get(f"/sessions/{world.water}/watch")
    assert 'data-testid="watch-refused"' in refused.text and "/online/go/" not in refused.text


async def test_someone_not_registered_cannot_watch_ask_or_send_heartbeats(client, world) -> None:
    heartbeat = await client.post(
        f"/api/v1/sessions/{world.water}/heartbeat", json={}, headers=bearer(world, "outsider")
    )
    assert heartbeat.status_code == 403 and heartbeat.json()["error"] == "not_registered"
    ask = await client.post(
        f"/api/v1/sessions/{world.water}/questions", json={"body": "Hi"}, headers=bearer(world, "outsider")
    )
    assert ask.status_code == 403
    counted = await client.post(
        f"/api/v1/sessions/{world.water}/heartbeat", json={"channel": "ja"}, headers=bearer(world, "viewer")
    )
    assert counted.json() == {"counted": True, "minutes": 1}
    await sign_in(client, "outsider@example.org", PASSWORD)
    watch = await client.get(f"/sessions/{world.water}/watch")
    assert "live.example.org" not in watch.headers["content-security-policy"]  # no player: no stream hosts
    qa = await client.get(f"/sessions/{world.water}/qa")
    assert 'data-testid="qa-refused"' in qa.text and 'data-testid="question"' not in qa.text
    assert (await client.get(f"/sessions/{world.water}/live")).status_code == 403


async def test_questions_are_asked_moderated_and_voted_through_the_api(client, world) -> None:
    hostile = '<script>alert("q")</script> 下水汚泥の処理費用は？'
    empty = await client.post(
        f"/api/v1/sessions/{world.water}/questions", json={"body": "   "}, headers=bearer(world, "viewer")
    )
    assert empty.status_code == 422 and empty.json()["field"] == "body"
    huge = await client.post(
        f"/api/v1/sessions/{world.water}/questions", json={"body": "x" * 501}, headers=bearer(world, "viewer")
    )
    assert huge.status_code == 422 and huge.json()["field"] == "body"
    asked = await client.post(
        f"/api/v1/sessions/{world.water}/questions",
        json={"body": hostile, "anonymous": True},
        headers=bearer(world, "viewer"),
    )
    assert asked.status_code == 201
    question = asked.json()
    assert (question["status"], question["language"], question["author"], question["mine"]) == (
        "pending",
        "ja",
        None,
        True,
    )
    others = await client.get(f"/api/v1/sessions/{world.water}/questions", headers=bearer(world, "in_room"))
    assert others.json() == []
    not_allowed = await client.post(
        f"/api/v1/questions/{question['id']}/moderate",
        json={"action": "approve"},
        headers=bearer(world, "in_room"),
    )
    assert not_allowed.status_code == 403
    bad = await client.post(
        f"/api/v1/questions/{question['id']}/moderate",
        json={"action": "delete"},
        headers=bearer(world, "moderator"),
    )
    assert bad.status_code == 400 and bad.json()["field"] == "action"  # not one of the documented values
    approved = await client.post(
        f"/api/v1/questions/{question['id']}/moderate",
        json={"action": "approve"},
        headers=bearer(world, "moderator"),
    )
    assert (
        approved.json()["status"] == "approved" and approved.json()["author"] == "Nguyen Thi Lan"
    )  # moderators see who
    unseen = await client.post(
        f"/api/v1/sessions/{world.water}/questions",
        json={"body": "Still pending"},
        headers=bearer(world, "viewer"),
    )
    peek = await client.delete(
        f"/api/v1/questions/{unseen.json()['id']}/vote", headers=bearer(world, "in_room")
    )
    assert peek.status_code == 409 and "Still pending" not in peek.text  # a pending question stays unseen
    first = await client.post(f"/api/v1/questions/{question['id']}/vote", headers=bearer(world, "in_room"))
    second = await client.post(f"/api/v1/questions/{question['id']}/vote", headers=bearer(world, "in_room"))
    assert (first.json()["counted"], second.json()["counted"], second.json()["question"]["votes"]) == (
        True,
        False,
        1,
    )
    listed = await client.get(f"/api/v1/sessions/{world.water}/questions", headers=bearer(world, "in_room"))
    assert [(q["body"], q["votes"], q["voted"], q["author"]) for q in listed.json()] == [
        (hostile, 1, True, None)
    ]
    # On the page the question is text, never markup.
    await sign_in(client, "room@example.org", PASSWORD)
    qa = await client.get(f"/sessions/{world.water}/qa")
    assert "&lt;script&gt;alert" in qa.text and '<script>alert("q")' not in qa.text


async def test_a_question_asked_on_the_page_comes_back_as_its_fragment(client, world) -> None:
    await sign_in(client, "room@example.org", PASSWORD)
    await client.get(f"/sessions/{world.water}/qa")
    sent = await post_form(
        client,
        f"/sessions/{world.water}/questions",
        {"body": "Is the plant open to visits?", "from": "qa"},
        headers={"hx-request": "true"},
    )
    assert (
        sent.status_code == 200 and 'id="q-' in sent.text and "waiting for a moderator" in text_of(sent.text)
    )
    empty = await post_form(
        client, f"/sessions/{world.water}/questions", {"body": ""}, headers={"hx-request": "true"}
    )
    assert empty.status_code == 422 and empty.text == "This field is required."
    plain = await submit(
        client, f"/sessions/{world.water}/questions", {"body": "Again, without JavaScript", "from": "qa"}
    )
    assert plain.status_code == 303 and plain.headers["location"].startswith(
        f"/sessions/{world.water}/qa?asked=1"
    )


async def test_polls_are_created_by_moderators_and_take_one_vote(client, world) -> None:
    url = f"/api/v1/sessions/{world.water}/polls"
    refused = await client.post(
        url, json={"question_en": "Q?", "options": ["a", "b"]}, headers=bearer(world, "viewer")
    )
    assert refused.status_code == 403
    bad = await client.post(
        url, json={"question_en": "Q?", "options": ["only one"]}, headers=bearer(world, "organizer")
    )
    assert bad.status_code == 422 and bad.json()["field"] == "options"
    made = await client.post(
        url,
        json={
            "question_en": "Does your city reuse water?",
            "question_ja": "下水再生水を利用していますか？",
            "options": [{"en": "Yes", "ja": "はい"}, "Not yet"],
        },
        headers=bearer(world, "organizer"),
    )
    assert made.status_code == 201
    poll = made.json()
    voted = await client.post(
        f"/api/v1/polls/{poll['id']}/vote", json={"option": 0}, headers=bearer(world, "viewer")
    )
    assert [o["votes"] for o in voted.json()["options"]] == [1, 0] and voted.json()["my_vote"] == 0
    again = await client.post(
        f"/api/v1/polls/{poll['id']}/vote", json={"option": 1}, headers=bearer(world, "viewer")
    )
    assert again.status_code == 409 and again.json()["error"] == "already_voted"
    out_of_range = await client.post(
        f"/api/v1/polls/{poll['id']}/vote", json={"option": 7}, headers=bearer(world, "in_room")
    )
    assert out_of_range.status_code == 422 and out_of_range.json()["field"] == "option"
    listed = await client.get(url, headers=bearer(world, "in_room"))
    assert [(p["total"], p["my_vote"], p["options"][1]["ja"]) for p in listed.json()] == [
        (1, None, "Not yet")
    ]


async def test_an_announcement_shows_on_the_now_page_until_withdrawn(client, world) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    bad = await post_form(
        client, "/organizer/online/announcements", {"text_en": "", "text_ja": "", "minutes": "5"}
    )
    assert bad.status_code == 422 and "This field is required." in text_of(bad.text)
    sent = await submit(
        client,
        "/organizer/online/announcements",
        {
            "text_en": "The VLR panel starts in 5 minutes",
            "text_ja": "VLRパネルはあと5分で始まります",
            "minutes": "10",
        },
    )
    assert sent.status_code == 303
    now = await client.get("/now")
    assert "Announcement: The VLR panel starts in 5 minutes" in text_of(now.text)
    live = text_of(now.text.split('data-testid="live-now"')[1].split("</ul>")[0])
    assert "10:00–11:00 Thematic session: water" in live
    overview = await client.get("/organizer/online/")
    announcement_id = re.search(r"/organizer/online/announcements/(\d+)/withdraw", overview.text).group(1)
    await submit(client, f"/organizer/online/announcements/{announcement_id}/withdraw", {})
    assert "Announcement:" not in text_of((await client.get("/now")).text)
    assert (await client.get("/now?tz=Asia")).status_code == 200  # a folder of zones, not a zone
    manila = await client.get("/now?tz=Asia/Manila")
    assert "09:00–10:00 Thematic session: water" in text_of(manila.text)  # an hour behind Tokyo


async def test_organizers_set_streams_and_see_attendance_beside_the_door(client, world) -> None:
    for name in ("viewer", "in_room"):
        await client.post(
            f"/api/v1/sessions/{world.water}/heartbeat",
            json={"channel": "floor"},
            headers=bearer(world, name),
        )
    await sign_in(client, "organizer@example.org", PASSWORD)
    bad = await post_form(
        client,
        f"/organizer/online/sessions/{world.water}/streams",
        {"stream_floor": "http://insecure.example.org/x", "stream_ja": HLS, "stream_en": ""},
    )
    assert bad.status_code == 422 and "starting with https://" in text_of(bad.text)
    saved = await submit(
        client,
        f"/organizer/online/sessions/{world.water}/streams",
        {"stream_floor": YOUTUBE, "stream_ja": "", "stream_en": "https://vimeo.com/76979871"},
    )
    assert saved.status_code == 303
    page = await client.get(f"/organizer/online/sessions/{world.water}")
    assert "Online viewers: 2 · most at once: 2 · viewing minutes: 2 · checked in at the room: 0" in text_of(
        page.text
    )
    assert 'data-peak="2"' in page.text and "Vimeo, played on the page" in text_of(page.text)
    csv = await client.get(f"/organizer/online/sessions/{world.water}/attendance.csv")
    assert csv.text.splitlines()[0] == "\ufeffname,organization,registration,minutes,first_seen,last_seen"
    assert sorted(line.split(",")[0] for line in csv.text.splitlines()[1:]) == [
        "Nguyen Thi Lan",
        "Somchai Jaidee",
    ]
    overview = await client.get("/organizer/online/")
    assert overview.status_code == 200
    await sign_in(client, "viewer@example.org", PASSWORD)
    assert (await client.get("/organizer/online/", follow_redirects=False)).status_code == 403


async def test_recordings_follow_their_window_and_the_speakers_consent(client, world, monkeypatch) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    url = f"/organizer/programme/sessions/{world.water}/materials"
    added = await submit(
        client,
        url,
        {
            "title": "Recording",
            "kind": "recording",
            "url": "https://www.youtube.com/watch?v=rec1",
            "available_from": "2023-11-16",
            "available_until": "2024-01-31",
        },
    )
    assert added.status_code == 303
    assert (
        "Recording" not in text_of((await client.get(f"/sessions/{world.water}")).text).split("Materials")[-1]
    )
    monkeypatch.setenv("ASCC_NOW", "2024-01-31T23:00+09:00")
    shown = text_of((await client.get(f"/sessions/{world.water}")).text)
    assert "Materials Recording Recording" in shown, shown[-600:]
    monkeypatch.setenv("ASCC_NOW", "2024-02-01T00:30+09:00")  # unpublished by itself after the deadline
    assert "Materials" not in text_of((await client.get(f"/sessions/{world.water}")).text)
    monkeypatch.setenv("ASCC_NOW", "2023-12-01T10:00+09:00")
    assert "Materials Recording Recording" in text_of((await client.get(f"/sessions/{world.water}")).text)
    # The speakers ask not to record: the recording leaves, and no other can be added.
    await submit(
        client,
        f"/organizer/online/sessions/{world.water}/settings",
        {"qa_open": "1", "qa_moderated": "1", "recording": "do_not_record"},
    )
    assert "Materials" not in text_of((await client.get(f"/sessions/{world.water}")).text)
    refused = await post_form(
        client, url, {"title": "Another", "kind": "recording", "url": "https://www.youtube.com/watch?v=rec2"}
    )
    assert refused.status_code == 422 and "asked not to record" in text_of(refused.text)
    slides = await submit(
        client,
        url,
        {"title": "Slides", "kind": "slides", "url": "https://example.org/s.pdf", "do_not_publish": "1"},
    )
    assert slides.status_code == 303
    assert "Slides" not in text_of((await client.get(f"/sessions/{world.water}")).text)


async def test_a_cancelled_session_is_neither_watched_nor_asked_in(client, world) -> None:
    await sign_in(client, "viewer@example.org", PASSWORD)
    link = re.search(
        r'data-link="(/online/go/[^"]+)"', (await client.get(f"/sessions/{world.water}/watch")).text
    ).group(1)
    engine = create_engine(world.settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await session.execute(
            update(ProgrammeSession).where(ProgrammeSession.id == world.water).values(status="cancelled")
        )
        await session.commit()
        await publish(session, world.edition_id, "The water session is cancelled")
    await engine.dispose()
    client.app.state.schedule_cache.invalidate()
    page = await client.get(f"/sessions/{world.water}/watch")
    assert page.status_code == 409 and "This session is cancelled" in text_of(page.text)
    ask = await client.post(
        f"/api/v1/sessions/{world.water}/questions",
        json={"body": "Still on?"},
        headers=bearer(world, "viewer"),
    )
    assert ask.status_code == 409 and ask.json()["error"] == "cancelled"
    assert (await client.get(link)).status_code == 403


async def test_speakers_give_or_withhold_their_consent_themselves(client, world, monkeypatch) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    url = f"/organizer/programme/sessions/{world.water}/materials"
    await submit(
        client,
        url,
        {"title": "Slides of the water session", "kind": "slides", "url": "https://example.org/w.pdf"},
    )
    await submit(
        client,
        url,
        {"title": "Recording", "kind": "recording", "url": "https://www.youtube.com/watch?v=rec9"},
    )
    await sign_in(client, "viewer@example.org", PASSWORD)
    assert (await client.get(f"/sessions/{world.water}/consent")).status_code == 403  # not on stage
    await sign_in(client, "moderator@example.org", PASSWORD)
    form = await client.get(f"/sessions/{world.water}/consent")
    assert "Publish “Slides of the water session”" in text_of(form.text)
    slides_id = re.search(r'name="publish_(\d+)" value="1" checked> Publish “Slides', form.text).group(1)
    saved = await submit(
        client,
        f"/sessions/{world.water}/consent",
        {"recording": "do_not_record", f"publish_{slides_id}": "1"},
    )
    assert saved.status_code == 303
    public = text_of((await client.get(f"/sessions/{world.water}")).text)
    assert "Slides of the water session" in public and "Recording" not in public.split("Materials")[-1]


async def test_the_stream_plays_only_around_its_time_and_questions_close_after_it(
    client, world, monkeypatch
) -> None:
    await sign_in(client, "viewer@example.org", PASSWORD)
    live = await client.get(f"/sessions/{world.water}/watch")
    link = re.search(r'data-link="(/online/go/[^"]+)"', live.text).group(1)
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T09:30+09:00")  # half an hour before
    early = await client.get(f"/sessions/{world.water}/watch")
    assert 'data-testid="stream-later"' in early.text and "/online/go/" not in early.text
    assert "The stream opens at 09:45 (JST)" in text_of(early.text)
    assert (await client.get(link)).status_code == 403
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T11:30+09:00")  # half an hour after
    late = await client.get(f"/sessions/{world.water}/watch")
    assert 'data-testid="stream-ended"' in late.text and "/online/go/" not in late.text
    ask = await client.post(
        f"/api/v1/sessions/{world.water}/questions",
        json={"body": "Too late?"},
        headers=bearer(world, "viewer"),
    )
    assert ask.status_code == 409 and ask.json()["error"] == "qa_closed"
    qa = await client.get(f"/sessions/{world.water}/qa")
    assert 'data-testid="qa-closed">' in qa.text and 'data-testid="ask-form" hidden' in qa.text


async def test_the_page_remembers_my_poll_vote_as_data_the_script_can_read(client, world) -> None:
    made = await client.post(
        f"/api/v1/sessions/{world.water}/polls",
        json={"question_en": "Ready?", "options": ["Yes", "No"]},
        headers=bearer(world, "organizer"),
    )
    poll_id = made.json()["id"]
    await client.post(f"/api/v1/polls/{poll_id}/vote", json={"option": 1}, headers=bearer(world, "viewer"))
    await sign_in(client, "viewer@example.org", PASSWORD)
    page = await client.get(f"/sessions/{world.water}/qa")
    polls = re.search(r"data-my-polls='([^']*)'", page.text).group(1)
    assert json.loads(html.unescape(polls)) == {str(poll_id): 1}
