"""Browser sessions: signing out ends this device's session only; "sign out everywhere" ends them all.

Sessions are Litestar's encrypted client-side cookies, which the server cannot take back. Each sign-in puts a
random session id in the cookie; signing out records that id, and a cookie carrying a recorded id is refused,
so a copy of it is worthless while the account's other devices (two check-in phones on one account) go on.
Signing out everywhere sets `user_account.sessions_ended_at`: every session begun before it is refused.
Recorded ids are kept for LIFETIME, the longest a session is accepted at all, then deleted.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc.accounts.models import EndedSession, User
from ascc.db import insert_ignoring_duplicates

LIFETIME = timedelta(days=30)  # from sign-in, however active: the cookie itself slides (14 days idle)


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def _now() -> datetime:
    # The real time, not the clock of ASCC_NOW: session cookies record time.time() at sign-in.
    return datetime.fromtimestamp(time.time(), UTC)


async def session_user(
    session: AsyncSession, user_id: int, signed_in_at: float | None, session_id: str | None = None
) -> User | None:
    """The user behind a browser session, unless the account was closed, the session is too old or was signed
    out, or since it began the password changed or its owner signed out everywhere."""
    query = select(User).where(User.id == user_id).options(joinedload(User.organization))
    if session_id is not None:
        query = query.where(~exists().where(EndedSession.session_id == session_id))
    user = await session.scalar(query)
    if user is None or not user.is_active:
        return None
    if signed_in_at is None or not within_lifetime(signed_in_at):
        return None
    for ended in (user.password_changed_at, user.sessions_ended_at):
        if ended and ended.timestamp() >= signed_in_at:
            return None
    return user


def within_lifetime(signed_in_at: float | None) -> bool:
    return signed_in_at is not None and signed_in_at >= time.time() - LIFETIME.total_seconds()


async def end_session(session: AsyncSession, user_id: int, session_id: str | None) -> None:
    """Sign out on this device: this session's cookie, and every copy of it, stops working; others go on."""
    if session_id is None:  # a cookie from before sessions had ids cannot be told apart: end them all
        await end_all_sessions(session, user_id)
        return
    now = _now()
    await session.execute(
        insert_ignoring_duplicates(session, EndedSession)
        .values(session_id=session_id, user_id=user_id, ended_at=now, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    # Past LIFETIME the cookie is refused by its age alone: its record is no longer needed.
    await session.execute(delete(EndedSession).where(EndedSession.ended_at < now - LIFETIME))


async def end_all_sessions(session: AsyncSession, user_id: int) -> None:
    """Sign out everywhere: every session of this person begun until now stops working, on every device."""
    await session.execute(update(User).where(User.id == user_id).values(sessions_ended_at=_now()))
