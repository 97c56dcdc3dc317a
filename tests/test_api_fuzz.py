"""Every /api/v1 operation fuzzed by schemathesis against the app's own OpenAPI document.

The app runs in-process (ASGI) on a fresh SQLite copy of the migrated template, seeded with the demo
edition, and the calls carry an organizer's API token, so most operations get past their guards and
reach the services. Two checks: no 5xx, and a response that matches the schema the app publishes.
The examples are few and derandomized: a bounded, repeatable run for CI, not an open-ended search.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.app import create_app
from ascc.config import Settings
from ascc.seed import seed

SCHEMA_PATH = "/schema/openapi.json"
API_PREFIX = "/api/v1/"
ORGANIZER = "organizer@example.org"  # seed/accounts.json

# With `make test` (two xdist processes) the whole module stays in one, so the demo is seeded once.
pytestmark = pytest.mark.xdist_group("api_fuzz")


def _published_schema() -> dict:
    """The document the app serves at /schema/openapi.json (built without touching a database)."""
    never_opened = Path(tempfile.gettempdir()) / "ascc-openapi-only.db"  # the engine connects lazily
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{never_opened}"))
    return app.openapi_schema.to_schema()


def map_path_parameters(context: schemathesis.HookContext, path_parameters: dict | None) -> dict | None:
    """Small generated ids land on the demo's rows (ids 1..30 exist in most tables), so calls reach the
    services instead of stopping at a 404; negative and huge ids stay as generated, to test the edges."""
    if not path_parameters:
        return path_parameters
    return {
        name: value % 30 + 1 if isinstance(value, int) and 0 <= value < 10_000 else value
        for name, value in path_parameters.items()
    }


@dataclass
class FuzzTarget:
    app: object
    headers: dict[str, str]
    schema: schemathesis.BaseSchema  # loaded from /schema/openapi.json as the app under test serves it


async def _seed_with_token(url: str) -> str:
    db.load_models()
    engine = db.create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await seed(session, "demo password for fuzzing")
            organizer = await session.scalar(select(User).where(User.email_key == ORGANIZER))
            assert organizer is not None and organizer.role == "organizer"
            raw, _ = await accounts.create_api_token(session, organizer.id, "fuzzing")
            await session.commit()
            return raw
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def target(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """One seeded database and one app for the whole module: seeding per operation would cost minutes."""
    path = tmp_path_factory.mktemp("fuzz") / "ascc.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    token = asyncio.run(_seed_with_token(url))
    app = create_app(
        Settings(database_url=url, auth_rate_limit_per_minute=100_000, base_url="http://testserver")
    )
    # Loaded through schemathesis's own ASGI client, which starts the app's lifespan once for the module.
    loaded = schemathesis.openapi.from_asgi(SCHEMA_PATH, app)
    loaded.config.generation.update(max_examples=5, deterministic=True, no_shrink=True, database="none")
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    loaded.hook(map_path_parameters)
    yield FuzzTarget(app=app, headers={"Authorization": f"Bearer {token}"}, schema=loaded)
    schemathesis_asgi.shutdown_lifespans()


@pytest.fixture
def api_schema(target: FuzzTarget, request: pytest.FixtureRequest) -> schemathesis.BaseSchema:
    # schemathesis 4.32's lazy schema reads `item._nodeid`, which pytest 9.2 no longer has (its node id is
    # `_id`; pytest-xdist's collection happens to set the old attribute). Give it the value it expects.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    return target.schema


def test_the_fuzzed_schema_is_the_one_the_app_serves(target: FuzzTarget) -> None:
    served = target.schema.raw_schema
    assert served == _published_schema()
    assert sum(1 for path in served["paths"] if path.startswith(API_PREFIX)) > 50


# One pytest item; each operation is a subtest. (An eagerly loaded schema gives one item per operation,
# but under pytest 9 they share a node id, and pytest-xdist then runs only the first of them.)
schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=f"^{API_PREFIX}")


@schema.parametrize()
@hypothesis_settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api(case: schemathesis.Case, target: FuzzTarget) -> None:
    case.call_and_validate(
        app=target.app,
        headers=target.headers,
        checks=[not_a_server_error, response_schema_conformance],
    )
