"""The JSON API's published contract: every answer an operation can give, who may call it, one error body.

Litestar documents an operation's success and a 400 for its parameters. The rest follows from what the app
knows about each route, filled in by `ApiContract` as the routes are registered (the document itself is still
built on first request for it):

- every operation: 400 (bad input), 401 (an unknown or revoked token; no token where a guard needs one),
  503 (the database is away for a moment);
- a guard (`security.GUARD_ROLES`): bearer security, and 403 for the roles it refuses;
- POST, PUT, PATCH, DELETE: 403 (a browser session without its CSRF token) and 409 (a race lost: nothing
  written, try again; `errors.conflict`); a body: 413;
- a path parameter, or the `current_edition` dependency: 404;
- what only the handler knows (a domain rule's 403, 404, 409 or 422) it declares next to its code with
  `responses=errors({409: "already_voted: ...", ...})`; a second success status with `ResponseSpec`.

Every error answer has the body `error_handlers.ErrorOut`. Public operations say `security: []`; those
whose answer depends on who asks (`opt={"auth": "optional"}`) accept either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
    SecurityScheme,
)
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from ascc.error_handlers import ErrorOut
from ascc.security import GUARD_ROLES

BEARER = "bearer"
SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API token: `ascc tokens create EMAIL`, sent as `Authorization: Bearer <token>`.",
    )
}
API_PREFIX = "/api/"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    422: "Refused",
    503: "Unavailable",
}
_RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER), description="Seconds to wait before trying again", required=False
)
HEADERS: dict[int, dict[str, OpenAPIHeader]] = {
    401: {"WWW-Authenticate": OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="`Bearer`")},
    409: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}


def errors(reasons: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """A handler's own error answers, beyond what its route shows: status -> `code: when` (Markdown)."""
    return {status: _error_spec(text) for status, text in reasons.items()}


def _error_spec(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorOut, description=description, generate_examples=False)


class ApiContract(ReceiveRoutePlugin):
    """Completes each operation of the OpenAPI document as its route is registered (see the module's doc)."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema():
                document(handler, route)


def _roles(handler: HTTPRouteHandler, path: str) -> tuple[bool, tuple[str, ...] | None]:
    """(a guard needs a signed-in person, the roles allowed when a guard limits them)."""
    signed_in, roles = False, None
    # The guards as written (resolve_guards() wraps them), from the app down to the handler.
    for guard in (g for layer in handler.ownership_layers for g in layer.guards or ()):
        if guard not in GUARD_ROLES:
            raise ImproperlyConfiguredException(f"{path}: guard {guard!r} is unknown to the API contract")
        signed_in = True
        allowed = GUARD_ROLES[guard]
        if allowed is not None:
            roles = allowed if roles is None else tuple(r for r in roles if r in allowed)
    return signed_in, roles


def document(handler: HTTPRouteHandler, route: HTTPRoute) -> None:
    """Set the handler's error responses and security from its route, guards, method and declarations."""
    signed_in, roles = _roles(handler, route.path)
    if signed_in:
        security: list[dict[str, list[str]]] = [{BEARER: []}]
    elif handler.opt.get("auth") == "optional":
        security = [{}, {BEARER: []}]
    else:
        security = []
    if not route.path.startswith(API_PREFIX):  # pages and files answer errors as pages: only who may call
        handler.operation_class = _operation_class(security, {})
        return

    reasons: dict[int, list[str]] = {
        400: ["`invalid`: a parameter or the body is malformed or of the wrong type (`field`, `extra`)"],
        401: [
            "`not_authenticated`: no token, or an unknown or revoked one"
            if signed_in
            else "`not_authenticated`: a token was sent and is unknown or revoked"
        ],
        503: ["`unavailable`: the database is away for a moment; try again (`Retry-After`)"],
    }
    if roles is not None:
        reasons.setdefault(403, []).append(f"`forbidden`: only for {', '.join(roles)}")
    methods = {str(method) for method in handler.http_methods}
    parameters = handler.parsed_fn_signature.parameters
    if methods & UNSAFE:
        reasons.setdefault(403, []).append("`forbidden`: a browser session's request without its CSRF token")
        reasons.setdefault(409, []).append(
            "`conflict`: a simultaneous change won a race; nothing was written, try again (`Retry-After`)"
        )
        if "data" in parameters:
            reasons.setdefault(413, []).append("`too_large`: the body is too large")
    if route.path_parameters:
        names = ", ".join(f"`{name}`" for name in route.path_parameters)
        reasons.setdefault(404, []).append(f"`not_found`: no such {names}, or not one you may see")
    if "current_edition" in parameters:
        reasons.setdefault(404, []).append("`not_found`: there is no current edition")

    declared = dict(handler.responses or {})
    for status, spec in declared.items():
        if spec.data_container is ErrorOut:
            reasons.setdefault(status, []).append(spec.description)
    responses = {status: spec for status, spec in declared.items() if spec.data_container is not ErrorOut}
    for status, texts in sorted(reasons.items()):
        lines = "\n".join(f"- {text}" for text in dict.fromkeys(texts))
        responses[status] = _error_spec(f"{TITLES.get(status, 'Error')}:\n\n{lines}")
    handler.responses = responses
    handler.operation_class = _operation_class(security, {s: h for s, h in HEADERS.items() if s in reasons})


def _operation_class(
    security: list[dict[str, list[str]]], headers: dict[int, dict[str, OpenAPIHeader]]
) -> type[Operation]:
    """Litestar leaves out an empty `security` (a public operation under the document's bearer default) and
    any headers of the error responses: this operation class puts them in as the document is built."""

    class ContractOperation(Operation):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.security = [dict(requirement) for requirement in security]
            for status, named in headers.items():
                response = (self.responses or {}).get(str(status))
                if isinstance(response, OpenAPIResponse):
                    response.headers = {**(response.headers or {}), **named}

    return ContractOperation
