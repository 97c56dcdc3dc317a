"""Path and query parameters that no database can take are refused before any handler sees them.

PostgreSQL refuses NUL in text, both databases overflow on integers beyond 64 bits, and a string that is not
valid Unicode cannot be sent to either. Such a value in an address is never meant, and each handler would
otherwise fail on it in its own way (a 500 on PostgreSQL, a pass on SQLite): one middleware answers 400
naming the parameter, on every route. Bodies are checked where they are read (text.clean_line drops control
characters) and, as a last resort, by the handler of the database's DataError (error_handlers.bad_input_handler).
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from ascc.errors import DomainError

INT64 = range(-(2**63), 2**63)
_INTEGER = re.compile(r"[+-]?[0-9]+")


def usable(value: Any) -> bool:
    """Whether a parameter's value can reach a database: text without NUL that encodes as UTF-8 (no lone
    surrogates), an integer within 64 bits."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in INT64
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def integer_parameters(handler: Any) -> frozenset[str]:
    """The names (as the query string spells them) of a handler's parameters declared as integers."""
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        types = {inner.annotation for inner in field.inner_types} if field.is_optional else {field.annotation}
        if int in types:
            kwarg = field.kwarg_definition
            names.add(getattr(kwarg, "name", None) or getattr(kwarg, "query", None) or name)
    return frozenset(names)


def refused_parameter(scope: Scope, integers: frozenset[str]) -> str | None:
    """The name of the first path or query parameter that cannot be used, or None."""
    for name, value in (scope.get("path_params") or {}).items():
        if not usable(value):
            return name
    for name, value in ASGIConnection(scope).query_params.multi_items():
        if not usable(name):
            return "query"  # the name itself cannot be shown
        if not usable(value) or (name in integers and _beyond_int64(value)):
            return name
    return None


def _beyond_int64(text: str) -> bool:
    if not _INTEGER.fullmatch(text):
        return False  # not an integer at all: Litestar's own validation answers
    # int() refuses strings of more than 4,300 digits (a ValueError): count them first.
    return len(text.lstrip("+-").lstrip("0")) > 19 or int(text) not in INT64


class BadInputMiddleware:
    """400 (a page, or JSON naming the field) for a request whose parameters no database can take."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._integers: dict[int, frozenset[str]] = {}  # per route handler, worked out at its first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            handler = scope["route_handler"]
            integers = self._integers.get(id(handler))
            if integers is None:
                integers = self._integers[id(handler)] = integer_parameters(handler)
            if (name := refused_parameter(scope, integers)) is not None:
                raise DomainError("error.bad_parameter", "invalid", field=name, status=400, name=name)
        await self.app(scope, receive, send)
