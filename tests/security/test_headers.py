"""Security headers on every kind of response, no version banners, no tracebacks in error pages.

tests/site/test_routes.py checks CSP, nosniff and Referrer-Policy on five paths; this adds the other kinds
of answer (403, 405, 401 JSON, downloads, a streamed event source), frame protection, HSTS and leaks."""

from __future__ import annotations

from tests.security.app_routes import first_status
from tests.security.conftest import Demo, app_client, signed_in


async def _answers(client, demo: Demo) -> dict[str, object]:
    """One response of each kind the app gives."""
    bearer = demo.bearer("delegate")
    return {
        "html page": await client.get("/agenda"),
        "api json": await client.get("/api/v1/editions"),
        "api 401": await client.get("/api/v1/me"),
        "api 403": await client.get("/api/v1/users", headers=bearer),
        "static file": await client.get("/static/css/app.css"),
        "404 page": await client.get("/no/such/page"),
        "404 api": await client.get("/api/v1/no-such-thing"),
        "405": await client.post("/agenda"),
        "403 page": await client.get("/organizer"),
        "download pdf": await client.get("/api/v1/me/badge.pdf", headers=bearer),
        "download json": await client.get("/account/export.json"),
        "calendar file": await client.get("/calendar/program.ics"),
        "redirect": await client.get("/lang/ja", follow_redirects=False),
        "openapi": await client.get("/schema/openapi.json"),
    }


async def test_every_kind_of_response_carries_the_security_headers(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        answers = await _answers(client, demo)
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        stream_status, _ = await first_status(client.app, "GET", "/now/live", {"cookie": cookie})
    assert stream_status == 200
    for kind, response in answers.items():
        headers = response.headers
        policy = headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, kind
        assert headers.get("x-content-type-options") == "nosniff", kind
        assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", kind
        assert headers.get("x-frame-options") == "DENY", kind
        assert "strict-transport-security" not in headers, kind  # plain http: HSTS would be a lie
        assert "x-powered-by" not in headers, kind
        assert not any(ch.isdigit() for ch in headers.get("server", "")), kind  # no version banner
    assert answers["download pdf"].headers["cache-control"] == "private, no-store"
    assert answers["download json"].headers["content-disposition"].startswith("attachment")


async def test_hsts_is_sent_when_the_platform_is_served_over_https(demo: Demo) -> None:
    production = demo.settings(base_url="https://ascc.example.org", secret_key="a-real-secret-" + "x" * 40)
    async with app_client(production) as client:
        for path in ("/", "/api/v1/editions", "/static/css/app.css", "/no/such/page"):
            hsts = (await client.get(path)).headers.get("strict-transport-security")
            assert hsts == "max-age=31536000; includeSubDomains", path


async def test_error_pages_never_show_a_traceback_or_internals(demo: Demo) -> None:
    async with app_client(demo.settings()) as client:
        await signed_in(client, demo, "delegate")
        answers = [
            await client.get("/no/such/page"),
            await client.get("/organizer"),
            await client.post("/agenda"),
            await client.get("/sessions/99999999999999999999999"),
            await client.get("/api/v1/sessions/not-a-number"),
            await client.post("/api/v1/me", json={"country": 5}, headers=demo.bearer("delegate")),
            await client.get("/marketplace?sector=" + "x" * 5000),
        ]
    for response in answers:
        assert response.status_code < 500, (response.request.url, response.status_code)
        for leak in ("Traceback", 'File "/', "sqlalchemy", "litestar.exceptions", "/work/"):
            assert leak not in response.text, (response.request.url, leak)
