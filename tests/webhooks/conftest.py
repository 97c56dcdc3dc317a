"""A real HTTP receiver on a local port, a signature check written from docs/webhooks.md, and the matching
world (an edition, city officials, two exhibitors with staff, a matching session) to cause events in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from ascc.exhibitors import services as marketplace
from ascc.webhooks import delivery
from ascc.webhooks import services as webhooks
from tests.matching.conftest import build_matching

SECRET_KEY = "webhook-tests-secret-key-0123456789abcdef"


def verify(secret: str, headers: dict[str, str], body: bytes) -> dict:
    """docs/webhooks.md, "Verifying a delivery", as a receiver would write it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        raise ValueError("too old or too new: a replay?")
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for part in headers["webhook-signature"].split(" "):
        version, _, value = part.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)
    raise ValueError("bad signature")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verified(self, secret: str) -> dict:
        return verify(secret, self.headers, self.body)


class Receiver:
    """An HTTP server in a thread that records every POST and answers `status`; stopped, its port refuses
    connections, and it starts again on the same port."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.received: list[Received] = []
        self.status = 200
        self.hang = threading.Event()  # set: the answer never comes (until the test ends)
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.hang.is_set():
                    receiver.release.wait(10)
                    return
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                self.send_response(receiver.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self.release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self, secret: str) -> list[dict]:
        return [r.verified(secret) for r in self.received]


@pytest.fixture
def receiver():
    box = Receiver()
    box.start()
    yield box
    box.stop()


@pytest.fixture(autouse=True)
def during_the_conference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")


@pytest.fixture
async def world(session) -> SimpleNamespace:
    """build_matching's edition and people, with the two exhibitors (staff_a administers Wakato Sludge,
    staff_b Hibiki Eco Plastics)."""
    w = await build_matching(session)
    w.sludge, _ = await marketplace.require_staff(session, w.edition_id, w.company)
    w.plastics, _ = await marketplace.require_staff(session, w.edition_id, w.other_company)
    return w


async def make_endpoint(session, url: str, events: list[str] | None = None, exhibitor_id: int | None = None):
    """An endpoint and its secret, committed."""
    endpoint = await webhooks.create_endpoint(
        session,
        webhooks.EndpointInput(url=url, events=events or []),
        production=False,
        secret_key=SECRET_KEY,
        actor=None,
        exhibitor_id=exhibitor_id,
    )
    await session.commit()
    return endpoint, webhooks.reveal_secret(endpoint, SECRET_KEY)


async def deliver(session_maker, production: bool = False, **options: Any) -> delivery.Report:
    """One round of the delivery loop, driven directly."""
    return await delivery.deliver_due(session_maker, SECRET_KEY, production, **options)
