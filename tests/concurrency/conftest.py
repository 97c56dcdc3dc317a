"""The race harness's world: one edition with every rule the API enforces, served by a real uvicorn process.

Built once per database (SQLite, PostgreSQL) for the module, through the services; each race then uses
its own people and objects, so the races do not disturb each other. Requests go over real HTTP with API
tokens, fired at the same moment; the invariants are read back from the database.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy import update as sa_update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.calendar import services as calendar
from ascc.editions import services as editions
from ascc.exhibitors.models import Exhibitor, ExhibitorStaff
from ascc.matching import meeting_requests
from ascc.matching import services as matching
from ascc.matching.models import MatchingSlot
from ascc.online import polls as live_polls
from ascc.online import services as online
from ascc.online.models import LiveQuestion
from ascc.organizations import services as organizations
from ascc.programme import session_editing
from ascc.registration import registering
from ascc.registration import services as registration
from ascc.tours import ballot as tour_ballot
from ascc.tours import booking as tour_booking
from ascc.tours import demo as tour_demo
from ascc.tours import services as tours
from tests.conftest import _pg_admin, _pg_url, _run
from tests.factories import make_token_holders
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.live import live_server

NOW = "2023-11-12T10:00+09:00"  # the day before the conference: everything is still open
TABLES = 20
SLOT_PAIRS = 30  # accepts racing for one slot's TABLES tables
SIGNUP_PLACES = 5
TABLE_PAIRS = 6  # meetings whose two parties are checked in at the same moment
BALLOTS = 4
COURSE = {"departs": "2023-11-13T13:30:00+09:00", "returns": "2023-11-13T16:30:00+09:00"}
LATER = {"departs": "2023-11-15T13:30:00+09:00", "returns": "2023-11-15T16:30:00+09:00"}


def _course(code: str, seats: int, when: dict[str, str] = COURSE) -> dict[str, Any]:
    return {**when, "code": code, "theme_en": f"Course {code}", "theme_ja": f"コース{code}", "seats": seats}


TOURS = {
    "tours": [
        # Two courses at the same time of one first-come tour: one course per tour.
        {
            "code": "F",
            "mode": "fcfs",
            "name_en": "F",
            "name_ja": "F",
            "courses": [_course("F1", 100), _course("F2", 100)],
        },
        # Ballots whose two one-seat courses are taken, the same person heading both waiting lists (several, so
        # that the cancellations of at least one of them meet in the database at the same moment).
        *(
            {
                "code": f"B{n}",
                "mode": "ballot",
                "ballot_deadline": "2023-11-11T17:00:00+09:00",
                "name_en": f"B{n}",
                "name_ja": f"B{n}",
                "courses": [_course(f"B{n}a", 1), _course(f"B{n}b", 1)],
            }
            for n in range(BALLOTS)
        ),
        # A ballot still open for ranking, allocated early by two organizers at once.
        {
            "code": "C",
            "mode": "ballot",
            "ballot_deadline": "2023-11-12T17:00:00+09:00",
            "name_en": "C",
            "name_ja": "C",
            "courses": [_course("C1", 2, LATER), _course("C2", 2, LATER)],
        },
    ]
}


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)  # group -> API tokens
    users: dict[str, list[int]] = field(default_factory=dict)  # group -> user ids
    badges: dict[str, list[str]] = field(default_factory=dict)
    feeds: list[str] = field(default_factory=list)


@dataclass
class Arena:
    backend: str
    database_url: str
    url: str  # the live server
    world: World

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def at_once(self, requests: list[tuple[str, str, str, Any]]) -> list[httpx.Response]:
        """(method, path, token, json body or None), all sent at the same moment."""
        async with httpx.AsyncClient(base_url=self.url, timeout=120) as client:
            start = asyncio.Event()

            async def one(method: str, path: str, token: str, body: Any) -> httpx.Response:
                await start.wait()
                headers = self.bearer(token) if token else {}
                return await client.request(method, path, headers=headers, json=body)

            tasks = [asyncio.ensure_future(one(*r)) for r in requests]
            await asyncio.sleep(0)
            start.set()
            return list(await asyncio.gather(*tasks))

    async def scalar(self, sql: str, **params: Any) -> Any:
        engine = db.create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(text(sql), params)).scalar()
        finally:
            await engine.dispose()

    async def rows(self, sql: str, **params: Any) -> list[tuple]:
        engine = db.create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return [tuple(r) for r in (await connection.execute(text(sql), params)).all()]
        finally:
            await engine.dispose()


async def _register(session: AsyncSession, edition_id: int, user_ids: list[int], **changes: Any) -> None:
    for user_id in user_ids:
        await registering.register(
            session,
            edition_id,
            user_id,
            registering.RegistrationInput(
                mode=changes.get("mode", "in_person"),
                category=changes.get("category", "city_official"),
                organization=changes.get("organization", f"City {user_id}"),
                privacy_accepted=True,
                consent_directory=True,
            ),
            BASE,
            notify=False,
        )


async def _people(session: AsyncSession, world: World, group: str, count: int, **registered: Any) -> None:
    holders = await make_token_holders(session, count, f"{group}-")
    world.users[group] = [u for u, _ in holders]
    world.tokens[group] = [t for _, t in holders]
    if registered.pop("register", True):
        await _register(session, world.ids["edition"], world.users[group], **registered)


async def build_world(database_url: str) -> World:
    db.load_models()
    engine = db.create_engine(database_url)
    world = World()
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            built = await build_programme(session)
            edition = await editions.get_by_id(session, built.edition_id)
            world.ids["edition"] = edition.id
            form = session_editing.form_of(
                await session_editing.get_session(session, edition.id, built.parallel),
                ZoneInfo(edition.timezone),
            )
            form.capacity = str(SIGNUP_PLACES)
            await session_editing.save_session(session, edition, built.parallel, form)
            await publish(session, edition.id)
            world.ids |= {"signup_session": built.parallel, "session": built.water}

            await tour_demo.load_tours(session, edition, TOURS, [])
            by_code = {t.code: t for t in await tours.list_tours(session, edition.id)}
            world.ids |= {
                "f1": by_code["F"].courses[0].id,
                "f2": by_code["F"].courses[1].id,
                "ballots": [[c.id for c in by_code[f"B{n}"].courses] for n in range(BALLOTS)],
                "tour_c": by_code["C"].id,
                "tour_c_courses": [c.id for c in by_code["C"].courses],
            }
            block = await matching.save_session(
                session,
                edition,
                None,
                {
                    "name_en": "Business matching",
                    "name_ja": "ビジネスマッチング",
                    "day": "2023-11-14",
                    "starts": "13:30",
                    "ends": "15:30",
                    "slot_minutes": "25",
                    "break_minutes": "5",
                    "tables": str(TABLES),
                    "online_rooms": "1",
                    "location_en": "Hall B",
                    "location_ja": "ホールB",
                },
            )
            world.ids["slots"] = [s.id for s in block.slots]
            await session.commit()

            organizer = await accounts.create_user(
                session,
                email="organizer@example.org",
                role="organizer",
                password="not used here",
                name_latin="Mika Organizer",
            )
            checkin = await accounts.create_user(
                session, email="door@example.org", role="checkin", password="not used here", name_latin="Door"
            )
            world.tokens["organizer"] = [(await accounts.create_api_token(session, organizer.id))[0]]
            world.tokens["checkin"] = [(await accounts.create_api_token(session, checkin.id))[0]]

            await _people(session, world, "tourists", 30)
            await _people(session, world, "ballot", 4 * BALLOTS)  # per ballot: two seat holders, two waiting
            await _people(session, world, "ranking", 3)
            await _people(session, world, "newcomers", 10, register=False)
            await _people(session, world, "cancellers", 3)
            await _people(session, world, "officials", 5)
            await _people(session, world, "companies", 5, category="company")
            await _people(session, world, "reverse_officials", 5)
            await _people(session, world, "reverse_companies", 5, category="company")
            await _people(session, world, "flooder", 1)
            await _people(session, world, "slot_officials", SLOT_PAIRS)
            await _people(session, world, "slot_companies", SLOT_PAIRS, category="company")
            await _people(session, world, "audience", 12)
            await _people(session, world, "agenda", 30)
            await session.commit()

            # Each ballot: the two seats taken, the same two people first and second on both waiting lists.
            for n, course_ids in enumerate(world.ids["ballots"]):
                courses = [await tours.get_course(session, c) for c in course_ids]
                holder_1, holder_2, first, second = world.users["ballot"][4 * n : 4 * n + 4]
                await tour_booking.take_seat(session, holder_1, courses[0])
                await tour_booking.take_seat(session, holder_2, courses[1])
                for person in (first, second):
                    for course in courses:
                        await tour_booking.take_seat(session, person, course, queue_only=True)
            tour_c = await tours.get_tour(session, world.ids["tour_c"])
            for person in world.users["ranking"]:
                await tour_ballot.set_preferences(session, person, tour_c.id, world.ids["tour_c_courses"])
            # Requests between the slot's pairs, waiting for the companies to accept them into one slot.
            requests = []
            for official, company in zip(
                world.users["slot_officials"], world.users["slot_companies"], strict=True
            ):
                meeting = await matching_request(session, edition, official, company)
                requests.append(meeting)
            world.ids["slot_requests"] = requests
            # Meetings at the tables now (the last slot moved to this moment), both parties about to be scanned.
            await _people(session, world, "table_officials", TABLE_PAIRS)
            await _people(session, world, "table_companies", TABLE_PAIRS, category="company")
            table_slot = world.ids["slots"][-1]
            at_the_tables = []
            for official, company in zip(
                world.users["table_officials"], world.users["table_companies"], strict=True
            ):
                meeting_id = await matching_request(session, edition, official, company)
                await meeting_requests.answer(
                    session, edition, meeting_id, company, "accept", {"slot_id": table_slot}, BASE
                )
                at_the_tables.append(meeting_id)
            now = datetime.fromisoformat(NOW)
            await session.execute(
                sa_update(MatchingSlot)
                .where(MatchingSlot.id == table_slot)
                .values(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=20))
            )
            world.ids |= {"table_meetings": at_the_tables, "tables_session": block.id}
            world.badges["table_pairs"] = [
                [
                    (await registration.my_registration(session, edition.id, u)).badge_code  # type: ignore[union-attr]
                    for u in pair
                ]
                for pair in zip(world.users["table_officials"], world.users["table_companies"], strict=True)
            ]
            # A question everybody may vote on, and a poll.
            viewer = online.Viewer(organizer.id, True, True, True, None, None)
            question = LiveQuestion(
                session_id=built.water,
                user_id=organizer.id,
                author="Mika",
                anonymous=False,
                body="How is water reuse financed?",
                language="en",
                status="approved",
                answer="",
                votes=0,
            )
            session.add(question)
            await session.flush()
            poll = await live_polls.create_poll(
                session, viewer, built.water, {"question_en": "Yes?", "options": ["Yes", "No"]}
            )
            world.ids |= {"question": question.id, "poll": poll.id}
            # An approved exhibitor whose staff member scans badges (the audience opted in to scanning).
            organization = await organizations.find_or_create(session, "Wakato Sludge")
            exhibitor = Exhibitor(
                edition_id=edition.id,
                organization_id=organization.id,
                name_en="Wakato Sludge",
                status="approved",
            )
            session.add(exhibitor)
            await session.flush()
            await _people(session, world, "exhibitor_staff", 1, category="company")
            session.add(
                ExhibitorStaff(
                    edition_id=edition.id,
                    exhibitor_id=exhibitor.id,
                    user_id=world.users["exhibitor_staff"][0],
                    is_admin=True,
                )
            )
            await session.execute(
                sa_update(registration.Registration)
                .where(registration.Registration.user_id.in_(world.users["audience"]))
                .values(consent_scanning=True)
            )
            world.badges["audience"] = [
                (await registration.my_registration(session, edition.id, u)).badge_code  # type: ignore[union-attr]
                for u in world.users["audience"]
            ]
            for person in world.users["agenda"][:10]:
                _, feed = await calendar.rotate(session, person)
                world.feeds.append(feed.token)
            await session.commit()
    finally:
        await engine.dispose()
    return world


async def matching_request(session: AsyncSession, edition: Any, requester: int, recipient: int) -> int:
    from ascc.matching import meeting_requests

    meeting = await meeting_requests.send_request(
        session, edition, requester, {"recipient_id": recipient}, BASE
    )
    return meeting.id


def _fresh_database(backend: str, request: pytest.FixtureRequest, folder: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = folder / "races.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}", None
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"ascc_races_{uuid.uuid4().hex[:10]}"
    _run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template_name}"))
    return _pg_url(name), name


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def arena(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arena]:
    yield from open_arena(request, tmp_path_factory, "races", _build_into, NOW)


def filled(
    fill: Callable[[AsyncSession, World], Awaitable[None]],
) -> Callable[[str, list[World]], Awaitable[None]]:
    """An arena's builder from what a race puts in its world; the engine, the session, the commit are here."""

    async def build(database_url: str, out: list[World]) -> None:
        db.load_models()
        engine = db.create_engine(database_url)
        world = World()
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await fill(session, world)
                await session.commit()
        finally:
            await engine.dispose()
        out.append(world)

    return build


def open_arena(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[str, list[World]], Awaitable[None]],
    now: str,
) -> Iterator[Arena]:
    """A fresh database of `request.param`'s kind, a world built into it at `now`, and a live server on it."""
    folder = tmp_path_factory.mktemp(f"{name}-{request.param}")
    database_url, pg_name = _fresh_database(request.param, request, folder)
    monkey = pytest.MonkeyPatch()
    monkey.setenv("ASCC_NOW", now)
    try:
        worlds: list[World] = []
        _run(build(database_url, worlds))
        with live_server(database_url, folder / "server.log", ASCC_NOW=now) as url:
            yield Arena(request.param, database_url, url, worlds[0])
    finally:
        monkey.undo()
        if pg_name:
            _run(_pg_admin(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))


async def _build_into(database_url: str, out: list[World]) -> None:
    out.append(await build_world(database_url))
