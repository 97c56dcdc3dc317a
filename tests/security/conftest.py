"""The seeded demo edition for the security tests: seeded once per test run, copied per module.

Seeding takes ~10 s, so one process seeds (the others wait on a file lock, as pytest-xdist workers share
the parent of their base temporary folder) and writes the ids and API tokens the tests need beside the
database file. Each module then works on its own copy, so one module's writes never reach another.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ascc import clock, db
from ascc.config import Settings
from tests.support.web import CSRF_COOKIE, post_form

DEMO_PASSWORD = "ascc-demo"  # seed/accounts.json, as `ascc seed` uses it
BASE_URL = "http://testserver.local"
# The demo accounts (seed/accounts.json) by the role they stand for.
DEMO_ACCOUNTS = {
    "organizer": "organizer@example.org",
    "delegate": "delegate@example.org",
    "online": "online@example.org",
    "exhibitor": "exhibitor@example.org",
    "checkin": "checkin@example.org",
}


@dataclass(frozen=True)
class Demo:
    """A seeded database file, plus what the tests look up in it once: ids, e-mail addresses, API tokens."""

    path: Path | None  # the SQLite file; None for a PostgreSQL database (then `database_url` names it)
    ids: dict[str, Any]
    tokens: dict[str, str]  # account key (a role, or "delegate_b" ...) -> raw API token
    emails: dict[str, str]
    database_url: str | None = None

    def url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.path}"

    def settings(self, **changes: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.url(),
            "auth_rate_limit_per_minute": 100_000,
            "base_url": BASE_URL,
            **changes,
        }
        return Settings(**values)

    def bearer(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def _scalar(session: AsyncSession, sql: str, **params: Any) -> Any:
    return (await session.execute(text(sql), params)).scalar()


async def build_demo(url: str) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Seed the demo, then add what the seed lacks and the tests need: a second delegate's and a second
    exhibitor's own objects (a lead, a time block, an off-season meeting, a calendar feed, a staff
    invitation), an announcement, and an API token for every account the tests act as."""
    from ascc.accounts import services as accounts
    from ascc.badges import checkin
    from ascc.calendar import services as calendar
    from ascc.editions import services as editions
    from ascc.exhibitors import leads, staff
    from ascc.exhibitors.models import Exhibitor
    from ascc.matching import services as matching
    from ascc.network import meetings as network
    from ascc.online import polls as online
    from ascc.seed import seed

    db.load_models()
    engine = db.create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await seed(session, DEMO_PASSWORD)
            await session.commit()
            edition = await editions.current(session)
            emails = dict(DEMO_ACCOUNTS)
            users = {
                role: await _scalar(session, "select id from user_account where email_key = :e", e=email)
                for role, email in emails.items()
            }
            # A second delegate with a confirmed in-person registration, in the network, with meetings.
            users["delegate_b"] = await _scalar(
                session,
                "select u.id from user_account u join registration r on r.user_id = u.id "
                "join network_member n on n.user_id = u.id where u.role = 'delegate' and u.id != :a "
                "and r.status = 'confirmed' and r.mode = 'in_person' and r.consent_scanning "
                "and exists (select 1 from meeting m where :a not in (m.requester_id, m.recipient_id) "
                "and u.id in (m.requester_id, m.recipient_id)) order by u.id limit 1",
                a=users["delegate"],
            )
            emails["delegate_b"] = await _scalar(
                session, "select email from user_account where id = :u", u=users["delegate_b"]
            )
            # Another approved exhibitor and one of its staff (exhibitor staff may hold any role).
            exhibitor_a = await _scalar(
                session, "select exhibitor_id from exhibitor_staff where user_id = :u", u=users["exhibitor"]
            )
            exhibitor_b, users["exhibitor_b"] = (
                await session.execute(
                    text(
                        "select s.exhibitor_id, s.user_id from exhibitor_staff s join exhibitor e "
                        "on e.id = s.exhibitor_id where e.status = 'approved' and s.exhibitor_id != :a "
                        "and s.is_admin order by s.exhibitor_id limit 1"
                    ),
                    {"a": exhibitor_a},
                )
            ).one()
            emails["exhibitor_b"] = await _scalar(
                session, "select email from user_account where id = :u", u=users["exhibitor_b"]
            )
            tokens = {}
            for who, user_id in users.items():
                tokens[who], _ = await accounts.create_api_token(session, user_id, "security tests")
            # A token of the delegate's that the matrix may revoke (never the one it calls the API with).
            _, spare_token = await accounts.create_api_token(session, users["delegate"], "spare")

            badge = {
                who: await _scalar(
                    session,
                    "select badge_code from registration where user_id = :u and edition_id = :e",
                    u=users[who],
                    e=edition.id,
                )
                for who in ("delegate", "delegate_b")
            }
            rows = {e.id: e for e in (await session.scalars(select(Exhibitor))).all()}
            lead_a = (
                await leads.record(
                    session, rows[exhibitor_a], users["exhibitor"], badge["delegate"], checkin.identify
                )
            ).lead
            lead_b = (
                await leads.record(
                    session, rows[exhibitor_b], users["exhibitor_b"], badge["delegate_b"], checkin.identify
                )
            ).lead
            invite = await staff.invite_staff(
                session, rows[exhibitor_b], "colleague-b@example.org", "B", BASE_URL, "en"
            )
            day = edition.starts_on.isoformat()
            block_a = await matching.add_block(
                session, edition, users["delegate"], {"day": day, "starts": "08:00", "ends": "08:30"}
            )
            block_b = await matching.add_block(
                session, edition, users["delegate_b"], {"day": day, "starts": "08:00", "ends": "08:30"}
            )
            later = (clock.now() + timedelta(days=40)).strftime("%Y-%m-%dT10:00")
            network_meeting = await network.request_meeting(
                session,
                users["delegate_b"],
                {"recipient_id": str(users["online"]), "message": "B and online", "slot_1": later},
                BASE_URL,
            )
            announcement = await online.announce(
                session, edition.id, users["organizer"], {"text_en": "Coffee in the foyer"}, clock.now()
            )
            feeds = {}
            for who in ("delegate", "delegate_b"):
                _, feed = await calendar.rotate(session, users[who])
                feeds[who] = feed.token
            await session.commit()

            def one(sql: str, **params: Any) -> Any:
                return _scalar(session, sql, **params)

            ids = {
                "edition_slug": edition.slug,
                "users": users,
                "badge_codes": badge,
                "exhibitor_a": exhibitor_a,
                "exhibitor_b": exhibitor_b,
                "lead_a": lead_a.id,
                "lead_b": lead_b.id,
                "invite_b": invite.id,
                "block_a": block_a.id,
                "block_b": block_b.id,
                "network_meeting_b": network_meeting.id,
                "announcement": announcement.id,
                "feed_tokens": feeds,
                "session": await one(
                    "select id from programme_session where status = 'published' order by id limit 1"
                ),
                "session_with_qa": await one("select session_id from live_question order by id limit 1"),
                "session_with_poll": await one("select session_id from live_poll order by id limit 1"),
                "material": await one("select id from programme_material order by id limit 1"),
                "material_session": await one(
                    "select session_id from programme_material order by id limit 1"
                ),
                "question": await one("select id from live_question order by id limit 1"),
                "poll": await one("select id from live_poll order by id limit 1"),
                "speaker": await one("select id from programme_speaker order by id limit 1"),
                "speaker_slug": await one("select slug from programme_speaker order by id limit 1"),
                "room": await one("select id from room order by id limit 1"),
                "track": await one("select id from programme_track order by id limit 1"),
                "tour": await one("select id from tour order by id limit 1"),
                "course": await one("select id from tour_course order by id limit 1"),
                "solution_a": await one(
                    "select id from solution where exhibitor_id = :x order by id limit 1", x=exhibitor_a
                ),
                "solution_b": await one(
                    "select id from solution where exhibitor_id = :x order by id limit 1", x=exhibitor_b
                ),
                "need": await one("select id from city_need order by id limit 1"),
                "need_b": await one(
                    "select id from city_need where organization_id != (select organization_id from "
                    "user_account where id = :a) order by id limit 1",
                    a=users["delegate"],
                ),
                "matching_session": await one("select id from matching_session order by id limit 1"),
                "campaign": await one("select id from mail_campaign order by id limit 1"),
                "privacy_version": await one(
                    "select version from privacy_notice_version order by id limit 1"
                ),
                "registration_question": await one(
                    "select id from registration_question order by id limit 1"
                ),
                "outbox_message": await one("select id from outbox_message order by id limit 1"),
                "token_a": spare_token.id,
                # A business meeting of each delegate that the other is no party to.
                "meeting_a": await one(
                    "select id from meeting where :a in (requester_id, recipient_id) "
                    "and :b not in (requester_id, recipient_id) order by id limit 1",
                    a=users["delegate"],
                    b=users["delegate_b"],
                ),
                "meeting_b": await one(
                    "select id from meeting where :b in (requester_id, recipient_id) "
                    "and :a not in (requester_id, recipient_id) order by status = 'scheduled' desc, id limit 1",
                    a=users["delegate"],
                    b=users["delegate_b"],
                ),
                "network_member_b": users["delegate_b"],
            }
            return ids, tokens, emails
    finally:
        await engine.dispose()


def shared_demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The seeded demo, built once for the whole run (all xdist workers) and read-only from then on: the
    `demo_template` fixture (tests/conftest.py) of the security, API and statement-count tests."""
    # Under pytest-xdist each worker's base folder sits in the run's own folder, which they share.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target, facts = shared / "security-demo.db", shared / "security-demo.json"
    with (shared / "security-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not facts.exists():
            building = shared / "security-demo.building.db"
            shutil.copy(sqlite_template, building)
            ids, tokens, emails = asyncio.run(build_demo(f"sqlite+aiosqlite:///{building}"))
            building.rename(target)
            facts.write_text(json.dumps({"ids": ids, "tokens": tokens, "emails": emails}))
    loaded = json.loads(facts.read_text())
    return Demo(path=target, ids=loaded["ids"], tokens=loaded["tokens"], emails=loaded["emails"])


def copy_demo(template: Demo, folder: Path) -> Demo:
    path = folder / "demo.db"
    shutil.copy(template.path, path)
    return Demo(path=path, ids=template.ids, tokens=template.tokens, emails=template.emails)


@pytest.fixture(scope="module")
def demo(demo_template: Demo, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """This module's own copy of the seeded demo."""
    return copy_demo(demo_template, tmp_path_factory.mktemp("demo"))


@asynccontextmanager
async def app_client(settings: Settings, base_url: str = BASE_URL) -> AsyncIterator[AsyncTestClient]:
    from tests.support.apps import app_for

    async with AsyncTestClient(app=app_for(settings), base_url=base_url) as client:
        yield client


async def signed_in(client: AsyncTestClient, demo: Demo, who: str) -> AsyncTestClient:
    """Sign `client` in as a demo account (its session cookie from now on)."""
    response = await post_form(
        client, "/login", {"email": demo.emails[who], "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, (who, response.status_code, response.text[:300])
    return client


def csrf_header(client: AsyncTestClient) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get(CSRF_COOKIE) or ""}


@asynccontextmanager
async def database(demo: Demo) -> AsyncIterator[AsyncSession]:
    """A session on the module's database, to check what a request did (or did not) change."""
    db.load_models()
    engine = db.create_engine(demo.url())
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
    finally:
        await engine.dispose()


async def rows(demo: Demo, sql: str, **params: Any) -> list[tuple]:
    async with database(demo) as session:
        return [tuple(row) for row in (await session.execute(text(sql), params)).all()]
