"""Browser sessions on both databases: signing out ends this device's session only, signing out everywhere
ends them all, and a session past its lifetime is refused (which lets old sign-out records go)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from ascc.accounts import sessions
from ascc.accounts.models import EndedSession
from tests.factories import make_user


async def test_signing_out_ends_this_session_and_no_other(session) -> None:
    user = await make_user(session, "gate@example.org")
    began = time.time() - 5
    phone_a, phone_b = sessions.new_session_id(), sessions.new_session_id()
    await sessions.end_session(session, user.id, phone_a)
    await session.commit()
    assert await sessions.session_user(session, user.id, began, phone_a) is None
    assert (await sessions.session_user(session, user.id, began, phone_b)).email == "gate@example.org"


async def test_signing_out_twice_with_one_cookie_records_it_once(session) -> None:
    user = await make_user(session, "gate@example.org")
    phone = sessions.new_session_id()
    await sessions.end_session(session, user.id, phone)
    await sessions.end_session(session, user.id, phone)
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(EndedSession)) == 1


async def test_signing_out_everywhere_ends_every_session_begun_before(session) -> None:
    user = await make_user(session, "gate@example.org")
    began = time.time() - 5
    await sessions.end_all_sessions(session, user.id)
    await session.commit()
    later = time.time() + 1
    assert [
        await sessions.session_user(session, user.id, began, sessions.new_session_id()),
        await sessions.session_user(session, user.id, began, None),
    ] == [None, None]
    assert (await sessions.session_user(session, user.id, later, sessions.new_session_id())).id == user.id


async def test_a_cookie_from_before_session_ids_signing_out_ends_them_all(session) -> None:
    """Without an id this session cannot be told from the others; a copy of it must still stop working."""
    user = await make_user(session, "gate@example.org")
    began = time.time() - 5
    await sessions.end_session(session, user.id, None)
    await session.commit()
    assert await sessions.session_user(session, user.id, began, None) is None


async def test_a_session_past_its_lifetime_is_refused_and_old_records_go(session) -> None:
    user = await make_user(session, "gate@example.org")
    too_old = time.time() - sessions.LIFETIME.total_seconds() - 60
    long_ago = sessions._now() - sessions.LIFETIME - timedelta(days=1)
    session.add(EndedSession(session_id="old-one", user_id=user.id, ended_at=long_ago))
    await session.commit()
    await sessions.end_session(session, user.id, "new-one")
    await session.commit()
    kept = (await session.scalars(select(EndedSession.session_id))).all()
    assert await sessions.session_user(session, user.id, too_old, "another") is None
    assert kept == ["new-one"]
