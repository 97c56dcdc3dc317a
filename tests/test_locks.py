"""The locking primitives of docs/concurrency.md on real databases: the writer queue, the retry of deadlocks,
and the backstop that answers an unforeseen conflict with 409 instead of 500."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ascc import errors, locks
from tests.factories import make_user


async def test_the_writer_queue_serves_in_arrival_order_with_check_in_first_but_never_starving_others() -> (
    None
):
    hand_over = locks._HandOver()
    served: list[str] = []
    await hand_over.acquire(urgent=False)  # someone writes; everybody else queues

    async def wait(name: str, urgent: bool) -> None:
        await hand_over.acquire(urgent)
        served.append(name)
        await asyncio.sleep(0)
        hand_over.release()

    tasks = [asyncio.ensure_future(wait(n, n.startswith("door"))) for n in ("save1", "save2")]
    await asyncio.sleep(0)
    tasks += [asyncio.ensure_future(wait(f"door{n}", True)) for n in range(4)]
    await asyncio.sleep(0)
    hand_over.release()
    await asyncio.gather(*tasks)
    assert served == ["door0", "door1", "save1", "door2", "door3", "save2"]
    assert not hand_over.held


async def test_a_waiter_that_gives_up_passes_its_turn_on() -> None:
    hand_over = locks._HandOver()
    await hand_over.acquire(urgent=False)
    impatient = asyncio.ensure_future(asyncio.wait_for(hand_over.acquire(False), 0.01))
    patient = asyncio.ensure_future(hand_over.acquire(False))
    with pytest.raises(TimeoutError):
        await impatient
    hand_over.release()
    await asyncio.wait_for(patient, 1)
    assert hand_over.held


@pytest.fixture
async def sqlite_maker(sqlite_url: str):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from ascc import db

    engine = db.create_engine(sqlite_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_sqlite_writes_of_two_sessions_take_turns_and_reads_never_wait(sqlite_maker) -> None:
    async with sqlite_maker() as first, sqlite_maker() as second, sqlite_maker() as reader:
        await make_user(first, "a@example.org")
        await first.execute(
            text("update user_account set name_latin = 'A' where email_key = 'a@example.org'")
        )
        waiting = asyncio.ensure_future(
            second.execute(text("update user_account set name_latin = 'B' where email_key = 'a@example.org'"))
        )
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the second writer waits for its turn, in the queue
        assert await reader.scalar(text("select count(*) from user_account")) == 1  # a read does not wait
        await first.commit()
        await asyncio.wait_for(waiting, 5)
        await second.commit()
        assert await reader.scalar(text("select name_latin from user_account")) == "B"


async def test_a_request_writing_through_two_connections_is_refused_instead_of_hanging(sqlite_maker) -> None:
    async with sqlite_maker() as first, sqlite_maker() as second:
        await make_user(first, "a@example.org")
        await first.execute(text("update user_account set name_latin = 'A'"))
        with pytest.raises(RuntimeError, match="second connection"):
            await second.execute(text("update user_account set name_latin = 'B'"))
        await first.rollback()


@pytest.mark.postgres
async def test_a_postgres_deadlock_victim_runs_again_and_both_finish(postgres_url) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from ascc import db

    engine = db.create_engine(postgres_url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as setup:
        a = await make_user(setup, "a@example.org")
        b = await make_user(setup, "b@example.org")
    attempts: list[str] = []
    both_hold_one = asyncio.Barrier(2)

    async def transfer(name: str, first: int, second: int) -> None:
        async with maker() as session:

            async def work() -> None:
                attempts.append(name)
                await session.execute(
                    text("update user_account set name_latin = :n where id = :i"), {"n": name, "i": first}
                )
                if len(attempts) <= 2:
                    await both_hold_one.wait()  # the first round: each holds one row and wants the other's
                await session.execute(
                    text("update user_account set name_latin = :n where id = :i"), {"n": name, "i": second}
                )

            await locks.retrying(session, work)
            await session.commit()

    await asyncio.wait_for(asyncio.gather(transfer("x", a.id, b.id), transfer("y", b.id, a.id)), 30)
    await engine.dispose()
    assert len(attempts) == 3  # one of the two was the deadlock's victim and ran once more


async def test_an_unforeseen_unique_violation_is_a_conflict_not_a_bug(session) -> None:
    from ascc.accounts.models import User

    await make_user(session, "same@example.org")
    session.add(
        User(
            email="same@example.org",
            email_key="same@example.org",
            password_hash="x",
            name_latin="Twin",
            role="delegate",
            preferred_lang="en",
            is_active=True,
        )
    )
    with pytest.raises(IntegrityError) as raised:
        await session.flush()
    assert errors.conflict(raised.value)
    assert errors.conflict(StaleDataError("meeting changed meanwhile"))
    assert not errors.conflict(ValueError("a bug"))
