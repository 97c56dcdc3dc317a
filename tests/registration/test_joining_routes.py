"""The delegation pages when a city already has a head: asking to join, the head's answer, withdrawing, and
invitations that say the same whoever the address belongs to."""

from __future__ import annotations

import html

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.mail import services as mail
from tests.factories import PASSWORD, make_edition, make_user
from tests.support.web import link_in, post_form, sign_in
from tests.support.web import text_of as html_text

FORM = {
    "mode": "in_person",
    "category": "city_official",
    "organization": "Cebu City",
    "country": "PH",
    "position": "City Planning Officer",
    "privacy_accepted": "on",
}


def text_of(page: str) -> str:
    return html.unescape(html_text(page))


@pytest.fixture
async def app_db(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await make_edition(session, "ascc2023")
        yield session
    await engine.dispose()


@pytest.fixture
async def cebu(client, app_db):
    """Maria leads Cebu City's delegation; Jose registered for Cebu City too and is signed in."""
    await make_user(app_db, "maria@example.org", name="Maria Reyes")
    await make_user(app_db, "jose@example.org", name="Jose Santos", name_local="ホセ・サントス")
    await sign_in(client, "maria@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    await post_form(client, "/delegation/start", {})
    await sign_in(client, "jose@example.org", PASSWORD)
    await post_form(client, "/register", FORM)


async def test_a_second_official_asks_to_join_instead_of_a_dead_end(client, app_db, cebu) -> None:
    page = text_of((await client.get("/registration")).text)
    assert "Ask to join Cebu City's delegation (head: Maria Reyes)" in page
    assert "Lead my city's delegation" not in page
    asked = await post_form(client, "/delegation/join", {}, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == "/registration?done=join_asked"
    page = text_of((await client.get(asked.headers["location"])).text)
    assert "Your request is sent" in page
    assert (
        "You asked to join Cebu City's delegation. Waiting for the answer of its head, Maria Reyes." in page
    )
    assert "Withdraw my request" in page
    twice = await post_form(client, "/delegation/join", {})
    assert twice.status_code == 409 and "already asked to join" in twice.text
    [request_mail] = [m for m in await mail.messages_to(app_db, "maria@example.org") if "join" in m.kind]
    assert "City Planning Officer\n\nAccept or decline" in request_mail.body_text
    assert "http://testserver.local/delegation\n" in request_mail.body_text
    path = "/delegation"

    await sign_in(client, "maria@example.org", PASSWORD)
    head_page = await client.get(path)
    assert "Requests to join" in head_page.text and "Jose Santos (ホセ・サントス)" in head_page.text
    accept = next(
        line.split('"')[1]
        for line in head_page.text.split("action=")
        if line.startswith('"/delegation/requests/') and "/accept" in line.split('"')[1]
    )
    done = await post_form(client, accept, {}, follow_redirects=False)
    assert done.headers["location"] == "/delegation?done=accepted"
    roster = await client.get(done.headers["location"])
    assert "Request accepted" in roster.text and "Requests to join" not in roster.text
    assert "Jose Santos" in roster.text and "jose@example.org" in roster.text

    await sign_in(client, "jose@example.org", PASSWORD)
    page = text_of((await client.get("/registration")).text)
    assert "You are a member of your organization's delegation." in page
    assert [m.kind for m in await mail.messages_to(app_db, "jose@example.org")][
        -1
    ] == "delegation_join_accepted"


async def test_a_request_can_be_withdrawn_and_then_the_head_cannot_accept_it(client, app_db, cebu) -> None:
    await post_form(client, "/delegation/join", {})
    withdrawn = await post_form(client, "/delegation/join/withdraw", {}, follow_redirects=False)
    assert withdrawn.headers["location"] == "/registration?done=join_withdrawn"
    page = text_of((await client.get(withdrawn.headers["location"])).text)
    assert "Your request is withdrawn." in page and "Ask to join Cebu City's delegation" in page
    await sign_in(client, "maria@example.org", PASSWORD)
    assert "Requests to join" not in (await client.get("/delegation")).text


async def test_someone_elses_request_is_not_yours_to_answer(client, app_db, cebu) -> None:
    await post_form(client, "/delegation/join", {})
    await sign_in(client, "maria@example.org", PASSWORD)
    head_page = (await client.get("/delegation")).text
    accept = head_page.split('action="/delegation/requests/')[1].split('"')[0]
    await make_user(app_db, "other@example.org")
    await sign_in(client, "other@example.org", PASSWORD)
    await post_form(client, "/register", {**FORM, "organization": "Danang City", "country": "VN"})
    await post_form(client, "/delegation/start", {})
    refused = await post_form(client, f"/delegation/requests/{accept}", {})
    assert refused.status_code == 404


async def test_an_invitation_says_the_same_whoever_the_address_belongs_to(client, app_db, cebu) -> None:
    await sign_in(client, "maria@example.org", PASSWORD)
    await make_user(app_db, "unregistered@example.org")
    answers = {}
    for address in ("jose@example.org", "unregistered@example.org", "nobody@example.org"):
        sent = await post_form(client, "/delegation/invite", {"email": address, "lang": "en"})
        answers[address] = (sent.status_code, f"Invitation sent to {address}." in sent.text)
    assert set(answers.values()) == {(200, True)}
    # Jose, already registered, is told he can join from the link; the others get the usual invitation.
    [*_, invitation] = await mail.messages_to(app_db, "jose@example.org")
    assert invitation.kind == "delegation_invite_registered"
    assert [m.kind for m in await mail.messages_to(app_db, "nobody@example.org")] == ["delegation_invite"]
    await sign_in(client, "jose@example.org", PASSWORD)
    path = link_in(invitation.body_text, "/invite/")
    page = await client.get(path)
    assert "You are already registered for this edition" in text_of(page.text)
    joined = await post_form(client, f"{path}/join", {}, follow_redirects=False)
    assert joined.headers["location"] == "/registration?done=joined"
    assert "You joined the delegation." in text_of((await client.get("/registration?done=joined")).text)
    again = await post_form(client, f"{path}/join", {})
    assert again.status_code == 409 and "already been used" in again.text
