"""Session feedback as participants, speakers and organizers see it in their pages, and through the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.audit.models import AuditEntry
from ascc.editions import services as editions
from ascc.programme import editing, feedback
from ascc.programme import services as programme
from ascc.registration import registering
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.web import csrf_token, post_form, sign_in, text_of


@pytest.fixture
async def site(settings, monkeypatch):
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:30+09:00")  # the keynote (09:00–10:00) is over
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_programme(session)
        await publish(session, built.edition_id)
        built.session = session
        yield built
    await engine.dispose()


async def _attendee(site, email: str):
    session = site.session
    user = await make_user(session, email)
    await registering.register(
        session,
        site.edition_id,
        user.id,
        registering.RegistrationInput(organization="Da Nang", privacy_accepted=True),
        BASE,
        notify=False,
    )
    current = await programme.published(session, await editions.get_by_id(session, site.edition_id))
    await programme.save(session, user.id, current, site.keynote)
    await session.commit()
    return user


async def test_a_participant_rates_then_speaker_and_organizer_see_what_they_may(client, site) -> None:
    speaker = await make_user(site.session, "priya@example.org", name="Priya Raman")
    row = await editing.get_speaker(site.session, site.edition_id, site.speakers[0])  # the keynote's speaker
    row.user_id = speaker.id
    await site.session.commit()
    others = [await _attendee(site, f"other{n}@example.org") for n in range(2)]
    await _attendee(site, "me@example.org")

    await sign_in(client, "me@example.org", PASSWORD)
    session_page = await client.get(f"/sessions/{site.keynote}")
    assert 'data-testid="feedback-box"' in session_page.text
    # No rating chosen: the form again, the comment kept, the reason beside the field.
    refused = await post_form(
        client, f"/sessions/{site.keynote}/feedback", {"comment": "地域の事例が良かった"}
    )
    assert refused.status_code == 422
    assert "Choose a rating from 1 to 5." in refused.text and "地域の事例が良かった" in refused.text
    sent = await post_form(
        client,
        f"/sessions/{site.keynote}/feedback",
        {"rating": "4", "comment": "地域の事例が良かった"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    shown = await client.get(sent.headers["location"])
    assert "Your rating: 4 of 5" in text_of(shown.text) and "comment awaiting review" in shown.text
    current = await programme.published(site.session, await editions.get_by_id(site.session, site.edition_id))
    await feedback.rate(site.session, others[0].id, current, site.keynote, 5, "Inspiring")
    await site.session.commit()

    client.cookies.clear()
    await sign_in(client, "priya@example.org", PASSWORD)
    # The keynote's speaker finds the way to their results from the session's feedback box.
    own_box = await client.get(f"/sessions/{site.keynote}/feedback")
    assert 'href="/speaker/feedback"' in own_box.text and "You speak in this session" in own_box.text
    two = text_of((await client.get("/speaker/feedback")).text)
    assert "Fewer than 3 ratings so far" in two and "Inspiring" not in two
    await feedback.rate(site.session, others[1].id, current, site.keynote, 3)
    await site.session.commit()
    three = text_of((await client.get("/speaker/feedback")).text)
    assert "Average 4.0 of 5 from 3 ratings" in three
    assert "Inspiring" not in three and "地域の事例" not in three  # not approved yet

    client.cookies.clear()
    await make_user(site.session, "org@example.org", role="organizer")
    await sign_in(client, "org@example.org", PASSWORD)
    overview = await client.get("/organizer/feedback/")
    assert overview.status_code == 200
    text = text_of(overview.text)
    assert "Keynote on VLRs 4.00 3" in text and "Energy 4.00 3" in text
    ids = dict(
        zip(
            re.findall(r'<p class="comment">([^<]+)</p>', overview.text),
            re.findall(r'id="c(\d+)"', overview.text),
            strict=True,
        )
    )
    approved = await post_form(
        client, f"/organizer/feedback/{ids['Inspiring']}", {"status": "approved"}, follow_redirects=False
    )
    assert approved.status_code == 303
    await post_form(client, f"/organizer/feedback/{ids['地域の事例が良かった']}", {"status": "hidden"})
    # Each decision is in the audit log with who took it; the comment itself is not copied there.
    logged = (
        await site.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "programme.feedback_moderate")
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [(e.actor_name, e.before, e.after) for e in logged] == [
        ("Haruka Sato", {"comment_status": "pending"}, {"comment_status": "approved"}),
        ("Haruka Sato", {"comment_status": "pending"}, {"comment_status": "hidden"}),
    ]
    audit_page = text_of((await client.get("/organizer/audit?action=programme.feedback_moderate")).text)
    assert "Feedback comment moderated" in audit_page

    client.cookies.clear()
    await sign_in(client, "priya@example.org", PASSWORD)
    final = text_of((await client.get("/speaker/feedback")).text)
    assert "Inspiring" in final and "地域の事例" not in final


async def test_the_api_rates_once_and_names_the_field_or_the_reason(client, site) -> None:
    await _attendee(site, "api@example.org")
    await sign_in(client, "api@example.org", PASSWORD)
    headers = {"x-csrftoken": await csrf_token(client)}
    path = f"/api/v1/sessions/{site.keynote}/feedback"
    bad = await client.post(path, json={"rating": 6}, headers=headers)
    assert bad.status_code == 400 and "rating" in bad.text
    assert (await client.post(path, json={"rating": 5, "comment": "👏"}, headers=headers)).json() == {
        "session_id": site.keynote,
        "rating": 5,
        "comment": "👏",
        "comment_status": "pending",
    }
    assert (await client.post(path, json={"rating": 3, "comment": "👏"}, headers=headers)).json()[
        "rating"
    ] == 3
    assert [(f["session_id"], f["rating"]) for f in (await client.get("/api/v1/me/feedback")).json()] == [
        (site.keynote, 3)
    ]
    early = await client.post(f"/api/v1/sessions/{site.day3}/feedback", json={"rating": 4}, headers=headers)
    assert early.status_code == 409 and early.json()["error"] == "not_over"
