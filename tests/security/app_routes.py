"""Every operation the app serves, with its path filled with real ids of the seeded demo."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.security.conftest import Demo

NO_SUCH_ID = (
    999_999  # for objects the demo has none of (badge sheets, scheduler runs): the guard still answers
)
NOT_A_TOKEN = "not-a-real-token-0123456789"


def all_operations(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP handler, in a stable order. Litestar's automatic OPTIONS
    answers are left out: they carry their controller's guards (tests/accounts/test_routes.py covers them)."""
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if getattr(handler.fn, "__name__", "") == "options_handler":
                continue
            for method in handler.http_methods:
                if method != "OPTIONS":
                    found.add((method, route.path))
    return sorted(found, key=lambda op: (op[1], op[0]))


# Which demo object a path parameter names, by the path it appears in (first match wins), then by its name.
_BY_PATH: list[tuple[str, str, str]] = [
    (r"^/organizer/matching/sessions/", "session_id", "matching_session"),
    (r"^/sessions/\{session_id:int\}/materials/", "session_id", "material_session"),
    (r"/polls", "session_id", "session_with_poll"),
    (r"^/network/meetings/", "meeting_id", "network_meeting_b"),
    (r"^/speakers/", "slug", "speaker_slug"),
    (r"^/calendar/feed/", "token", "feed_token"),
    (r"^/exhibitor/staff/", "user_id", "exhibitor_staff_user"),
    (r"^/matching/meetings/.*\{action", "action", "matching_action"),
    (r"^/organizer/matching/meetings/", "action", "organizer_matching_action"),
    (r"^/network/meetings/.*\{action", "action", "network_action"),
]
_BY_NAME = {
    "session_id": "session_with_qa",
    "course_id": "course",
    "tour_id": "tour",
    "exhibitor_id": "exhibitor_a",
    "solution_id": "solution_a",
    "need_id": "need",
    "meeting_id": "meeting_a",
    "user_id": "delegate_b_user",
    "lead_id": "lead_a",
    "question_id": "question",
    "poll_id": "poll",
    "campaign_id": "campaign",
    "message_id": "outbox_message",
    "announcement_id": "announcement",
    "speaker_id": "speaker",
    "room_id": "room",
    "track_id": "track",
    "material_id": "material",
    "block_id": "block_a",
    "invite_id": "invite_b",
    "token_id": "token_a",
    "item_id": "need",
    "kind": "needs",
    "slug": "edition_slug",
    "version": "privacy_version",
    "code": "ja",
    "path": "css/app.css",
    "token": NOT_A_TOKEN,
    "print_id": NO_SUCH_ID,
    "run_id": NO_SUCH_ID,
    "endpoint_id": NO_SUCH_ID,  # the demo registers no webhook endpoint
    "delivery_id": NO_SUCH_ID,
}
_FIXED = {
    "matching_action": "check-in",
    "organizer_matching_action": "interpreter",
    "network_action": "decline",
    "needs": "needs",
    "ja": "ja",
    "css/app.css": "css/app.css",
}


def _value(demo: Demo, key: Any) -> Any:
    ids = demo.ids
    if not isinstance(key, str):
        return key
    if key in _FIXED:
        return _FIXED[key]
    if key == "feed_token":
        return ids["feed_tokens"]["delegate"]
    if key == "delegate_b_user":
        return ids["users"]["delegate_b"]
    if key == "exhibitor_staff_user":
        return ids["users"]["exhibitor"]
    if key in ids:
        return NO_SUCH_ID if ids[key] is None else ids[key]
    return key


def fill(path: str, demo: Demo) -> str:
    """The template with each {name:type} replaced by the id of a real demo object."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        for pattern, param, key in _BY_PATH:
            if param == name and re.search(pattern, path):
                return str(_value(demo, key))
        if name == "path" and path.startswith("/schema/"):
            return "openapi.yaml"
        return str(_value(demo, _BY_NAME.get(name, NO_SUCH_ID)))

    return re.sub(r"\{(\w+):\w+\}", one, path)


# Server-sent events never end: only the status line of these is read (see first_status).
STREAMS = {"/sessions/{session_id:int}/live", "/organizer/checkin/stream", "/now/live"}


async def first_status(app: Litestar, method: str, url: str, headers: dict[str, str]) -> tuple[int, str]:
    """The status (and Location) an endpoint answers with, read from its first message, for responses that never end.

    (The in-process test client waits for the whole body.) The app's lifespan must be running."""
    path, _, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver.local", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"testserver.local")],
    }
    started: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
    disconnect = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not disconnect.is_set() and not getattr(receive, "sent", False):
            receive.sent = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and not started.done():
            location = dict(message.get("headers", [])).get(b"location", b"").decode()
            started.set_result((message["status"], location))

    task = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
    try:
        done, _ = await asyncio.wait({started, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if started.done():
            return started.result()
        if task in done:
            task.result()  # an exception, raised here
        raise TimeoutError(f"{method} {url} did not answer")
    finally:
        disconnect.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # the stream's end is not under test
            await task
