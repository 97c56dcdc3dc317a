"""An API token's owner is kept for a moment between calls (issue #26: a check-in phone sends hundreds of scans
a minute), yet a revoked token, a deactivated account or a changed role counts on the very next call."""

from __future__ import annotations

import time

from sqlalchemy import update

from ascc import write_watch
from ascc.accounts import auth
from ascc.accounts import services as accounts
from ascc.accounts.models import User
from tests.factories import make_user


async def _me(client, raw: str) -> tuple[int, str]:
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    return response.status_code, response.json().get("name_latin", "") if response.status_code == 200 else ""


async def test_a_revoked_token_is_refused_on_the_next_call(client, app_session) -> None:
    user = await make_user(app_session, "scanner@example.org", role="checkin", name="Somchai Jaidee")
    raw, token = await accounts.create_api_token(app_session, user.id, "door phone 🚪")
    await app_session.commit()
    for _ in range(3):  # the first call looks it up (and notes its use), the next are answered from memory
        assert await _me(client, raw) == (200, "Somchai Jaidee")
    await accounts.revoke_api_token(app_session, user.id, token.id)
    await app_session.commit()
    assert (await _me(client, raw))[0] == 401


async def test_a_changed_name_role_or_closed_account_counts_on_the_next_call(client, app_session) -> None:
    user = await make_user(app_session, "gate@example.org", role="checkin", name="Nguyễn Văn An")
    raw, _ = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    body = {"code": "ABCD-EFGH", "place_type": "entrance", "device_id": "gate-1"}
    headers = {"Authorization": f"Bearer {raw}"}
    for _ in range(2):
        assert await _me(client, raw) == (200, "Nguyễn Văn An")
    await app_session.execute(update(User).where(User.id == user.id).values(name_latin="Đặng Thu Hà"))
    await app_session.commit()
    assert await _me(client, raw) == (200, "Đặng Thu Hà")
    assert (await client.post("/api/v1/checkin", json=body, headers=headers)).status_code in (200, 404)
    await app_session.execute(update(User).where(User.id == user.id).values(role="delegate"))
    await app_session.commit()
    assert (await client.post("/api/v1/checkin", json=body, headers=headers)).status_code == 403
    await app_session.execute(update(User).where(User.id == user.id).values(is_active=False))
    await app_session.commit()
    assert (await _me(client, raw))[0] == 401


async def test_another_workers_revocation_counts_within_the_cache_lifetime(
    client, app_session, monkeypatch
) -> None:
    """A write this process does not see (another worker's) is noticed when the kept answer expires."""
    monkeypatch.setattr(auth._tokens, "ttl", 60.0)  # however slow this machine is today
    user = await make_user(app_session, "phone@example.org", role="checkin")
    raw, token = await accounts.create_api_token(app_session, user.id)
    await app_session.commit()
    for _ in range(2):
        assert (await _me(client, raw))[0] == 200
    # As if from another process: the write bypasses this process's ORM, so nothing here is told.
    async with app_session.bind.connect() as connection:
        await connection.exec_driver_sql(
            f"UPDATE api_token SET revoked_at = created_at WHERE id = {int(token.id)}"
        )
        await connection.commit()
    assert (await _me(client, raw))[0] == 200  # kept for at most the cache's lifetime
    later = time.monotonic() + 61
    monkeypatch.setattr(write_watch.time, "monotonic", lambda: later)
    assert (await _me(client, raw))[0] == 401
