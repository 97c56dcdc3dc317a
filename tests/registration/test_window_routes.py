"""Registration dates on the pages and the API: what a participant sees and may do before, during and after
the window; a late-registration code; organizers setting the dates and registering someone after the close."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.registration import organizer
from ascc.registration import services as registration
from ascc.registration.models import Registration
from tests.factories import PASSWORD, make_edition, make_user
from tests.support.web import post_form, sign_in, text_of

DATES = {
    "registration_opens_on": date(2023, 9, 1),
    "registration_closes_on": date(2023, 11, 10),
    "meeting_requests_close_on": date(2023, 11, 14),
}
FORM = {
    "mode": "in_person",
    "category": "city_official",
    "organization": "Cebu City",
    "country": "PH",
    "privacy_accepted": "on",
}


@pytest.fixture
async def app_db(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await make_edition(session, "ascc2023", status="live", **DATES)
        session.info["edition_id"] = edition.id
        yield session
    await engine.dispose()


async def _status(session, email: str) -> str | None:
    user = await accounts.find_by_email(session, email)
    assert user is not None
    found = await session.scalar(
        select(Registration.status)
        .where(Registration.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    return found


async def test_before_the_window_the_page_says_when_it_opens(client, app_db, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-08-20T10:00+09:00")
    await make_user(app_db, "early@example.org")
    await sign_in(client, "early@example.org", PASSWORD)
    page = (await client.get("/register")).text
    assert "Registration opens on 1 September 2023." in text_of(page)
    assert 'name="privacy_accepted"' not in page  # no form to fill in for nothing
    refused = await post_form(client, "/register", FORM)
    assert refused.status_code == 409
    assert await _status(app_db, "early@example.org") is None


async def test_after_the_close_the_form_asks_for_a_late_code(client, app_db, monkeypatch) -> None:
    late = await organizer.create_code(
        app_db, app_db.info["edition_id"], [], None, True, None, "desk", late=True
    )
    code = late.code
    await app_db.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-12T10:00+09:00")
    await make_user(app_db, "late@example.org", name="Somchai Jaidee", name_local="สมชาย ใจดี")
    await sign_in(client, "late@example.org", PASSWORD)
    page = text_of((await client.get("/register")).text)
    assert "Registration closed on 10 November 2023." in page
    assert "late-registration code" in page
    refused = await post_form(client, "/register", {**FORM, "position": "ผู้อำนวยการ"})
    assert refused.status_code == 409
    assert 'id="e-code"' in refused.text  # the way on, beside the field where it goes
    assert "Registration closed on 10 November 2023. With a late-registration code" in text_of(refused.text)
    assert 'value="ผู้อำนวยการ"' in refused.text  # what was typed is still there
    assert await _status(app_db, "late@example.org") is None
    done = await post_form(client, "/register", {**FORM, "code": code.lower()}, follow_redirects=False)
    assert done.status_code == 303
    assert await _status(app_db, "late@example.org") == "confirmed"


async def test_after_the_conference_only_organizers_register(client, app_db, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-12-01T10:00+09:00")
    await make_user(app_db, "december@example.org")
    await make_user(app_db, "boss@example.org", role="organizer")
    await make_user(app_db, "guest@example.org", name="Park Ji-won", name_local="박지원")
    await sign_in(client, "december@example.org", PASSWORD)
    await client.get("/lang/ja?next=/")
    page = (await client.get("/register")).text
    assert "会議は2023年11月15日に終了し、参加登録は締め切りました。" in text_of(page)
    assert 'name="privacy_accepted"' not in page
    refused = await post_form(client, "/register", FORM)
    assert refused.status_code == 409
    assert await _status(app_db, "december@example.org") is None
    await client.get("/lang/en?next=/")

    await sign_in(client, "boss@example.org", PASSWORD)
    form = (await client.get("/organizer/register-person")).text
    assert 'name="email"' in form
    unknown = await post_form(client, "/organizer/register-person", {**FORM, "email": "nobody@example.org"})
    assert unknown.status_code == 422
    assert 'id="e-email"' in unknown.text and "No account has this e-mail address." in unknown.text
    done = await post_form(
        client, "/organizer/register-person", {**FORM, "email": "GUEST@example.org"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/organizer/registrations?q=")
    assert await _status(app_db, "guest@example.org") == "confirmed"
    listed = text_of((await client.get(done.headers["location"])).text)
    assert "Park Ji-won" in listed


async def test_api_refuses_outside_the_window_with_a_code(client, app_db, monkeypatch) -> None:
    user = await make_user(app_db, "api@example.org")
    raw, _ = await accounts.create_api_token(app_db, user.id)
    await app_db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    body = {"mode": "online", "category": "company", "privacy_accepted": True}
    monkeypatch.setenv("ASCC_NOW", "2023-08-20T10:00+09:00")
    early = await client.post("/api/v1/registrations/me", headers=headers, json=body)
    assert early.status_code == 409 and early.json()["error"] == "registration_not_open"
    assert early.json()["detail"] == "Registration opens on 1 September 2023."
    monkeypatch.setenv("ASCC_NOW", "2023-11-12T10:00+09:00")
    closed = await client.post("/api/v1/registrations/me", headers=headers, json=body)
    assert closed.status_code == 409
    assert (closed.json()["error"], closed.json()["field"]) == ("registration_closed", "code")
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")
    created = await client.post("/api/v1/registrations/me", headers=headers, json=body)
    assert created.status_code == 201 and created.json()["status"] == "confirmed"


async def test_organizers_set_the_dates_and_the_pages_follow(client, app_db, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-11T10:00+09:00")
    await make_user(app_db, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    settings_page = text_of((await client.get("/organizer/registration-settings")).text)
    assert "Last day of registration" in settings_page and "Asia/Tokyo" in settings_page
    bad = await post_form(
        client,
        "/organizer/registration-settings/dates",
        {
            "registration_opens_on": "2023-09-01",
            "registration_closes_on": "2023-08-01",
            "meeting_requests_close_on": "2023-11-14",
            "close_press": "2023-11-30",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-registration_closes_on"' in bad.text and 'id="e-close_press"' in bad.text
    assert "after the conference&#39;s last day" in bad.text or "after the conference's last day" in bad.text
    assert 'value="2023-11-30"' in bad.text  # as entered
    edition = await editions.get_by_id(app_db, app_db.info["edition_id"])
    await app_db.refresh(edition)
    assert edition.registration_closes_on == date(2023, 11, 10)  # nothing was written
    good = await post_form(
        client,
        "/organizer/registration-settings/dates",
        {
            "registration_opens_on": "2023-09-01",
            "registration_closes_on": "2023-11-10",
            "meeting_requests_close_on": "",
            "close_press": "2023-11-12",
        },
    )
    assert good.status_code == 200 and 'value="2023-11-12"' in good.text
    settings = await registration.get_settings(app_db, app_db.info["edition_id"])
    await app_db.refresh(settings)
    assert settings.category_closes_on == {"press": "2023-11-12"}
    # A participant now sees the edition closed and the press still open.
    await make_user(app_db, "reporter@example.org")
    await sign_in(client, "reporter@example.org", PASSWORD)
    page = text_of((await client.get("/register")).text)
    assert "Registration closed on 10 November 2023." in page
    assert "Press: open until 12 November 2023" in page
    done = await post_form(client, "/register", {**FORM, "category": "press"}, follow_redirects=False)
    assert done.status_code == 303


async def test_a_late_code_is_made_on_the_settings_page(client, app_db) -> None:
    await make_user(app_db, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    made = await post_form(
        client, "/organizer/registration-settings/codes", {"late": "on", "single_use": "on", "note": "Desk"}
    )
    assert made.status_code == 200 and 'data-testid="new-code"' in made.text
    assert "late registration" in text_of(made.text)
    codes = await organizer.list_codes(app_db, app_db.info["edition_id"])
    assert [(c.late, c.categories, c.max_uses) for c in codes] == [(True, [], 1)]
