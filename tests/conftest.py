"""Real databases for every test: a fresh SQLite file each, and a fresh PostgreSQL database each.

Both are copied from a template migrated once per run (Alembic, never create_all), so a test sees
exactly the schema production has. PostgreSQL tests are skipped loudly when the server is absent,
and fail instead on CI, where it must be there.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ascc import db
from ascc.config import Settings
from tests.support.hashing import use_cheap_hashing

use_cheap_hashing()  # production Argon2 only where a test is about it

ROOT = Path(__file__).resolve().parent.parent
# Copies of ../shared/testdata and ../shared/interop: the suite reads nothing outside the repository.
DATA = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("ASCC_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PG_TEMPLATE = "ascc_test_template"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Modules whose tests take 5-50 s each. Two test processes take the next test as they finish one (pytest-xdist
# sends its groups first, then the tests in this order): collected near the end, one of these could keep one
# process busy for up to a minute while the other had nothing left. They run first, whole modules, in order.
SLOW_FIRST = (
    "tests/security/test_bad_input.py",
    "tests/test_cli.py",
    "tests/security/test_authorization_matrix.py",
    "tests/test_database_restart.py",
    "tests/test_migrations.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Chromium tests share their test process's one browser, which lives on the session's event loop: a
    browser test module that does not run there is refused at once, with what to add. (They used to run one
    after another in one test process; with some thirty of them that process finished minutes after the other.)"""
    items.sort(key=lambda item: item.nodeid.split("::")[0].replace("\\", "/") not in SLOW_FIRST)
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/"):
            marker = item.get_closest_marker("asyncio")
            if marker is not None and marker.kwargs.get("loop_scope") != "session":
                raise pytest.UsageError(
                    f'{item.nodeid}: add pytestmark = pytest.mark.asyncio(loop_scope="session") to its module'
                )


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"PostgreSQL: {'reachable' if _postgres_reachable() else 'NOT REACHABLE: its tests will skip'}"]


def _postgres_reachable() -> bool:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def _run(coroutine: object) -> None:
    """Run a coroutine to the end from sync fixture code, even when an event loop is already running."""
    db._outside_event_loop(lambda: asyncio.run(coroutine))


def _pg_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


async def _pg_admin(*statements: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


# --- templates, migrated once per run ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The seeded demo with an API token per role (tests/security/conftest.py), once per run: copy it."""
    from tests.security.conftest import shared_demo

    return shared_demo(sqlite_template, tmp_path_factory)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not _postgres_reachable():
        message = f"PostgreSQL is not reachable at {PG_URL}"
        if ON_CI:
            pytest.fail(message + " (required on CI)")
        pytest.skip(message)
    # One template per test run: two suites on one server (a developer's and CI's) must not drop each other's.
    name = f"{PG_TEMPLATE}_{os.getpid()}"
    _run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"))
    db.upgrade(_pg_url(name))
    yield name
    _run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


# --- one database per test --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "ascc.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


class PostgresPool:
    """Databases copied from the template, emptied after each test and used again.

    A CREATE DATABASE costs ~0.5 s here and a DROP ~1.5 s (a checkpoint): per test, that was the largest part
    of the suite's time. Emptying the ~80 tables (the template holds no rows but Alembic's) takes a tenth of
    that. A database whose schema a test changed (a downgrade, a restore) is dropped instead.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.free: list[str] = []
        self.made: list[str] = []
        self.reset_sql = ""

    async def _prepare(self, connection) -> None:
        tables = await connection.fetch(
            "select tablename from pg_tables where schemaname = 'public' and tablename <> 'alembic_version'"
        )
        sequences = await connection.fetch(
            "select sequencename from pg_sequences where schemaname = 'public'"
        )
        statements = ["SET session_replication_role = replica"]  # no foreign-key triggers while emptying
        statements += [f'DELETE FROM "{row[0]}"' for row in tables]
        statements += [f"SELECT setval('\"{row[0]}\"', 1, false)" for row in sequences]
        self.shape = (len(tables), len(sequences))
        self.reset_sql = ";\n".join(statements)

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"ascc_t_{uuid.uuid4().hex[:12]}"
        _run(
            _pg_admin(
                f"CREATE DATABASE {name} TEMPLATE {self.template}",
                # A test database need not survive a power cut: commits do not wait for the disk.
                f"ALTER DATABASE {name} SET synchronous_commit TO off",
            )
        )
        self.made.append(name)
        return name

    def give_back(self, name: str) -> None:
        self.made.remove(name)
        if _run_value(self._reset(name)):
            # Under a new name: the application keeps per-database caches keyed by the URL (badge keys).
            fresh = f"ascc_t_{uuid.uuid4().hex[:12]}"
            _run(_pg_admin(f"ALTER DATABASE {name} RENAME TO {fresh}"))
            self.made.append(fresh)
            self.free.append(fresh)
        else:
            _run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    async def _reset(self, name: str) -> bool:
        import asyncpg
        from sqlalchemy.engine import make_url

        await _pg_admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            " AND pid <> pg_backend_pid()"
        )
        url = make_url(PG_URL)
        connection = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=name
        )
        try:
            if not self.reset_sql:
                await self._prepare(connection)
            tables = await connection.fetchval(
                "select count(*) from pg_tables where schemaname = 'public' and tablename <> 'alembic_version'"
            )
            version = await connection.fetchval("select version_num from alembic_version")
            if tables != self.shape[0] or version != db.head_revision():
                return False
            await connection.execute(self.reset_sql)
            return True
        except Exception:  # a test left the database in a state we do not know: make a new one
            return False
        finally:
            await connection.close()

    def close(self) -> None:
        for name in self.made:
            _run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _run_value(coroutine: object) -> object:
    result: list[object] = []

    async def keep() -> None:
        result.append(await coroutine)  # type: ignore[misc]

    _run(keep())
    return result[0]


@pytest.fixture(scope="session")
def postgres_pool(postgres_template: str) -> Iterator[PostgresPool]:
    pool = PostgresPool(postgres_template)
    yield pool
    pool.close()


@pytest.fixture
def postgres_url(postgres_pool: PostgresPool) -> Iterator[str]:
    name = postgres_pool.take()
    yield _pg_url(name)
    postgres_pool.give_back(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Service tests run on both databases."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
async def session_maker(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    db.load_models()
    engine = db.create_engine(db_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
async def session(session_maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_maker() as session:
        yield session


# --- the application --------------------------------------------------------------------------------------------


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    # A high sign-in rate limit: only the test of the limit itself lowers it.
    return Settings(
        database_url=sqlite_url, auth_rate_limit_per_minute=1000, base_url="http://testserver.local"
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator:
    from litestar.testing import AsyncTestClient

    from tests.support.apps import app_for

    async with AsyncTestClient(app=app_for(settings), base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
async def app_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session of its own on the database the test client's app uses (as another request would have)."""
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
def make_settings(settings: Settings):
    def make(**changes: object) -> Settings:
        return replace(settings, **changes)

    return make


# --- mail -----------------------------------------------------------------------------------------------------------


class Mailbox:
    """A real SMTP server (aiosmtpd) on a free local port; keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def free_port() -> int:
    return _free_port()


# --- shared test data -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def inputs() -> dict:
    """Names in our participants' scripts, Unicode traps and hostile strings (tests/data/inputs.json)."""
    return json.loads((DATA / "inputs.json").read_text(encoding="utf-8"))
