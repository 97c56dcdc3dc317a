"""Registration pages and API as delegates, organizers and API clients use them."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.mail import services as mail
from ascc.registration import organizer
from tests.factories import PASSWORD, make_edition, make_user
from tests.support.web import link_in, post_form, sign_in, text_of

FORM = {
    "mode": "in_person",
    "category": "city_official",
    "organization": "Cebu City",
    "country": "PH",
    "position": "City Environment Officer",
    "privacy_accepted": "on",
    "consent_directory": "on",
}


@pytest.fixture
async def app_db(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await make_edition(session, "ascc2023")
        session.info["edition_id"] = edition.id
        yield session
    await engine.dispose()


async def capacity(session, in_person=None, approval=()):
    await organizer.update_settings(
        session,
        session.info["edition_id"],
        organizer.SettingsInput(in_person, None, list(approval), [], "2023-1"),
        "http://testserver.local",
    )
    await session.commit()


async def test_register_page_shows_errors_beside_fields_and_keeps_input(client, app_db) -> None:
    await make_user(app_db, "thu@example.org", name="Nguyen Thi Minh Thu", name_local="Nguyễn Thị Minh Thư")
    await organizer.add_question(
        app_db, app_db.info["edition_id"], "text", "Arrival flight", "到着便", "", True
    )
    await app_db.commit()
    await sign_in(client, "thu@example.org", PASSWORD)
    response = await post_form(
        client,
        "/register",
        {**FORM, "privacy_accepted": "", "country": "XX", "position": "Trưởng phòng 👩🏽‍💼"},
    )
    assert response.status_code == 422
    assert "Please accept the privacy notice to register." in response.text
    assert "Please choose a country from the list." in response.text
    assert re.search(r'id="e-q_\d+"', response.text)  # the organizer's own required question
    assert 'value="Trưởng phòng 👩🏽‍💼"' in response.text
    done = await post_form(client, "/register", {**FORM, "q_1": "NH 123"}, follow_redirects=False)
    assert done.headers["location"] == "/registration?new=1"
    mine = text_of((await client.get("/registration")).text)
    assert "Confirmed" in mine and "Cebu City" in mine


async def test_full_edition_waiting_list_and_promotion_by_cancellation(client, app_db) -> None:
    await capacity(app_db, in_person=1)
    for email in ("a@example.org", "b@example.org"):
        await make_user(app_db, email)
    await sign_in(client, "a@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    await sign_in(client, "b@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    page = await client.get("/registration")
    assert "You are number 1 on the waiting list." in page.text
    await sign_in(client, "a@example.org", PASSWORD)
    await post_form(client, "/registration/cancel", {})
    kinds = [m.kind for m in await mail.messages_to(app_db, "b@example.org")]
    assert kinds == ["registration_waiting", "registration_promoted"]
    await sign_in(client, "b@example.org", PASSWORD)
    assert 'data-testid="status">Confirmed' in (await client.get("/registration")).text


async def test_switching_to_online_on_the_page(client, app_db) -> None:
    await make_user(app_db, "s@example.org")
    await sign_in(client, "s@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    page = await post_form(client, "/registration/mode", {"mode": "online"})
    assert "Your attendance mode is changed." in page.text
    assert 'data-testid="mode">Online' in page.text


async def test_organizer_approves_from_the_list_and_exports_csv(client, app_db) -> None:
    await capacity(app_db, approval=["press"])
    await make_user(app_db, "boss@example.org", role="organizer")
    await make_user(app_db, "press@example.org", name="Kenji Watanabe", name_local="渡辺 健二")
    await sign_in(client, "press@example.org", PASSWORD)
    await post_form(client, "/register", {**FORM, "category": "press", "organization": "Yokohama Shimbun"})
    await sign_in(client, "boss@example.org", PASSWORD)
    listing = await client.get("/organizer/registrations?status=pending")
    registration_id = re.search(r'name="single" value="approve:(\d+)"', listing.text).group(1)
    decided = await post_form(
        client,
        "/organizer/registrations/decide",
        {"single": f"approve:{registration_id}"},
        follow_redirects=False,
    )
    assert decided.headers["location"].endswith("done=1")
    export = await client.get("/organizer/registrations/export.csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    assert "渡辺 健二" in export.content.decode("utf-8-sig") and ",confirmed," in export.content.decode(
        "utf-8-sig"
    )
    kinds = [m.kind for m in await mail.messages_to(app_db, "press@example.org")]
    assert kinds == ["registration_pending", "registration_confirmed"]


async def test_organizer_settings_change_capacity_and_add_question(client, app_db) -> None:
    await make_user(app_db, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    bad = await post_form(
        client,
        "/organizer/registration-settings/",
        {"in_person_capacity": "ten", "privacy_version": "2023-1"},
    )
    assert bad.status_code == 422 and "Please enter a whole number" in bad.text
    ok = await post_form(
        client,
        "/organizer/registration-settings/",
        {"in_person_capacity": "600", "privacy_version": "2023-2"},
    )
    assert "Now 0 confirmed, 0 waiting" in ok.text
    assert ok.headers["content-type"].startswith("text/html")
    added = await post_form(
        client,
        "/organizer/registration-settings/questions",
        {
            "kind": "multiple",
            "label_en": "Site visits",
            "label_ja": "視察",
            "choices": "Tour A | 視察A\nTour B | 視察B",
        },
    )
    assert "Site visits" in added.text


async def test_delegation_head_invites_and_sees_the_roster(client, app_db) -> None:
    await make_user(app_db, "head@example.org", name="Maria Reyes")
    await make_user(app_db, "member@example.org", name="Jose Santos")
    await sign_in(client, "head@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    await post_form(client, "/delegation/start", {})
    invited = await post_form(client, "/delegation/invite", {"email": "member@example.org", "lang": "en"})
    assert "Invitation sent to member@example.org." in invited.text
    twice = await post_form(client, "/delegation/invite", {"email": "MEMBER@example.org"})
    assert twice.status_code == 422 and "already been invited" in twice.text
    [message] = await mail.messages_to(app_db, "member@example.org")
    path = link_in(message.body_text, "/invite/")
    await post_form(client, "/logout", {})
    welcome = await client.get(path)
    assert "This invitation is for member@example.org" in welcome.text
    await sign_in(client, "member@example.org", PASSWORD)
    form = await client.get(path)
    assert "You are invited to join the delegation of Cebu City." in form.text
    await post_form(client, path, {**FORM, "organization": ""})
    again = await client.get(path)
    assert again.status_code == 409 and "already been used" in again.text
    await sign_in(client, "head@example.org", PASSWORD)
    roster = await client.get("/delegation")
    assert (
        "Jose Santos" in roster.text
        and 'data-testid="roster-status"><span class="badge status-confirmed">' in roster.text
    )


async def test_directory_only_for_confirmed_participants_and_only_opted_in(client, app_db) -> None:
    await make_user(app_db, "a@example.org", name="Somchai Jaidee", name_local="สมชาย ใจดี")
    await make_user(app_db, "b@example.org", name="Hidden Person")
    await make_user(app_db, "c@example.org")
    await sign_in(client, "c@example.org", PASSWORD)
    assert (await client.get("/directory")).status_code == 403
    await sign_in(client, "a@example.org", PASSWORD)
    await post_form(client, "/register", {**FORM, "interests": "water"})
    await sign_in(client, "b@example.org", PASSWORD)
    await post_form(client, "/register", {**FORM, "consent_directory": ""})
    page = await client.get("/directory")
    assert "สมชาย ใจดี" in page.text and "Hidden Person" not in page.text
    partial = await client.get(
        "/directory?sector=water&country=ZZ&category=bogus", headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.text and "Somchai Jaidee" in partial.text


async def test_letter_export_and_account_deletion(client, app_db) -> None:
    await make_user(app_db, "me@example.org", name="Haruka Sato", name_local="佐藤 遥")
    await sign_in(client, "me@example.org", PASSWORD)
    await post_form(client, "/register", {**FORM, "dietary": "halal"})
    letter = await client.get("/registration/letter.pdf")
    assert letter.headers["content-type"] == "application/pdf" and letter.content.startswith(b"%PDF")
    export = json.loads((await client.get("/account/export.json")).content)
    assert export["account"]["name_local"] == "佐藤 遥" and export["registrations"][0]["dietary"] == "halal"
    refused = await post_form(client, "/account/delete", {"confirm_email": "someone@example.org"})
    assert refused.status_code == 422
    await post_form(client, "/account/delete", {"confirm_email": "ME@example.org"})
    assert (await client.get("/registration", follow_redirects=False)).status_code == 303
    failed = await post_form(client, "/login", {"email": "me@example.org", "password": PASSWORD})
    assert failed.status_code == 401


async def test_api_register_read_cancel_and_organizer_list(client, app_db) -> None:
    user = await make_user(app_db, "api@example.org")
    boss = await make_user(app_db, "boss@example.org", role="organizer")
    raw, _ = await accounts.create_api_token(app_db, user.id)
    boss_raw, _ = await accounts.create_api_token(app_db, boss.id)
    await app_db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    missing = await client.post("/api/v1/registrations/me", headers=headers, json={"mode": "in_person"})
    assert missing.status_code == 400
    # A value outside the documented set is refused by the parser, naming the field (the enum in the
    # OpenAPI document is what is checked); the domain's own checks answer 422 with every field at fault.
    boat = await client.post(
        "/api/v1/registrations/me",
        headers=headers,
        json={"mode": "boat", "category": "city_official", "privacy_accepted": True},
    )
    assert (boat.status_code, boat.json()["field"]) == (400, "mode")
    invalid = await client.post(
        "/api/v1/registrations/me",
        headers=headers,
        json={
            "mode": "in_person",
            "category": "city_official",
            "privacy_accepted": False,
            "interests": ["no_such_sector"],
        },
    )
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["extra"]} == {"interests", "privacy_accepted"}
    created = await client.post(
        "/api/v1/registrations/me",
        headers=headers,
        json={
            "mode": "online",
            "category": "company",
            "privacy_accepted": True,
            "organization": "Minato Water Co.",
        },
    )
    assert (created.status_code, created.json()["status"], created.json()["mode"]) == (
        201,
        "confirmed",
        "online",
    )
    twice = await client.post(
        "/api/v1/registrations/me",
        headers=headers,
        json={"mode": "online", "category": "company", "privacy_accepted": True},
    )
    assert (twice.status_code, twice.json()["error"]) == (409, "already_registered")
    assert (await client.get("/api/v1/registrations/me", headers=headers)).json()[
        "organization"
    ] == "Minato Water Co."
    assert (await client.get("/api/v1/registrations", headers=headers)).status_code == 403
    listing = await client.get(
        "/api/v1/registrations?mode=online&limit=1", headers={"Authorization": f"Bearer {boss_raw}"}
    )
    assert (listing.json()["total"], len(listing.json()["items"])) == (1, 1)
    cancelled = await client.post("/api/v1/registrations/me/cancel", headers=headers)
    assert cancelled.json()["status"] == "cancelled"


async def test_registration_pages_need_sign_in(client) -> None:
    for path in ("/register", "/registration", "/directory", "/delegation"):
        response = await client.get(path, follow_redirects=False)
        assert response.headers["location"].startswith("/login?next=")


async def test_editing_details_keeps_and_shows_custom_answers(client, app_db) -> None:
    await organizer.add_question(
        app_db, app_db.info["edition_id"], "yes_no", "Reception?", "レセプション", "", True
    )
    await make_user(app_db, "e@example.org")
    await app_db.commit()
    await sign_in(client, "e@example.org", PASSWORD)
    await post_form(client, "/register", {**FORM, "q_1": "yes"})
    page = await client.get("/registration")
    assert 'name="q_1"' in page.text
    saved = await post_form(
        client, "/registration", {"city": "Lapu-Lapu", "country": "PH", "q_1": "yes", "interpretation": "en"}
    )
    assert "Saved." in saved.text
    export = json.loads((await client.get("/account/export.json")).content)
    assert (export["registrations"][0]["city"], export["registrations"][0]["answers"]) == (
        "Lapu-Lapu",
        {"1": "yes"},
    )
    csv_text = None
    await make_user(app_db, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    csv_text = (await client.get("/organizer/registrations/export.csv")).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith(",Reception?") and csv_text.splitlines()[1].endswith(",yes")


async def test_organizer_settings_refuse_overlong_values_without_500(client, app_db) -> None:
    await make_user(app_db, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    long_choice = await post_form(
        client,
        "/organizer/registration-settings/questions",
        {"kind": "single", "label_en": "Q", "label_ja": "Q", "choices": "x" * 300 + "\nB"},
    )
    assert long_choice.status_code == 422
    long_note = await post_form(
        client, "/organizer/registration-settings/codes", {"categories": "speaker", "note": "n" * 300}
    )
    assert long_note.status_code == 422


async def test_code_expiring_today_works_until_midnight_in_yokohama(client, app_db, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-13T23:30+09:00")
    await make_user(app_db, "boss@example.org", role="organizer")
    await make_user(app_db, "speaker@example.org")
    await sign_in(client, "boss@example.org", PASSWORD)
    created = await post_form(
        client,
        "/organizer/registration-settings/codes",
        {"categories": "speaker", "expires_on": "2023-11-13", "single_use": "on"},
    )
    code = re.search(r'data-testid="new-code">([^<]+)<', created.text).group(1)
    await capacity(app_db)  # settings exist; make speakers invitation-only
    await organizer.update_settings(
        app_db,
        app_db.info["edition_id"],
        organizer.SettingsInput(None, None, [], ["speaker"], "1"),
        "http://x",
    )
    await app_db.commit()
    await sign_in(client, "speaker@example.org", PASSWORD)
    done = await post_form(
        client, "/register", {**FORM, "category": "speaker", "code": code}, follow_redirects=False
    )
    assert done.status_code == 303


async def test_someone_elses_invitation_says_so_at_once(client, app_db) -> None:
    await make_user(app_db, "head@example.org")
    await make_user(app_db, "other@example.org")
    await sign_in(client, "head@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    await post_form(client, "/delegation/start", {})
    await post_form(client, "/delegation/invite", {"email": "invited@example.org"})
    own = await post_form(client, "/delegation/invite", {"email": "head@example.org"})
    assert own.status_code == 422 and "That is your own address" in own.text
    [message] = await mail.messages_to(app_db, "invited@example.org")
    await sign_in(client, "other@example.org", PASSWORD)
    page = await client.get(link_in(message.body_text, "/invite/"))
    assert page.status_code == 403 and "sent to another e-mail address" in page.text


async def test_deleting_the_head_hands_the_delegation_to_a_member(client, app_db) -> None:
    await make_user(app_db, "head@example.org")
    await make_user(app_db, "member@example.org")
    await sign_in(client, "head@example.org", PASSWORD)
    await post_form(client, "/register", FORM)
    await post_form(client, "/delegation/start", {})
    await post_form(client, "/delegation/invite", {"email": "member@example.org"})
    [message] = await mail.messages_to(app_db, "member@example.org")
    await sign_in(client, "member@example.org", PASSWORD)
    await post_form(client, link_in(message.body_text, "/invite/"), FORM)
    await sign_in(client, "head@example.org", PASSWORD)
    await post_form(client, "/account/delete", {"confirm_email": "head@example.org"})
    await sign_in(client, "member@example.org", PASSWORD)
    assert (await client.get("/delegation")).status_code == 200


async def test_organizer_api_lists_waiting_positions(client, app_db) -> None:
    await capacity(app_db, in_person=1)
    boss = await make_user(app_db, "boss@example.org", role="organizer")
    boss_raw, _ = await accounts.create_api_token(app_db, boss.id)
    await app_db.commit()
    for email in ("one@example.org", "two@example.org", "three@example.org"):
        await make_user(app_db, email)
        await sign_in(client, email, PASSWORD)
        await post_form(client, "/register", FORM)
    listing = await client.get("/api/v1/registrations", headers={"Authorization": f"Bearer {boss_raw}"})
    assert [(i["status"], i["waiting_position"]) for i in listing.json()["items"]] == [
        ("confirmed", None),
        ("waiting", 1),
        ("waiting", 2),
    ]
