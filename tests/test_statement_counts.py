"""The SQL statements of each main page and API operation do not grow with the programme (issue #26).

The seeded demo (31 sessions) is measured, then a copy of it with 500 more published sessions: every page and
operation a visitor, a delegate, check-in staff or an API client waits on must send no more statements at 531
sessions than at 31. Statements are counted on the app's own engine, for the request alone (not the background
loops); the caches' lifetimes are stretched so that a slow run counts the same as a fast one. No timings.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import auth
from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.app import create_app
from ascc.badges import services as badges
from ascc.config import Settings
from ascc.editions import services as editions
from ascc.exhibitors import directory
from ascc.programme import releases
from ascc.programme import services as programme
from ascc.programme.models import ProgrammeSession, SessionPerson, Speaker
from tests.support.api_demo import seeded_demo
from tests.support.web import post_form, sign_in

DEMO_NOW = "2023-11-14T10:00+09:00"  # the second morning: seats can be taken, badges are valid
PASSWORD = "statement counts"
MORE_SESSIONS = 500

_counting: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counting", default=None)


async def _add_sessions(url: str, count: int) -> None:
    """`count` published sessions over the edition's days and rooms, inserted in bulk, then one release."""
    engine = db.create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            edition = await editions.current(session)
            assert edition is not None
            rooms = [r.id for r in await editions.list_rooms(session, edition.id)]
            speakers = list(await session.scalars(select(Speaker.id).where(Speaker.edition_id == edition.id)))
            rng = random.Random(26)
            first = datetime(
                edition.starts_on.year, edition.starts_on.month, edition.starts_on.day, tzinfo=UTC
            )
            rows = []
            for n in range(count):
                starts = first + timedelta(days=n % 3, minutes=30 * (n % 18))
                rows.append(
                    {
                        "edition_id": edition.id,
                        "title_en": f"Generated session {n}",
                        "title_ja": f"生成セッション{n}",
                        "abstract_en": "Smart water and energy for cities. " * 4,
                        "abstract_ja": "都市の水とエネルギー。" * 4,
                        "kind": "seminar",
                        "starts_at": starts,
                        "ends_at": starts + timedelta(minutes=45),
                        "room_id": rooms[n % len(rooms)],
                        "sdgs": [str(1 + n % 17)],
                        "sectors": [],
                        "interpretation": ["ja"] if n % 2 else [],
                        "format": ("in_person", "online", "hybrid")[n % 3],
                        "capacity": 40 if n % 10 == 0 else None,
                        "status": "published",
                    }
                )
            ids = list(await session.scalars(insert(ProgrammeSession).returning(ProgrammeSession.id), rows))
            await session.execute(
                insert(SessionPerson),
                [{"session_id": i, "speaker_id": rng.choice(speakers), "role": "speaker"} for i in ids],
            )
            await releases.publish(session, edition, None, "more sessions", "http://testserver.local")
            await session.commit()
    finally:
        await engine.dispose()


async def _prepare(url: str) -> dict[str, Any]:
    """Passwords for the delegate and check-in staff, a seat and two clashing saves, badge codes, tokens."""
    engine = db.create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            edition = await editions.current(session)
            assert edition is not None
            people = {
                u.email: u
                for u in await session.scalars(
                    select(User).where(User.email.in_(["delegate@example.org", "checkin@example.org"]))
                )
            }
            for person in people.values():
                person.password_hash = accounts.hash_password(PASSWORD)
            delegate = people["delegate@example.org"]
            current = await programme.published(session, edition)
            assert current.schedule is not None
            now = datetime.fromisoformat(DEMO_NOW)
            items = sorted(current.schedule.by_id.values(), key=lambda i: i.id)  # the demo's own come first
            seated = next(i for i in items if i.signup and i.starts_at > now)
            await programme.sign_up(session, delegate.id, current, seated.id)
            for other in [i for i in items if i.id != seated.id and i.overlaps(seated)][:2]:
                await programme.save(session, delegate.id, current, other.id)
            codes = [(await badges.my_face(session, edition.id, delegate.id)).code]
            tokens = {
                email: (await accounts.create_api_token(session, person.id, "statement counts"))[0]
                for email, person in people.items()
            }
            await session.commit()
            return {"session": seated.id, "codes": codes, "tokens": tokens}
    finally:
        await engine.dispose()


def _operations(prepared: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """(name, who, method, path, JSON body): who is anonymous, delegate (cookie), staff (cookie), or a token."""
    session_id = prepared["session"]
    scan = {"code": prepared["codes"][0], "place_type": "entrance", "device_id": "counts"}
    return [
        ("home", "anonymous", "GET", "/", None),
        ("agenda", "anonymous", "GET", "/agenda?day=2023-11-14", None),
        ("agenda, all days", "anonymous", "GET", "/agenda?day=all", None),
        ("session page", "anonymous", "GET", f"/sessions/{session_id}", None),
        ("speakers", "anonymous", "GET", "/speakers", None),
        ("directory", "anonymous", "GET", "/marketplace?q=water", None),
        ("schedule.json", "anonymous", "GET", "/schedule.json", None),
        ("schedule.xml", "anonymous", "GET", "/schedule.xml", None),
        ("program.ics", "anonymous", "GET", "/calendar/program.ics", None),
        ("API sessions", "anonymous", "GET", "/api/v1/sessions", None),
        ("API one session", "anonymous", "GET", f"/api/v1/sessions/{session_id}", None),
        ("API solutions search", "anonymous", "GET", "/api/v1/solutions?q=sludge", None),
        ("API needs search", "delegate token", "GET", "/api/v1/needs?q=%E6%B4%AA%E6%B0%B4", None),
        ("API my agenda", "delegate token", "GET", "/api/v1/me/agenda", None),
        ("session page, signed in", "delegate", "GET", f"/sessions/{session_id}", None),
        ("agenda, signed in", "delegate", "GET", "/agenda?day=2023-11-14", None),
        ("my agenda", "delegate", "GET", "/my-agenda", None),
        ("my badge", "delegate", "GET", "/badge", None),
        ("matching people", "delegate", "GET", "/matching/people", None),
        ("my meetings", "delegate", "GET", "/matching", None),
        ("check-in page", "staff", "GET", "/checkin", None),
        ("check-in scan", "staff token", "POST", "/api/v1/checkin", scan),
        ("check-in scan again", "staff token", "POST", "/api/v1/checkin", scan),
    ]


async def _count(url: str, prepared: dict[str, Any]) -> dict[str, int]:
    """Statements per operation, each asked twice (the second answer is the usual one: caches are warm)."""
    directory._indexes.clear()  # a fresh worker: the suggestions' index of the other copy is not reused
    app = create_app(
        Settings(database_url=url, auth_rate_limit_per_minute=1000, base_url="http://testserver.local")
    )
    app.state.schedule_cache.ttl = app.state.directory_state.ttl = app.state.visitor_pages.ttl = 3600.0
    engine = app.state.session_maker.kw["bind"].sync_engine

    def count(*args: Any) -> None:
        statements = _counting.get()
        if statements is not None:
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    tokens = {
        "delegate token": prepared["tokens"]["delegate@example.org"],
        "staff token": prepared["tokens"]["checkin@example.org"],
    }
    counts: dict[str, int] = {}
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        jars: dict[str, dict[str, str]] = {"anonymous": {}}
        for who, email in (("delegate", "delegate@example.org"), ("staff", "checkin@example.org")):
            client.cookies.clear()
            await sign_in(client, email, PASSWORD)
            jars[who] = dict(client.cookies)
        for name, who, method, path, body in _operations(prepared):
            client.cookies.clear()
            client.cookies.update(jars.get(who, {}))
            headers = {"authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
            for attempt in ("first", "again"):
                if name.startswith("check-in scan") and attempt == "again":
                    continue  # a second scan is an operation of its own (a duplicate), listed above
                statements: list[str] = []
                token = _counting.set(statements)
                try:
                    response = await client.request(method, path, headers=headers, json=body)
                finally:
                    _counting.reset(token)
                assert response.status_code == 200, (name, response.status_code, response.text[:300])
                counts[f"{name} ({attempt})"] = len(statements)
        # A form post, signed in: saving a session to the agenda and taking it off again.
        client.cookies.clear()
        client.cookies.update(jars["delegate"])
        statements = []
        token = _counting.set(statements)
        try:
            saved = await post_form(client, f"/sessions/{prepared['session']}/save", {"next": "/agenda"})
        finally:
            _counting.reset(token)
        assert saved.status_code in (200, 303)
        counts["save a session"] = len(statements)
    return counts


@pytest.fixture
def programmes(
    demo_template: Any, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """Two copies of the seeded demo: as it is (31 sessions), and with 500 more."""
    monkeypatch.setenv("ASCC_NOW", DEMO_NOW)
    demo = seeded_demo(demo_template)
    small = demo.copy(tmp_path_factory.mktemp("small"))
    large = demo.copy(tmp_path_factory.mktemp("large"))
    asyncio.run(_add_sessions(large, MORE_SESSIONS))
    yield small, large


async def test_no_page_or_operation_sends_more_statements_for_a_bigger_programme(
    programmes: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for kept in (auth._tokens, auth._sessions, editions._kept_current):  # the person's and the edition's
        monkeypatch.setattr(kept, "ttl", 3600.0)
    small, large = programmes
    at_31 = await _count(small, await _prepare(small))
    at_531 = await _count(large, await _prepare(large))
    grown = {name: (at_31[name], at_531[name]) for name in at_31 if at_531[name] > at_31[name]}
    assert not grown, f"statements at 31 and {31 + MORE_SESSIONS} sessions: {grown}"
    # The usual answer of public pages and exports is served from what the release computed: no statement.
    for name in ("agenda", "session page", "speakers", "schedule.json", "program.ics", "API sessions"):
        assert at_531[f"{name} (again)"] == 0, (name, at_531)
    # What a signed-in person or check-in staff waits on sends no more than this (the user's own lookup
    # included): raise a figure only with a reason, lower it when a statement is cut.
    most = {
        "session page, signed in (again)": 3,  # was 7: saved, seat, counts, registration in one statement
        "agenda, signed in (again)": 2,  # was 3: saved sessions and seats in one query
        "my agenda (again)": 4,  # was 8: saved sessions with seats, bookings with waiting places, meetings with names
        "my badge (again)": 2,  # was 6: registration, person and badge in one read; marks are not shown
        "matching people (again)": 3,  # was 6: stamp, settings and registration in one statement
        "my meetings (again)": 5,  # was 13: that statement, then the meetings with the members' in one
        "check-in page (again)": 5,  # was 6: the meeting areas in one statement (their slots unread)
        "check-in scan (first)": 6,
        "check-in scan again (first)": 3,  # was 5: counted already, read with the badge; no insert tried
        "save a session": 4,  # was 5
    }
    over = {name: (at_531[name], limit) for name, limit in most.items() if at_531[name] > limit}
    assert not over, f"more statements than before: {over}"
