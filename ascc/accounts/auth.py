"""Who is asking: the person behind a session cookie or an API token, and signing a person in.

The middleware is wired in app.py; `ascc.security` keeps what every route needs (the current user, guards)
and imports no domain.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from ascc.accounts import services as accounts
from ascc.accounts import sessions, token_cache
from ascc.security import (
    SESSION_ID,
    SESSION_SIGNED_IN_AT,
    SESSION_USER_KEY,
    bearer_token,
    to_current_user,
)

# API tokens and browser sessions as last looked up (ascc.accounts.token_cache): one lookup a second for a
# check-in phone's scans, or for a person going from page to page.
_tokens = token_cache.TokenCache()
_sessions = token_cache.TokenCache()


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets `request.user` from a Bearer token or the session cookie; anonymous requests touch no database.

    For a session cookie the database session opened here is the request's own (advanced-alchemy picks
    it up from the scope), so a signed-in page costs one session, committed or closed with the response.
    """

    def __init__(self, app: ASGIApp, db_config: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.db_config = db_config

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = bearer_token(connection.headers)
        scope_session = connection.scope.get("session")
        session_data: dict[str, Any] = scope_session if isinstance(scope_session, dict) else {}
        if token is not None:
            key = token_cache.TokenCache.key(token)
            kept = _tokens.get(key)
            if kept is not None:
                return AuthenticationResult(user=kept, auth="token")
            seen = token_cache.generation()
            # A short session of its own, closed before the handler runs (one connection per request at a
            # time). Touching last_used_at here also keeps the request's transaction from starting with a
            # write, which on SQLite would hold the database write lock for the whole request.
            async with self.db_config.get_session() as short:
                found = await accounts.api_token(short, token)
                if found is None:
                    raise NotAuthorizedException("invalid or revoked API token")
                current = to_current_user(found.user, via_token=True)
                if accounts.needs_touch(found):
                    await accounts.touch_api_token(short, found.id)
                    await short.commit()
            _tokens.put(key, current, seen)
            return AuthenticationResult(user=current, auth="token")
        user_id = session_data.get(SESSION_USER_KEY)
        if user_id is None:
            return AuthenticationResult(user=None, auth=None)
        signed_in_at, session_id = session_data.get(SESSION_SIGNED_IN_AT), session_data.get(SESSION_ID)
        key = f"{user_id}:{session_id}:{signed_in_at}"
        kept = _sessions.get(key)
        if kept is not None and sessions.within_lifetime(signed_in_at):
            return AuthenticationResult(user=kept, auth="session")
        seen = token_cache.generation()
        db = self.db_config.provide_session(connection.app.state, connection.scope)
        user = await sessions.session_user(db, int(user_id), signed_in_at, session_id)
        if user is None:
            connection.scope["session"] = {}
            return AuthenticationResult(user=None, auth=None)
        current = to_current_user(user)
        _sessions.put(key, current, seen)
        return AuthenticationResult(user=current, auth="session")


def sign_in(request: Any, user: Any) -> None:
    """Start a fresh session for `user` (a new session id, so a planted one is worthless)."""
    request.clear_session()
    request.set_session(
        {SESSION_USER_KEY: user.id, SESSION_SIGNED_IN_AT: time.time(), SESSION_ID: sessions.new_session_id()}
    )
