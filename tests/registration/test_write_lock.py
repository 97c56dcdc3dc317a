"""How long a registration holds SQLite's one write lock (issue #26): every other registration, check-in scan
and saved session of the process waits while it does, so it reads and checks what needs no lock first.
Counted in statements, never timed. The rules these orderings must keep are raced in test_concurrency.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from ascc.registration import registering
from ascc.registration import services as registration
from tests.registration.conftest import BASE, entry
from tests.registration.test_services import set_capacity


@contextmanager
def statements(session) -> Iterator[list[tuple[bool, str]]]:
    """(inside the write transaction, first word) of each statement sent on the session's engine."""
    seen: list[tuple[bool, str]] = []
    engine = session.bind.sync_engine

    def before(conn, _cursor, statement, *_args) -> None:
        seen.append((conn.connection.dbapi_connection.driver_connection.in_transaction, statement.split()[0]))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_registration_writes_five_statements_under_the_lock_and_reads_first(
    session, edition, person
) -> None:
    await set_capacity(session, edition, in_person=1)
    first, second = await person(), await person()
    await registering.register(session, edition.id, first.id, entry(), BASE)
    await session.commit()

    with statements(session) as seen:  # the second person waits: the place is taken
        created = await registering.register(session, edition.id, second.id, entry(), BASE)
        await session.commit()

    assert created.status == "waiting"
    assert registration.positions_claimed(session)[f"registration:{created.id}"] == 1
    before_lock = [word for locked, word in seen if not locked]
    under_lock = [word for locked, word in seen if locked]
    # Settings, questions, the person and the organization are read before the lock is taken.
    assert before_lock.count("SELECT") >= 4
    assert before_lock[-1] == "BEGIN"
    # Under it: the registration read again, the pool, the quota, the queue; the registration, its place
    # (with the pool's counts) and the mail written once each; no row written twice.
    assert [word for word in under_lock if word != "SELECT"] == ["INSERT", "INSERT", "UPDATE", "INSERT"]
    assert len(under_lock) <= 10
