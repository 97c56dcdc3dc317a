"""Every /api/v1 operation fuzzed by schemathesis against the app's own OpenAPI document, once per role.

The app runs in-process (ASGI) on one SQLite copy of the migrated template, seeded with the demo edition.
Each role (anonymous, delegate, exhibitor, check-in staff, organizer) calls with its own API token, so the
guards, the domain's refusals and the answers all meet the document. Three checks: no 5xx, every status
code the app answers is documented for that operation, and every body matches the schema documented for its
status (the one error schema included). The examples are few and derandomized: a bounded, repeatable run
for CI, not an open-ended search.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ascc.app import create_app
from ascc.config import Settings
from tests.support.api_demo import ROLES, SeededDemo, seeded_demo

SCHEMA_PATH = "/schema/openapi.json"
API_PREFIX = "/api/v1/"
# Examples per operation and role. Anonymous calls stop at the guards (one each shows the 401); the public
# operations are fuzzed by every role. The organizer passes every guard, so its run is the widest.
EXAMPLES = {"anonymous": 1, "delegate": 3, "exhibitor": 3, "checkin": 3, "organizer": 5}

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
    raw_schema: dict  # /schema/openapi.json as the app under test serves it
    demo: SeededDemo


@pytest.fixture(scope="module")
def target(demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """One seeded database and one app for the whole module: seeding per operation would cost minutes."""
    demo = seeded_demo(demo_template)
    url = demo.copy(tmp_path_factory.mktemp("fuzz"))
    app = create_app(
        Settings(database_url=url, auth_rate_limit_per_minute=100_000, base_url="http://testserver")
    )
    # Loaded through schemathesis's own ASGI client, which starts the app's lifespan once for the module.
    loaded = schemathesis.openapi.from_asgi(SCHEMA_PATH, app)
    yield FuzzTarget(app=app, raw_schema=loaded.raw_schema, demo=demo)
    schemathesis_asgi.shutdown_lifespans()


@pytest.fixture(params=list(ROLES))
def role(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def api_schema(target: FuzzTarget, role: str, request: pytest.FixtureRequest) -> schemathesis.BaseSchema:
    # schemathesis 4.32's lazy schema reads `item._nodeid`, which pytest 9.2 no longer has (its node id is
    # `_id`; pytest-xdist's collection happens to set the old attribute). Give it the value it expects.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    loaded = schemathesis.openapi.from_dict(target.raw_schema)
    loaded.app, loaded.location = target.app, SCHEMA_PATH
    loaded.config.generation.update(
        max_examples=EXAMPLES[role], deterministic=True, no_shrink=True, database="none"
    )
    loaded.config.phases.update(phases=["fuzzing"])  # the coverage phase alone took longer than all of this
    loaded.hook(map_path_parameters)
    return loaded


def test_the_fuzzed_schema_is_the_one_the_app_serves(target: FuzzTarget) -> None:
    served = target.raw_schema
    assert served == _published_schema()
    assert sum(1 for path in served["paths"] if path.startswith(API_PREFIX)) > 50


# One pytest item per role; each operation is a subtest. (An eagerly loaded schema gives one item per
# operation, but under pytest 9 they share a node id, and pytest-xdist then runs only the first of them.)
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
def test_api(case: schemathesis.Case, target: FuzzTarget, role: str) -> None:
    case.call_and_validate(
        app=target.app,
        headers=target.demo.headers(role),
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
