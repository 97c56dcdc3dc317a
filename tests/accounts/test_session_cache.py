"""A browser session's person is kept for a moment between pages (issue #26: the lookup was a third of a small
page's database time), yet signing out, a closed account or a new name counts on the very next page, and a
sign-out made by another worker within the cache's lifetime."""

from __future__ import annotations

import time

from sqlalchemy import update

from ascc import write_watch
from ascc.accounts import auth
from ascc.accounts.models import User
from tests.factories import PASSWORD, make_user
from tests.support.web import post_form, sign_in


async def _me(client, cookies: dict[str, str]) -> tuple[int, str]:
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    response = await client.get("/api/v1/me")
    return response.status_code, response.json().get("name_latin", "") if response.status_code == 200 else ""


async def _signed_in(client, app_session, email: str, name: str, **extra: str) -> tuple[int, dict[str, str]]:
    user = await make_user(app_session, email, name=name, **extra)
    await app_session.commit()
    await sign_in(client, email, PASSWORD)
    return user.id, dict(client.cookies)


async def test_signing_out_refuses_a_copy_of_the_cookie_on_the_next_page(client, app_session) -> None:
    _, phone = await _signed_in(client, app_session, "gate@example.org", "Somchai Jaidee")
    for _ in range(3):  # the first page looks the person up, the next are answered from memory
        assert await _me(client, phone) == (200, "Somchai Jaidee")
    assert (await post_form(client, "/logout", {})).status_code in (200, 303)
    assert (await _me(client, phone))[0] == 401


async def test_a_new_name_or_a_closed_account_counts_on_the_next_page(client, app_session) -> None:
    user_id, phone = await _signed_in(client, app_session, "delegate@example.org", "Nguyễn Văn An")
    for _ in range(2):
        assert await _me(client, phone) == (200, "Nguyễn Văn An")
    await app_session.execute(update(User).where(User.id == user_id).values(name_latin="Đặng Thu Hà"))
    await app_session.commit()
    assert await _me(client, phone) == (200, "Đặng Thu Hà")
    await app_session.execute(update(User).where(User.id == user_id).values(is_active=False))
    await app_session.commit()
    assert (await _me(client, phone))[0] == 401


async def test_another_workers_sign_out_counts_within_the_cache_lifetime(
    client, app_session, monkeypatch
) -> None:
    """A write this process does not see (another worker's) is noticed when the kept answer expires."""
    monkeypatch.setattr(auth._sessions, "ttl", 60.0)  # however slow this machine is today
    user_id, phone = await _signed_in(
        client, app_session, "phone@example.org", "Chaiyaporn Srisuk", name_local="ชัยพร ศรีสุข"
    )
    for _ in range(2):
        assert (await _me(client, phone))[0] == 200
    # As if from another process: the write bypasses this process's ORM, so nothing here is told.
    async with app_session.bind.connect() as connection:
        await connection.exec_driver_sql(
            f"UPDATE user_account SET sessions_ended_at = '2099-01-01 00:00:00' WHERE id = {int(user_id)}"
        )
        await connection.commit()
    assert (await _me(client, phone))[0] == 200  # kept for at most the cache's lifetime
    later = time.monotonic() + 61
    monkeypatch.setattr(write_watch.time, "monotonic", lambda: later)
    assert (await _me(client, phone))[0] == 401
