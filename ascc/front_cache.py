"""Anonymous GETs of the public pages and exports, answered from the response the normal path gave before.

A route opts in with `opt=cacheable("name")`; app.py maps each name to a *version* function (the release, the
edition, the marketplace's data version, the day ...) that reads only the worker's own caches. For a GET without
a session cookie or an Authorization header, this middleware (the outermost of the route's stack) looks up the
response kept under (address, query, language chosen as i18n chooses it, htmx headers, host) and, if its
version is still the current one, sends it without running the session, auth, CSRF middleware or the handler.
Otherwise the request takes the normal path; a 200 answer is kept (the visitor's CSRF token cut out of the
body) and, kept or not, every answer of such a route is sent from what was kept, so a first and a later visitor
get the same bytes.

What each visitor gets of their own: their CSRF token (their `ascc_csrf` cookie when it is one this site
signed, else a new one with the cookie the CSRF middleware would set), and the ETag that goes with it; a browser
holding that ETag gets 304. Pages holding a token are `private, no-cache` and vary on Accept-Language and
Cookie, so no shared cache keeps one visitor's token for another. A handler may say how long its answer holds
(live data: `keep_while`). Each worker keeps its own copies, bounded in entries and bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

from litestar._parsers import parse_cookie_string
from litestar.config.csrf import CSRFConfig
from litestar.datastructures.cookie import Cookie
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from ascc import i18n

FRONT = "front_cache"  # the route's opt key: the name of its version function
FRESH = "ascc.front_fresh"  # scope key a handler sets: a check that its answer still holds (keep_while)
# Stands for the visitor's CSRF token in pages rendered once for every visitor (as programme.routes does).
CSRF_SLOT = b"@@ascc-csrf-token@@"
_TOKEN = re.compile(rb"[0-9a-f]{128}")
_HTMX = frozenset({b"hx-request", b"hx-boosted", b"hx-history-restore-request"})  # what page() reads
_PAGE_HEADERS = ((b"vary", b"Accept-Language, Cookie"), (b"cache-control", b"private, no-cache"))

Version = Callable[[Any, Scope], Awaitable[Hashable]]


def cacheable(name: str) -> dict[str, str]:
    """The route opt that lets the front cache answer anonymous GETs; `name` is a version in app.py's map."""
    return {FRONT: name}


def keep_while(scope: Scope, fresh: Callable[[], bool]) -> None:
    """The handler's answer (of live data) may be sent again only while `fresh()` says so."""
    cast("dict[str, Any]", scope)[FRESH] = fresh


def visitor_etag(digest: str, token: str) -> str:
    """The ETag of a page rendered for every visitor (`digest`) as it carries one visitor's token."""
    return f'"{digest}-{hashlib.blake2b(token.encode(), digest_size=6).hexdigest()}"'


def page_digest(slotted: bytes) -> str:
    return hashlib.blake2b(slotted, digest_size=12).hexdigest()


def held(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): a proxy may have turned the tag into W/"..."; "*" holds any."""
    return (
        etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        or if_none_match.strip() == "*"
    )


@dataclass
class Entry:
    version: Hashable
    fresh: Callable[[], bool] | None
    parts: list[bytes]  # the body cut at the token: joined with each visitor's token
    headers: list[tuple[bytes, bytes]]  # the handler's, in order; the ETag at ETAG_AT
    etag: str | None  # fixed, or None: made per visitor from digest and token
    digest: str
    csrf: bool  # the route is CSRF-protected: each visitor has (or is given) a token
    size: int


class Store:
    """The kept answers of one worker, least recently used dropped first."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.enabled = True
        self._items: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Entry | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if not self.enabled or entry.size > self.max_bytes // 4:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._items[key] = entry
        self._bytes += entry.size
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= dropped.size

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


@dataclass(frozen=True)
class Visitor:
    key: tuple
    cookie_token: str | None  # a token this site signed, from the visitor's ascc_csrf cookie
    lang: str
    if_none_match: str


class FrontCacheMiddleware:
    """See the module's docstring; `versions` maps the routes' names to their version functions. The kept
    answers are the application state's `front_cache` (a Store), so that they go with the state."""

    def __init__(self, app: ASGIApp, versions: dict[str, Version], csrf: CSRFConfig) -> None:
        self.app = app
        self.versions = versions
        self.csrf = csrf
        self._secret = csrf.secret.encode()
        probe = "0" * 128
        cookie = Cookie(
            key=csrf.cookie_name,
            value=probe,
            path=csrf.cookie_path,
            secure=csrf.cookie_secure,
            httponly=csrf.cookie_httponly,
            samesite=csrf.cookie_samesite,
            domain=csrf.cookie_domain,
        ).to_header(header="")
        self._cookie_prefix, self._cookie_suffix = (part.encode() for part in cookie.split(probe, 1))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["route_handler"].opt.get(FRONT) if scope["type"] == "http" else None
        store: Store | None = scope["litestar_app"].state.get("front_cache") if name else None
        if name is None or store is None or not store.enabled or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        visitor = self._visitor(scope)
        if visitor is None:  # signed in, an API token, or a cookie this cache does not read the same way
            await self.app(scope, receive, send)
            return
        version = await self.versions[name](scope["litestar_app"], scope)
        entry = store.get(visitor.key)
        if entry is not None and entry.version == version and (entry.fresh is None or entry.fresh()):
            store.hits += 1
            await self._send(entry, visitor, send)
            return
        store.misses += 1
        await self._fill(scope, receive, send, visitor, version, store)

    def _visitor(self, scope: Scope) -> Visitor | None:
        cookie = accept = if_none_match = ""
        host = b""
        htmx: list[bytes] = []
        for header, value in scope["headers"]:
            if header == b"cookie":
                cookie = f"{cookie}; {value.decode('latin-1')}" if cookie else value.decode("latin-1")
            elif header == b"authorization":
                return None
            elif header == b"accept-language":
                accept = value.decode("latin-1")
            elif header == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif header == b"host":
                host = value
            elif header in _HTMX:
                htmx.append(header + b":" + value)
        cookies = parse_cookie_string(cookie) if cookie else {}
        if any(name.startswith("ascc_session") for name in cookies):
            return None
        token = cookies.get(self.csrf.cookie_name)
        if token is not None and not self._signed(token):
            return None  # the normal path puts any cookie value into the page: let it
        lang = i18n.negotiate(cookies.get(i18n.LANG_COOKIE), None, accept)
        key = (
            scope["path"],
            scope["query_string"],
            lang,
            tuple(sorted(htmx)),
            host,
            scope["scheme"],
            scope.get("root_path", ""),
        )
        return Visitor(key, token, lang, if_none_match)

    def _signed(self, token: str) -> bool:
        """A token the CSRF middleware made with this site's secret (64 hex characters and their HMAC)."""
        if not _TOKEN.fullmatch(token.encode()):
            return False
        expected = hmac.digest(self._secret, token[:64].encode(), "sha256").hex()  # as Litestar signs it
        return hmac.compare_digest(expected, token[64:])

    async def _fill(
        self, scope: Scope, receive: Receive, send: Send, visitor: Visitor, version: Hashable, store: Store
    ) -> None:
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        if visitor.if_none_match:
            # The handler's whole answer, to keep (a 304 could not be); whether this visitor gets 304 is decided
            # below, as for a kept answer. Else a browser holding the page would never let it be kept again.
            scope["headers"] = [(name, value) for name, value in scope["headers"] if name != b"if-none-match"]
        await self.app(scope, receive, capture)
        entry = self._entry(scope, messages, visitor, version)
        if entry is None:
            for message in messages:
                await send(message)
            return
        store.put(visitor.key, entry)
        token = ScopeState.from_scope(scope).csrf_token
        await self._send(entry, visitor, send, token if isinstance(token, str) else None)

    def _entry(
        self, scope: Scope, messages: list[Message], visitor: Visitor, version: Hashable
    ) -> Entry | None:
        """What the normal path answered, to keep: a whole 200 to a visitor, with nothing of theirs but the
        token and its cookie; None when the answer is not one to keep (the caller sends it as it is)."""
        if not messages or messages[0]["type"] != "http.response.start" or messages[0]["status"] != 200:
            return None
        if scope.get("user") is not None or scope.get("state", {}).get("lang", visitor.lang) != visitor.lang:
            return None
        body = b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")
        made = ScopeState.from_scope(scope).csrf_token
        csrf = isinstance(made, str)
        token = made if isinstance(made, str) else ""
        if csrf and (not self._signed(token) or visitor.cookie_token not in (None, token)):
            return None
        headers: list[tuple[bytes, bytes]] = []
        etag: str | None = None
        for name, value in messages[0].get("headers", []):
            lowered = name.lower()
            if lowered == b"set-cookie":
                if csrf and value.startswith(self._cookie_prefix + token.encode()):
                    continue  # made again for each visitor
                return None  # a cookie of this visitor's own
            if lowered == b"etag":
                etag = value.decode("latin-1")
                continue
            headers.append((lowered, value))
        parts = body.split(token.encode()) if csrf else [body]
        slotted = CSRF_SLOT.join(parts)
        digest = page_digest(slotted)
        if len(parts) > 1:
            etag = None  # it names the token: made per visitor
            present = {name for name, _ in headers}
            headers = [(n, v) for n, v in _PAGE_HEADERS if n not in present] + headers
        elif etag is None:
            etag = f'"{digest}"'
        return Entry(
            version=version,
            fresh=scope.get(FRESH),  # type: ignore[arg-type]
            parts=parts,
            headers=headers,
            etag=etag,
            digest=digest,
            csrf=csrf,
            size=len(body) + 512,
        )

    async def _send(self, entry: Entry, visitor: Visitor, send: Send, made: str | None = None) -> None:
        token = visitor.cookie_token or made or (generate_csrf_token(self.csrf.secret) if entry.csrf else "")
        etag = entry.etag or visitor_etag(entry.digest, token)
        status = 304 if held(visitor.if_none_match, etag) else 200
        body = token.encode().join(entry.parts) if status == 200 else b""
        headers = [(b"etag", etag.encode())]
        for name, value in entry.headers:
            if name == b"content-length":
                if status == 200:
                    headers.append((name, str(len(body)).encode()))
            elif status == 200 or name != b"content-type":
                headers.append((name, value))
        if entry.csrf and visitor.cookie_token is None:
            headers.append((b"set-cookie", self._cookie_prefix + token.encode() + self._cookie_suffix))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
