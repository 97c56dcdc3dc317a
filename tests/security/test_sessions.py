"""Session cookies: fixation, signing out, and what a planted or copied cookie is worth.

Sessions are Litestar's encrypted client-side cookies (README, "Departures"), each with an id of its own:
signing out records that id, so the cookie and every copy of it is refused while the account's other devices
stay signed in; "sign out everywhere" ends them all. A password reset ending older sessions is tested in
tests/accounts/test_services.py (test_password_reset_changes_password_and_ends_older_sessions); here it is
checked over HTTP with a cookie kept from before the reset.
"""

from __future__ import annotations

import base64

from ascc.mail import services as mail
from tests.security.conftest import Demo, app_client, csrf_header, database, signed_in
from tests.support.web import link_in, post_form

SESSION_COOKIE = "ascc_session"


async def test_signing_in_replaces_a_planted_session_cookie(demo: Demo) -> None:
    """An attacker plants their own valid session cookie in the victim's browser; after the victim signs in
    the browser holds a new cookie, and the planted value still means the attacker, never the victim."""
    async with app_client(demo.settings()) as attacker:
        await signed_in(attacker, demo, "online")
        planted = attacker.cookies.get(SESSION_COOKIE)
    async with app_client(demo.settings()) as victim:
        victim.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
        await signed_in(victim, demo, "delegate")
        after = victim.cookies.get(SESSION_COOKIE)
        assert after and after != planted
        assert (await victim.get("/account")).text.count(demo.emails["delegate"]) >= 1
    async with app_client(demo.settings()) as replay:
        replay.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
        page = (await replay.get("/account")).text
    assert demo.emails["delegate"] not in page and demo.emails["online"] in page


async def test_a_tampered_cookie_is_an_anonymous_visitor(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "organizer")
        value = client.cookies.get(SESSION_COOKIE)
        client.cookies.set(
            SESSION_COOKIE, value[:-6] + ("AAAAAA" if not value.endswith("AAAAAA") else "BBBBBB")
        )
        response = await client.get("/organizer", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/organizer")


async def test_a_cookie_with_a_damaged_expiry_is_an_anonymous_visitor(demo: Demo) -> None:
    """The expiry travels beside the sealed session, readable; a cookie whose expiry no longer parses (a tampered
    tail, as above, in one case in ten) is no session either: never a 500."""
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "organizer")
        sealed = base64.b64decode(client.cookies.get(SESSION_COOKIE))
        aad = sealed.find(b"additional_authenticated_data=")
        assert aad > 0
        for damaged in (b'{"expires_at":17', b"\x00\x00", b"[]", b'{"expires_at":"soon"}'):
            value = base64.b64encode(sealed[:aad] + b"additional_authenticated_data=" + damaged).decode()
            client.cookies.set(SESSION_COOKIE, value)
            response = await client.get("/organizer", follow_redirects=False)
            assert (response.status_code, response.headers.get("location")) == (303, "/login?next=/organizer")


async def test_a_cookie_from_before_a_password_change_no_longer_signs_in(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        old = client.cookies.get(SESSION_COOKIE)
    async with app_client(demo.settings()) as owner:
        await post_form(owner, "/password/forgot", {"email": demo.emails["delegate"]})
        async with database(demo) as session:
            [message] = await mail.messages_to(session, demo.emails["delegate"])
        reset = await post_form(
            owner, link_in(message.body_text, "/password/reset/"), {"password": "a brand new password"}
        )
        assert reset.status_code == 200
    async with app_client(demo.settings()) as thief:
        thief.cookies.set(SESSION_COOKIE, old, domain="testserver.local")
        response = await thief.get("/account", follow_redirects=False)
    assert response.status_code == 303


async def test_a_copied_cookie_stops_working_after_sign_out(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "checkin")
        copied = client.cookies.get(SESSION_COOKIE)
        await post_form(client, "/logout", {}, follow_redirects=False)
        assert (await client.get("/account", follow_redirects=False)).status_code == 303
    async with app_client(demo.settings()) as other:
        other.cookies.set(SESSION_COOKIE, copied, domain="testserver.local")
        response = await other.get("/account", follow_redirects=False)
    assert response.status_code == 303


async def test_signing_out_ends_the_session_in_that_browser(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "exhibitor")
        await post_form(client, "/logout", {}, follow_redirects=False)
        response = await client.get("/exhibitor/leads", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/exhibitor/leads")


async def test_signing_out_one_phone_leaves_the_other_phone_of_the_account_signed_in(demo: Demo) -> None:
    """Two check-in phones share one account; one signs out. The other's next scan is answered as a scan (not
    refused as signed out), and a copy of the signed-out phone's cookie is still refused."""
    async with app_client(demo.settings()) as phone_a, app_client(demo.settings()) as phone_b:
        await signed_in(phone_a, demo, "checkin")
        await signed_in(phone_b, demo, "checkin")
        copied = phone_a.cookies.get(SESSION_COOKIE)
        await post_form(phone_a, "/logout", {}, follow_redirects=False)
        scan = await phone_b.post(
            "/api/v1/checkin",
            json={"code": demo.ids["badge_codes"]["delegate"], "place_type": "entrance"},
            headers=csrf_header(phone_b),
        )
        page_b = await phone_b.get("/checkin", follow_redirects=False)
        page_a = await phone_a.get("/checkin", follow_redirects=False)
    async with app_client(demo.settings()) as thief:
        thief.cookies.set(SESSION_COOKIE, copied, domain="testserver.local")
        stolen = await thief.get("/checkin", follow_redirects=False)
    assert (scan.status_code, scan.json()["registration"]["badge_code"]) == (
        200,
        demo.ids["badge_codes"]["delegate"],
    )
    assert [page_b.status_code, page_a.status_code, stolen.status_code] == [200, 303, 303]


async def test_signing_out_everywhere_ends_every_device_and_every_copy(demo: Demo) -> None:
    async with app_client(demo.settings()) as laptop, app_client(demo.settings()) as phone:
        await signed_in(laptop, demo, "organizer")
        await signed_in(phone, demo, "organizer")
        copied = phone.cookies.get(SESSION_COOKIE)
        account = await laptop.get("/account")
        ended = await post_form(laptop, "/logout/everywhere", {}, follow_redirects=False)
        after = [
            (await client.get("/organizer", follow_redirects=False)).status_code for client in (laptop, phone)
        ]
    async with app_client(demo.settings()) as thief:
        thief.cookies.set(SESSION_COOKIE, copied, domain="testserver.local")
        stolen = await thief.get("/organizer", follow_redirects=False)
    async with app_client(demo.settings()) as later:
        await signed_in(later, demo, "organizer")
        again = await later.get("/organizer", follow_redirects=False)
    assert 'action="/logout/everywhere"' in account.text
    assert (ended.status_code, after, stolen.status_code, again.status_code) == (303, [303, 303], 303, 200)
