"""Rate limits on the forms that sign in or send mail (ascc.security.RATE_LIMITED_PATHS).

Sign-in (tests/accounts/test_routes.py test_sign_in_is_rate_limited) and sharing the count between workers
through Redis (tests/accounts/test_rate_limit_redis.py) are tested already; here the other limited forms,
the answer people see after the limit, and that everything else keeps working.
"""

from __future__ import annotations

from tests.security.conftest import Demo, app_client
from tests.support.web import post_form

LIMIT = 2


async def test_sign_up_password_reset_and_resend_are_limited_per_minute(demo: Demo) -> None:
    forms = {
        "/signup": {"email": "someone@example.org", "password": "x"},
        "/password/forgot": {"email": "nobody@example.org"},
        "/verify/resend": {"email": "nobody@example.org"},
    }
    for path, form in forms.items():
        async with app_client(demo.settings(auth_rate_limit_per_minute=LIMIT)) as client:
            codes = [(await post_form(client, path, form)).status_code for _ in range(LIMIT + 2)]
            refused = await post_form(client, path, form)
            assert codes[:LIMIT] != [429] * LIMIT and codes[LIMIT:] == [429, 429], (path, codes)
            assert "retry-after" in {name.lower() for name in refused.headers}, path
            assert "Traceback" not in refused.text and refused.text.strip(), path
            # Pages and other posts of the same address are not limited.
            assert (await client.get(path)).status_code == 200, path
            assert (await client.get("/agenda")).status_code == 200
            assert (await post_form(client, "/logout", {}, follow_redirects=False)).status_code == 303


async def test_the_limit_answers_with_a_page_that_says_when_to_come_back(demo: Demo) -> None:
    """Regression: the error handler used to drop the limiter's headers, so a 429 had no Retry-After.
    (/api/v1/auth/token in RATE_LIMITED_PATHS names no route: the API has no sign-in of its own.)"""
    async with app_client(demo.settings(auth_rate_limit_per_minute=1)) as client:
        await post_form(client, "/login", {"email": "x@example.org", "password": "wrong-pass"})
        page = await post_form(client, "/login", {"email": "x@example.org", "password": "wrong-pass"})
        assert page.status_code == 429
        assert page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text.lower()
        assert page.headers["retry-after"].isdigit() and int(page.headers["retry-after"]) <= 60
        assert page.headers["ratelimit-limit"] == "1"
