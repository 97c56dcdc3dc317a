"""Helpers for driving pages as a browser would: CSRF tokens from the cookie, signing in."""

from __future__ import annotations

import re
from typing import Any

CSRF_COOKIE = "ascc_csrf"


async def csrf_token(client: Any) -> str:
    token = client.cookies.get(CSRF_COOKIE)
    if not token:
        await client.get("/login")
        token = client.cookies.get(CSRF_COOKIE)
    return token


async def post_form(client: Any, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST a form the way our pages do, with the CSRF token field."""
    token = await csrf_token(client)
    return await client.post(url, data={**data, "_csrf_token": token}, **kwargs)


async def sign_in(client: Any, email: str, password: str) -> Any:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code in (200, 303), response.text[:500]
    return response


def text_of(html: str) -> str:
    """Visible text, roughly: tags removed and white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def link_in(body: str, path_prefix: str) -> str:
    match = re.search(r"https?://[^\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, f"no link to {path_prefix} in {body!r}"
    return match.group(1)


async def submit(client: Any, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST a form and return the answer itself (a 303 stays a 303: the redirect is not followed)."""
    return await post_form(client, url, data, follow_redirects=False, **kwargs)
