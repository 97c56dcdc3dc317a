"""CSRF: a forged form or API call riding on the session cookie changes nothing.

Already covered elsewhere: a sign-in form without a token (tests/accounts/test_routes.py
test_form_without_csrf_token_is_refused), a Bearer API call needing none (test_api_with_bearer_token_needs_no_csrf),
an anonymous API write getting 401 rather than a CSRF error (tests/site/test_routes.py).
"""

from __future__ import annotations

from tests.security.conftest import Demo, app_client, csrf_header, rows, signed_in
from tests.support.web import CSRF_COOKIE, post_form

BLOCK = {"day": "2023-11-13", "starts": "09:00", "ends": "09:30", "note": "forged"}


async def _blocks(demo: Demo) -> list[tuple]:
    return await rows(
        demo, "select count(*) from matching_block where user_id = :u", u=demo.ids["users"]["delegate"]
    )


async def test_a_signed_in_form_post_without_or_with_a_wrong_token_is_refused(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        before = await _blocks(demo)
        missing = await client.post("/matching/blocks", data=BLOCK, follow_redirects=False)
        wrong = await client.post(
            "/matching/blocks", data={**BLOCK, "_csrf_token": "forged-token"}, follow_redirects=False
        )
        wrong_header = await client.post(
            "/matching/blocks", data=BLOCK, headers={"x-csrftoken": "forged-token"}, follow_redirects=False
        )
        assert (missing.status_code, wrong.status_code, wrong_header.status_code) == (403, 403, 403)
        assert "The form had expired" in missing.text
        assert await _blocks(demo) == before
        allowed = await post_form(client, "/matching/blocks", BLOCK, follow_redirects=False)
        assert allowed.status_code == 303
        assert await _blocks(demo) == [(before[0][0] + 1,)]


async def test_a_token_from_another_browser_does_not_pass(demo: Demo) -> None:
    """Tokens are tied to their own cookie (double submit, signed): an attacker's valid token is useless."""
    async with app_client(demo.settings()) as attacker:
        await attacker.get("/login")
        their_token = attacker.cookies.get(CSRF_COOKIE)
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        before = await _blocks(demo)
        response = await client.post(
            "/matching/blocks", data={**BLOCK, "_csrf_token": their_token}, follow_redirects=False
        )
    assert response.status_code == 403
    assert await _blocks(demo) == before


async def test_a_cookie_authenticated_api_call_needs_the_token_too(demo: Demo) -> None:
    """The API's exemption is for Bearer calls only: with the session cookie, /api/v1 checks CSRF."""
    feed = "select token from calendar_feed where user_id = :u"
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        before = await rows(demo, feed, u=demo.ids["users"]["delegate"])
        forged = await client.post("/api/v1/me/calendar-feed/rotate")
        forged_delete = await client.delete("/api/v1/me/calendar-feed")
        assert (forged.status_code, forged_delete.status_code) == (403, 403)
        assert await rows(demo, feed, u=demo.ids["users"]["delegate"]) == before
        reading = await client.get("/api/v1/me")  # safe methods need no token
        assert reading.status_code == 200 and reading.json()["email"] == demo.emails["delegate"]
        ours = await client.post("/api/v1/me/calendar-feed/rotate", headers=csrf_header(client))
        assert ours.status_code == 200
        assert await rows(demo, feed, u=demo.ids["users"]["delegate"]) != before


async def test_a_bearer_header_with_a_bad_token_does_not_fall_back_to_the_cookie(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        response = await client.post(
            "/api/v1/me/calendar-feed/rotate", headers={"Authorization": "Bearer nope"}
        )
    assert response.status_code == 401


def _cookie_attributes(set_cookies: list[str], name: str) -> set[str]:
    [header] = [value for value in set_cookies if value.startswith(f"{name}=")]
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]} | {
        part.strip().lower() for part in header.split(";")[1:] if part.strip().lower().startswith("samesite")
    }


async def test_cookies_are_lax_http_only_and_secure_on_https(demo: Demo) -> None:
    for base_url, secure in (("http://testserver.local", False), ("https://testserver.local", True)):
        settings = demo.settings(base_url=base_url, secret_key="a-real-secret-" + "x" * 40)
        async with app_client(settings, base_url=base_url) as client:
            csrf = (await client.get("/login")).headers.get_list("set-cookie")
            signed = await post_form(
                client,
                "/login",
                {"email": demo.emails["delegate"], "password": "ascc-demo"},
                follow_redirects=False,
            )
        session = _cookie_attributes(signed.headers.get_list("set-cookie"), "ascc_session")
        token = _cookie_attributes(csrf, CSRF_COOKIE)
        assert {"httponly", "samesite=lax"} <= session, session
        assert "samesite=lax" in token, token
        assert ("secure" in session, "secure" in token) == (secure, secure), base_url
