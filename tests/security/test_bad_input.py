"""No input gets a 500: hostile values in every path and query parameter of every route, on both databases.

Every operation is enumerated from the app (tests/security/app_routes.py). Its path parameters come from the
route; its query parameters from what the handler declares (Litestar's parsed parameters, dependencies
included) plus the names its code reads from `request.query_params` (found in its source and in the functions
of its module it calls). Each parameter in turn gets one hostile value of each kind while the others keep real
ids of the seeded demo, as a signed-in organizer (session cookie for pages, API token for /api/v1) and, on the
routes anyone may use, anonymously; then every documented JSON body of the API, hostile. Every answer must be
< 500, and a refused body must leave every table as it was; the failures are listed together, with the
exceptions the app logged. (What a refusal says: test_bad_input_answers.py.)

The same demo is on SQLite and, its rows copied, on PostgreSQL: NUL bytes and ids beyond 64 bits break only
PostgreSQL's driver, so a probe on SQLite alone would miss them. About 3,300 requests on SQLite and 2,100 on PostgreSQL,
some 25 and 20 seconds on this machine.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from sqlalchemy import func, literal, select, union_all

from ascc import db
from ascc.config import Settings
from tests.conftest import _pg_admin, _pg_url, _run
from tests.security.app_routes import STREAMS, all_operations, fill, first_status
from tests.security.conftest import BASE_URL, DEMO_PASSWORD, Demo, copy_demo
from tests.security.test_authorization_matrix import ACCESS, JSON_BODIES, SELF_ENDING, STARTS_A_JOB
from tests.support.copy_database import copy_rows
from tests.support.web import CSRF_COOKIE

# The hostile inputs by kind, as they travel in a URL (percent-encoded where a browser would). A parameter gets
# one value of each kind, the kind's values taking turns from one parameter to the next: every value is sent,
# and no parameter gets two of a kind. A route's {name:path} and {name:str} segments get every value.
# int() accepts these kinds, so they pass a route's {name:int} converter and reach the handler and the database:
NUMERIC: dict[str, tuple[str, ...]] = {
    "beyond int64": ("9223372036854775808", "-9223372036854775809", "99999999999999999999"),
    "negative": ("-1",),
    # int() takes full-width digits; "²" passes str.isdigit(), not int().
    "non-ASCII digits": (quote("１２３"), quote("²")),
}
# ... and these only a parameter read as text takes (an integer parameter refuses them all alike: one is sent).
TEXT: dict[str, tuple[str, ...]] = {
    "NUL": ("a%00b", "%00"),
    "10,000 characters": ("9" * 10_000, "x" * 10_000),  # int() refuses more than 4,300 digits
    "traversal": (
        quote("../../etc/passwd", safe=""),
        quote("%2e%2e%2f", safe=""),
        quote("..\\..\\", safe=""),
    ),
    "number notation": ("0x10", "1e309", "NaN"),
    "unusual Unicode": (quote("😀"), "%ED%A0%80"),  # an emoji; a lone surrogate, which is not UTF-8
}
# Where the databases differ (what the driver and the server take: PostgreSQL also refuses a negative OFFSET);
# the other kinds are handled by the same Python before any query, so PostgreSQL gets only these.
DRIVER_KINDS = frozenset({"beyond int64", "negative", "NUL", "10,000 characters", "unusual Unicode"})

# Handlers that hand the whole query string to a parser: the names that parser reads, by module (and class).
# A new handler that does so fails test_whole_query_readers_are_listed until it is named here.
WHOLE_QUERY: dict[str, tuple[str, ...]] = {
    "ascc.audit.routes": ("actor", "domain", "action", "target_type", "target_id", "from", "to", "q", "page"),
    "ascc.audit.routes.AuditApi": ("per_page",),
    "ascc.programme.routes": ("day", "track", "kind", "lang", "interpretation", "format", "sdg", "q", "tz"),
}
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Target:
    """One parameter of one operation."""

    method: str
    path: str  # the route's template, e.g. /api/v1/needs/{need_id:int}
    where: str  # "path" or "query"
    name: str
    integer: bool  # declared as an integer
    turn: int = 0  # which of a kind's values this parameter gets

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"

    def values(self, only: frozenset[str] | None = None) -> list[tuple[str, str]]:
        """(kind, value) pairs to send, of the kinds named in `only` if given."""
        kinds = NUMERIC | ({"NUL": TEXT["NUL"]} if self.integer else TEXT)
        kinds = {kind: values for kind, values in kinds.items() if only is None or kind in only}
        if self.where == "path" and not self.integer:
            return [(kind, value) for kind, values in kinds.items() for value in values]
        return [(kind, values[self.turn % len(values)]) for kind, values in kinds.items()]


# --- which parameters each operation has --------------------------------------------------------------------------

_NAMED_READ = re.compile(r"""query(?:_params)?(?:\.get|\.getall)?[(\[]\s*["']([\w-]+)["']""")
_WHOLE_READ = re.compile(r"request\.query_params(?!\s*(?:\.get\(|\.getall\(|\[))")


def _sources(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The source of a handler and of the functions of its own module that it calls (two levels deep)."""
    # Each create_app makes its handlers anew (closures, methods of new controllers): cached by their code,
    # which is the same in every application of the test process (~3 s of CPU per application otherwise).
    unwrapped = inspect.unwrap(fn)
    code = getattr(getattr(unwrapped, "__func__", unwrapped), "__code__", None)
    if code is None:
        return _sources_of(fn)
    if code not in _SOURCES:
        _SOURCES[code] = _sources_of(fn)
    return _SOURCES[code]


_SOURCES: dict[Any, tuple[str, ...]] = {}


def _sources_of(fn: Callable[..., Any]) -> tuple[str, ...]:
    found: dict[Any, str] = {}
    todo = [(inspect.unwrap(fn), 0)]
    while todo:
        current, depth = todo.pop()
        if current in found:
            continue
        try:
            found[current] = source = textwrap.dedent(inspect.getsource(current))
        except (OSError, TypeError):
            continue
        if depth == 2:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a lambda's source is the line it sits in, e.g. a dict entry
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called = getattr(current, "__globals__", {}).get(node.func.id)
                if inspect.isfunction(called) and called.__module__ == current.__module__:
                    todo.append((called, depth + 1))
    return tuple(found.values())


def _whole_query_names(handler: Any) -> tuple[str, ...] | None:
    """What a handler that reads the whole query string reads (WHOLE_QUERY); () if it reads none so, None if
    it does and has no entry."""
    fn = handler.fn
    if not any(_WHOLE_READ.search(source) for source in _sources(fn)):
        return ()
    module, owner = fn.__module__, f"{fn.__module__}.{fn.__qualname__.rsplit('.', 1)[0]}"
    if module not in WHOLE_QUERY and owner not in WHOLE_QUERY:
        return None
    return (*WHOLE_QUERY.get(module, ()), *WHOLE_QUERY.get(owner, ()))


def _integer_names(handler: Any) -> set[str]:
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        types = {inner.annotation for inner in field.inner_types} if field.is_optional else {field.annotation}
        if int in types:
            kwarg = field.kwarg_definition
            names.add(getattr(kwarg, "name", None) or getattr(kwarg, "query", None) or name)
    return names


def targets(app: Litestar) -> list[Target]:
    found: set[Target] = set()
    operations = set(all_operations(app))
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, kwargs_model) in route.route_handler_map.items():
            if (method, route.path) not in operations:
                continue
            for name, definition in route.path_parameters.items():
                found.add(Target(method, route.path, "path", name, definition.type is int))
            names = {p.field_alias for p in kwargs_model.expected_query_params}
            for source in _sources(handler.fn):
                names.update(_NAMED_READ.findall(source))
            names.update(_whole_query_names(handler) or ())
            integers = _integer_names(handler)
            found.update(Target(method, route.path, "query", name, name in integers) for name in names)
    ordered = sorted(found, key=lambda t: (t.path, t.method, t.where, t.name))
    return [replace(target, turn=n) for n, target in enumerate(ordered)]


def whole_query_readers_without_entry(app: Litestar) -> list[str]:
    missing = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, _ in route.route_handler_map.values():
                if _whole_query_names(handler) is None:
                    missing.add(f"{handler.fn.__module__}.{handler.fn.__qualname__}")
    return sorted(missing)


# --- the requests -------------------------------------------------------------------------------------------------


def url_with(target: Target, value: str, demo: Demo) -> str:
    """The operation's URL with `value` (URL-encoded) in the target parameter and real demo ids elsewhere.

    The in-process client decodes the path twice (httpx, then Litestar's transport) where a server decodes it
    once: escaping the hostile part's "%" once more gives the handler what a server would give it."""
    if target.where == "query":
        return f"{fill(target.path, demo)}?{target.name}={value}"
    marker = f"HOSTILE{uuid.uuid4().hex}"
    path = fill(re.sub(r"\{" + target.name + r":\w+\}", marker, target.path), demo)
    return path.replace(marker, value.replace("%", "%25"))


def status_of(client: TestClient, demo: Demo, who: str, target: Target, url: str) -> int:
    api = target.path.startswith("/api/")
    headers = demo.bearer(who) if api and who != "anonymous" else {"x-csrftoken": client.cookies[CSRF_COOKIE]}
    if target.path in STREAMS:  # never ends: its status line only, read on the app's own event loop
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        path, _, query = url.partition("?")
        raw = f"{unquote(unquote(path))}?{query}"  # first_status hands the path to the app as it is
        status, _ = client.blocking_portal.call(
            first_status, client.app, target.method, raw, {**headers, "cookie": cookie}
        )
        return status
    body: dict[str, Any] = {}
    if target.operation in JSON_BODIES:
        body["json"] = JSON_BODIES[target.operation]
    elif target.method in ("POST", "PUT") and not api:
        body["data"] = {}
    return client.request(target.method, url, headers=headers, follow_redirects=False, **body).status_code


def probe(
    client: TestClient, demo: Demo, who: str, chosen: list[Target], kinds: frozenset[str] | None
) -> list[str]:
    """The hostile values (of `kinds`, else all) in every chosen parameter: the answers of 500 and above."""

    def one(case: tuple[Target, str, str]) -> str | None:
        target, kind, value = case
        try:
            status: int | str = status_of(client, demo, who, target, url_with(target, value, demo))
        except Exception as exc:  # an error the app let out is a failure like a 500
            status = f"{type(exc).__name__}: {exc}"[:200]
        if isinstance(status, int) and status < 500:
            return None
        return f"{target.operation} {target.where} {target.name}={kind!r} as {who}: {status}"

    # Reads first, on the demo as seeded; one request at a time (this probes input, not concurrency).
    cases = sorted(
        ((t, kind, value) for t in chosen for kind, value in t.values(kinds)),
        key=lambda c: c[0].method not in READS,
    )
    return [answer for answer in map(one, cases) if answer]


def sign_in(client: TestClient, demo: Demo, who: str) -> None:
    client.get("/login")  # the CSRF cookie, as a browser would have it
    form = {"email": demo.emails[who], "password": DEMO_PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


# JSON bodies of the API: every text field hostile at once, then every number (enumerations keep a valid value,
# so that the other fields are read). (text, number) by kind:
JSON_KINDS = {"NUL": ("a\x00b", 1), "beyond int64": ("x", 2**63), "10,000 characters": ("x" * 10_000, 1)}


def hostile_json(schema: dict, components: dict, text: str, number: int) -> Any:
    """A body that follows the published schema, with `text` in every string and `number` in every number."""
    if "$ref" in schema:
        return hostile_json(components[schema["$ref"].rsplit("/", 1)[1]], components, text, number)
    options = [s for s in schema.get("oneOf", schema.get("anyOf", [])) if s.get("type") != "null"]
    if options:
        return hostile_json(options[0], components, text, number)
    if "enum" in schema or "const" in schema:
        return schema.get("enum", [schema.get("const")])[0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties") or {"field": {"type": "string"}}
        return {name: hostile_json(part, components, text, number) for name, part in properties.items()}
    if kind == "array":
        return [hostile_json(schema.get("items", {"type": "string"}), components, text, number)]
    return {"integer": number, "number": number, "boolean": True}.get(kind, text)


async def _row_counts(app: Litestar) -> dict[str, int]:
    tables = db.load_models().sorted_tables
    query = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
    async with app.state.session_maker() as session:
        return dict((await session.execute(query)).tuples().all())


def probe_json_bodies(client: TestClient, demo: Demo) -> list[str]:
    """Every documented JSON body of the API, hostile, as the organizer: an answer of 500 or more, or a refusal
    that still changed a table, is a failure."""
    document = client.app.openapi_schema.to_schema()
    failures = []
    # One request at a time and nothing else writing: the counts after one body are the counts before the next.
    counts = client.blocking_portal.call(_row_counts, client.app)
    for method, path in all_operations(client.app):
        documented = document["paths"].get(re.sub(r"\{(\w+):\w+\}", r"{\1}", path), {})
        body = documented.get(method.lower(), {}).get("requestBody")
        # Bodies of other types (a file upload) are probed by their own tests.
        json_body = (body or {}).get("content", {}).get("application/json")
        if json_body is None or f"{method} {path}" in STARTS_A_JOB:
            continue
        for kind, (text, number) in JSON_KINDS.items():
            data = hostile_json(json_body["schema"], document["components"]["schemas"], text, number)
            before = counts
            answer = client.request(method, fill(path, demo), json=data, headers=demo.bearer("organizer"))
            after = counts = client.blocking_portal.call(_row_counts, client.app)
            changed = {
                table: (before[table], after[table]) for table in before if after[table] != before[table]
            }
            if answer.status_code >= 500 or (answer.status_code >= 400 and changed):
                failures.append(
                    f"{method} {path} body {kind!r}: {answer.status_code}, rows changed: {changed}"
                )
    return failures


# --- the demo on both databases -----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def probed_demo(request: pytest.FixtureRequest, demo_template: Demo, tmp_path: Path) -> Iterator[Demo]:
    """The seeded demo on each database, for the one test that uses it (so that, whichever test process runs
    it, each database is seeded once)."""
    if request.param == "sqlite":
        yield copy_demo(demo_template, tmp_path)
        return
    template = request.getfixturevalue("postgres_template")
    name = f"ascc_bad_input_{uuid.uuid4().hex[:12]}"
    _run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
    # The same rows as the SQLite demo, ids and tokens included (seeding PostgreSQL anew costs ~10 s of CPU).
    _run(copy_rows(f"sqlite+aiosqlite:///{demo_template.path}", _pg_url(name)))
    d = demo_template
    yield Demo(path=None, ids=d.ids, tokens=d.tokens, emails=d.emails, database_url=_pg_url(name))
    _run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _unopened_app(tmp_path: Path) -> Litestar:
    from ascc.app import create_app

    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}"))


# --- the tests ----------------------------------------------------------------------------------------------------


def test_the_probe_finds_declared_and_read_parameters(tmp_path: Path) -> None:
    found = {(t.operation, t.where, t.name, t.integer) for t in targets(_unopened_app(tmp_path))}
    expected = {
        ("GET /marketplace", "query", "q", False),  # declared
        ("GET /api/v1/users", "query", "offset", True),
        ("GET /api/v1/needs/{need_id:int}", "path", "need_id", True),
        ("GET /static/{path:path}", "path", "path", False),
        ("GET /organizer/privacy", "query", "run", False),  # read from request.query_params in a handler
        ("GET /agenda", "query", "track", False),  # read by a parser handed the whole query string
        ("GET /api/v1/audit", "query", "per_page", False),
    }
    assert expected - found == set()
    assert len(found) > 250


def test_whole_query_readers_are_listed(tmp_path: Path) -> None:
    missing = whole_query_readers_without_entry(_unopened_app(tmp_path))
    assert missing == [], "name what they read in WHOLE_QUERY"


def test_no_hostile_value_in_a_path_a_query_or_a_json_body_answers_500(
    probed_demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    from ascc.app import create_app

    demo = probed_demo
    kinds = None if demo.path else DRIVER_KINDS  # all on SQLite; on PostgreSQL what only its driver may break
    with TestClient(app=create_app(demo.settings()), base_url=BASE_URL) as client:
        everything = [t for t in targets(client.app) if t.operation not in STARTS_A_JOB | SELF_ENDING]
        public = [t for t in everything if "anonymous" in ACCESS[t.operation]]
        client.get("/login")  # the CSRF cookie, as a browser would have it
        failures = probe(client, demo, "anonymous", public, kinds)
        sign_in(client, demo, "organizer")
        failures += probe(client, demo, "organizer", everything, kinds)
        failures += probe_json_bodies(client, demo)
    # What the app logged about its 500s: the exception behind each line above.
    causes = {f"{r.getMessage()}: {r.exc_info[1]!r}"[:300] for r in caplog.records if r.exc_info}
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join([*failures, "", *sorted(causes)])
