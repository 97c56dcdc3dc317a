"""Account pages and API as a browser and an API client use them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.mail import services as mail
from tests.factories import PASSWORD, make_user
from tests.support.web import link_in, post_form, sign_in, text_of

SIGNUP = {
    "email": "somchai@example.org",
    "password": "a good long password",
    "name_latin": "Somchai Jaidee",
    "name_local": "สมชาย ใจดี",
    "organization": "Bangkok Metropolitan Administration",
    "country": "TH",
    "preferred_lang": "en",
}


async def test_sign_up_verify_sign_in_and_out(client, app_session) -> None:
    response = await post_form(client, "/signup", SIGNUP)
    assert response.status_code == 200
    assert "somchai@example.org" in text_of(response.text)
    [message] = await mail.messages_to(app_session, "somchai@example.org")
    verify_path = link_in(message.body_text, "/verify/")
    unverified = await post_form(client, "/login", {"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert "Please confirm your e-mail address first" in unverified.text
    verified = await client.get(verify_path)
    assert "Thank you: somchai@example.org is confirmed." in verified.text
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    response = await post_form(
        client,
        "/login",
        {"email": "SOMCHAI@example.org", "password": SIGNUP["password"]},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/account")
    account = await client.get("/account")
    assert "สมชาย ใจดี" in account.text
    await post_form(client, "/logout", {})
    assert (await client.get("/account", follow_redirects=False)).status_code == 303


async def test_sign_up_form_shows_each_error_beside_its_field_and_keeps_input(client, app_session) -> None:
    bad = {**SIGNUP, "email": "a@b", "password": "short", "name_latin": "x" * 10_000}
    response = await post_form(client, "/signup", bad)
    assert response.status_code == 422
    assert 'id="e-email"' in response.text and 'id="e-password"' in response.text
    assert 'id="e-name_latin"' in response.text
    assert "Please use at most 200 characters." in response.text
    assert 'value="สมชาย ใจดี"' in response.text  # what was typed stays
    assert await app_session.scalar(select(func.count()).select_from(User)) == 0


async def test_sign_up_with_taken_address_in_other_case_says_so(client, app_session) -> None:
    await make_user(app_session, "somchai@example.org")
    response = await post_form(client, "/signup", {**SIGNUP, "email": "SomChai@Example.org"})
    assert response.status_code == 422
    assert "An account with this e-mail address already exists" in response.text


async def test_sign_up_page_in_japanese_shows_japanese_errors(client) -> None:
    client.cookies.set("ascc_lang", "ja")
    response = await post_form(client, "/signup", {**SIGNUP, "email": ""})
    assert "必須項目です。" in response.text


async def test_hostile_name_is_shown_escaped(client, app_session, inputs) -> None:
    await make_user(app_session, "hostile@example.org", name='"><img src=x onerror=alert(1)>')
    await sign_in(client, "hostile@example.org", PASSWORD)
    page = (await client.get("/account")).text
    assert "<img src=x" not in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


async def test_wrong_password_and_unknown_address_show_the_same_message(client, app_session) -> None:
    await make_user(app_session, "known@example.org")
    wrong = await post_form(client, "/login", {"email": "known@example.org", "password": "nope-nope-nope"})
    unknown = await post_form(client, "/login", {"email": "ghost@example.org", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or the password is not correct."
    assert message in wrong.text and message in unknown.text


async def test_used_verification_link_explains_and_offers_a_new_one(client, app_session) -> None:
    await post_form(client, "/signup", SIGNUP)
    [message] = await mail.messages_to(app_session, "somchai@example.org")
    path = link_in(message.body_text, "/verify/")
    assert (await client.get(path)).status_code == 200
    again = await client.get(path)
    assert again.status_code == 400
    assert "This link has already been used." in again.text
    assert 'href="/verify/resend"' in again.text


async def test_password_reset_by_mail(client, app_session) -> None:
    await make_user(app_session, "forgetful@example.org")
    response = await post_form(client, "/password/forgot", {"email": "forgetful@example.org"})
    assert "a link to reset its password is on its way" in response.text
    [message] = await mail.messages_to(app_session, "forgetful@example.org")
    path = link_in(message.body_text, "/password/reset/")
    response = await post_form(client, path, {"password": "short"})
    assert response.status_code == 422
    response = await post_form(client, path, {"password": "my new long password"}, follow_redirects=False)
    assert response.headers["location"] == "/login?reset=1"
    await sign_in(client, "forgetful@example.org", "my new long password")
    assert (await client.get("/account")).status_code == 200


async def test_form_without_csrf_token_is_refused(client) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 403
    assert "The form had expired" in response.text


async def test_sign_in_is_rate_limited(make_settings, app_session) -> None:
    from litestar.testing import AsyncTestClient

    from ascc.app import create_app

    async with AsyncTestClient(app=create_app(make_settings(auth_rate_limit_per_minute=3))) as limited:
        codes = [
            (
                await post_form(limited, "/login", {"email": "x@example.org", "password": "wrong-pass"})
            ).status_code
            for _ in range(5)
        ]
    assert codes == [401, 401, 401, 429, 429]


# --- API and roles ---------------------------------------------------------------------------------------------


async def test_api_with_bearer_token_needs_no_csrf(client, app_session) -> None:
    user = await make_user(app_session, "api@example.org", name="Kasun Perera", name_local="කසුන් පෙරේරා")
    raw, _ = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.json()["name_local"] == "කසුන් පෙරේරා"
    updated = await client.post(
        "/api/v1/me",
        headers=headers,
        json={
            "name_latin": "Kasun Perera",
            "organization": "Colombo Municipal Council",
            "country": "LK",
            "preferred_lang": "ja",
        },
    )
    assert updated.status_code == 200
    assert (updated.json()["organization"], updated.json()["preferred_lang"]) == (
        "Colombo Municipal Council",
        "ja",
    )


async def test_api_bad_input_gets_4xx_with_field_and_reason(client, app_session) -> None:
    user = await make_user(app_session, "api@example.org")
    raw, _ = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    response = await client.post(
        "/api/v1/me", headers={"Authorization": f"Bearer {raw}"}, json={"name_latin": "", "country": "XX"}
    )
    assert response.status_code == 422
    body = response.json()
    assert {e["field"] for e in body["extra"]} == {"name_latin", "country"}
    missing = await client.post("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}, json={"country": 5})
    assert missing.status_code == 400


async def test_revoked_or_unknown_token_gets_401(client, app_session) -> None:
    user = await make_user(app_session, "api@example.org")
    raw, token = await accounts.create_api_token(app_session, user.id)
    await accounts.revoke_api_token(app_session, user.id, token.id)
    await app_session.commit()
    for value in (raw, "ascc_made_up", "x" * 5000):
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"


async def test_anonymous_people_are_sent_to_sign_in_and_api_clients_get_401(client) -> None:
    for path in ("/organizer", "/organizer/editions", "/organizer/users", "/organizer/outbox", "/account"):
        response = await client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/login?next={path}")
    assert (await client.get("/api/v1/users")).status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_options_on_a_guarded_controller_is_answered_not_a_500(client, app_session) -> None:
    """Litestar's automatic OPTIONS handler inherits its controller's guards (found by tests/test_api_fuzz.py:
    OPTIONS skipped authentication, so the guard's request.user was a 500)."""
    user = await make_user(app_session, "organizer@example.org", role="organizer")
    raw, _ = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    for path in ("/api/v1/registrations/me", "/api/v1/audit"):
        anonymous = await client.options(path)
        assert (anonymous.status_code, anonymous.json()["error"]) == (401, "not_authenticated"), path
        allowed = await client.options(path, headers={"Authorization": f"Bearer {raw}"})
        assert allowed.status_code == 204, path
        assert "GET" in allowed.headers["allow"], path
    page = await client.options("/organizer/audit", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/organizer/audit")


@pytest.mark.parametrize("role", ["delegate", "online", "exhibitor", "checkin"])
async def test_other_roles_get_403_on_organizer_pages_and_api(client, app_session, role: str) -> None:
    user = await make_user(app_session, f"{role}@example.org", role=role)
    for path in (
        "/organizer",
        "/organizer/editions",
        "/organizer/users",
        "/organizer/organizations",
        "/organizer/outbox",
    ):
        await sign_in(client, f"{role}@example.org", PASSWORD)
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Your account may not open this page." in response.text
    raw, _ = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    response = await client.get("/api/v1/users", headers={"Authorization": f"Bearer {raw}"})
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")


async def test_organizer_lists_accounts_and_changes_a_role(client, app_session) -> None:
    await make_user(app_session, "boss@example.org", role="organizer")
    staff = await make_user(app_session, "staff@example.org", name="Rahim Uddin")
    await sign_in(client, "boss@example.org", PASSWORD)
    listing = await client.get("/organizer/users?q=rahim")
    assert "staff@example.org" in listing.text and "boss@example.org" not in listing.text
    await post_form(client, f"/organizer/users/{staff.id}/role", {"role": "checkin"})
    assert await app_session.scalar(select(User.role).where(User.id == staff.id)) == "checkin"


async def test_account_page_creates_and_revokes_a_token(client, app_session) -> None:
    await make_user(app_session, "me@example.org")
    await sign_in(client, "me@example.org", PASSWORD)
    page = await post_form(client, "/account/tokens", {"name": "My scanner 📱"})
    import re

    raw = re.search(r'data-testid="new-token">([^<]+)<', page.text).group(1)
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})).status_code == 200
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page.text).group(1)
    await post_form(client, f"/account/tokens/{token_id}/revoke", {})
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})).status_code == 401
