"""Who is asking, as routes see it: the current user, roles and guards, CSRF, security headers, rate limits.

Finding the user behind a session cookie or an API token is the accounts domain's (`ascc.accounts.auth`):
this module imports no domain, so every domain's routes can use its guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import BeforeMessageSendHookHandler, Guard, Message, Receive, Scope, Send

SESSION_USER_KEY = "uid"
SESSION_SIGNED_IN_AT = "at"
SESSION_ID = "sid"  # this sign-in's own id: signing out on one device ends only this session


@dataclass(frozen=True)
class CurrentUser:
    """What pages and guards need to know about the signed-in person; no database object leaks out."""

    id: int
    email: str
    name_latin: str
    name_local: str | None
    role: str
    preferred_lang: str
    organization_name: str | None
    country: str | None = None
    via_token: bool = False

    @property
    def display_name(self) -> str:
        if self.name_local and self.name_local != self.name_latin:
            return f"{self.name_latin} ({self.name_local})"
        return self.name_latin

    @property
    def is_organizer(self) -> bool:
        return self.role == "organizer"


def to_current_user(user: Any, via_token: bool = False) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        email=user.email,
        name_latin=user.name_latin,
        name_local=user.name_local,
        role=user.role,
        preferred_lang=user.preferred_lang,
        organization_name=user.organization.name_en if user.organization else None,
        country=user.country,
        via_token=via_token,
    )


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def session_id(request: Any) -> str | None:
    """The id of the browser session a request came with (None for an API token, or a cookie from before ids)."""
    if request.scope.get("auth") != "session":
        return None
    data = request.session if isinstance(request.session, dict) else {}
    value = data.get(SESSION_ID)
    return value if isinstance(value, str) else None


def remember_language(request: Any, response: Any, lang: str) -> None:
    response.set_cookie(
        "ascc_lang",
        lang,
        max_age=365 * 24 * 3600,
        samesite="lax",
        httponly=False,
        secure=request.app.state.settings.secure_cookies,
    )


def sign_out(request: Any) -> None:
    request.clear_session()


# Who each guard lets through (None: anyone signed in), so the API's published contract (ascc.api_contract)
# says which operations need a token and which roles get 403.
GUARD_ROLES: dict[Guard, tuple[str, ...] | None] = {}


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, a round trip per request.
async def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.user is None:
        raise NotAuthorizedException("sign in first")


GUARD_ROLES[requires_login] = None


def requires_role(*roles: str) -> Guard:
    """Guard: anonymous people are sent to sign in (401 on the API); other roles get 403."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = connection.user
        if user is None:
            raise NotAuthorizedException("sign in first")
        if user.role not in roles:
            raise PermissionDeniedException("your role may not use this page")

    guard.__name__ = f"requires_{'_or_'.join(roles)}"
    GUARD_ROLES[guard] = roles
    return guard


requires_organizer = requires_role("organizer")


class _ForgivingCookieBackend(ClientSideSessionBackend):
    """A session cookie that cannot be read is no session. Litestar forgives a bad signature or bad base64,
    but not a damaged expiry beside them (a tampered tail of the cookie): that was a 500 for one tampered
    cookie in ten."""

    def load_data(self, data: list[bytes]) -> dict[str, Any]:
        try:
            return super().load_data(data)
        except Exception:  # whatever the damage, the visitor is anonymous
            return {}


class SessionCookieConfig(CookieBackendConfig):
    _backend_class = _ForgivingCookieBackend


class BearerAwareCSRFMiddleware(CSRFMiddleware):
    """CSRF protects cookie sessions; a Bearer request carries no cookie authority, so it is exempt.

    The auth middleware never falls back to the cookie when a Bearer header is present.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._carries_no_cookie_authority(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    @staticmethod
    def _carries_no_cookie_authority(scope: Scope) -> bool:
        """A Bearer request, or an API request without a session cookie: nothing a forged request could use.

        The API then answers such anonymous calls with 401 instead of a confusing CSRF 403.
        """
        headers = dict(scope.get("headers", []))
        if headers.get(b"authorization", b"")[:7].lower() == b"bearer ":
            return True
        return scope["path"].startswith("/api/") and b"ascc_session=" not in headers.get(b"cookie", b"")


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


def security_headers_hook(hsts: bool) -> BeforeMessageSendHookHandler:
    """Adds the security headers to every HTTP response, errors of the router (404, 405) included."""
    headers = list(_HEADERS)
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            existing = {name.lower() for name, _ in message.get("headers", [])}
            message["headers"] = [*message.get("headers", []), *(h for h in headers if h[0] not in existing)]

    return before_send


# Sign-in, sign-up and the mail-sending forms are limited per client address; everything else is not.
RATE_LIMITED_PATHS = frozenset({"/login", "/signup", "/password/forgot", "/verify/resend"})


async def is_rate_limited(request: Any) -> bool:
    # A coroutine: Litestar runs a plain function given here in a worker thread, on every request.
    return request.method == "POST" and request.url.path in RATE_LIMITED_PATHS
