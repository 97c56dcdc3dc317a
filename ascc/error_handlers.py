"""How domain errors and HTTP errors are shown: a page in the person's language, or a 4xx JSON body.

A person sees a page or a form message in their language; an API client gets a JSON body naming the field
and the reason. The errors themselves are in `ascc.errors`, which services import without the web framework.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

import msgspec
from litestar import Response
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from sqlalchemy.exc import DataError

from ascc.errors import DomainError, ValidationFailed, conflict, database_unavailable
from ascc.i18n import translate
from ascc.text import safe_next_path
from ascc.uploads import megabytes
from ascc.web import request_lang

log = logging.getLogger("ascc.errors")  # the name it has always logged under


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    """One refused field or parameter of a request."""

    field: str  # the body field (dotted for nested ones) or the parameter's name; "" for the whole body
    reason: str  # in the reader's language for the domain's checks; the parser's English for types
    source: str | None = None  # body, query, path, header or cookie, when the parser knows


class ErrorOut(msgspec.Struct, omit_defaults=True):
    """Every 4xx and 5xx of the JSON API has this body (the OpenAPI document's one error schema)."""

    status_code: int
    error: (
        str  # a stable code: invalid, not_authenticated, forbidden, not_found, conflict, or the domain's own
    )
    detail: str  # what went wrong, in the reader's language where the app wrote it
    field: str | None = None  # the (first) field at fault
    extra: list[ErrorDetail] = []  # every field at fault, when there are several


def _is_api(request: Any) -> bool:
    return request.url.path.startswith("/api/")


def _json(
    status: int, code: str, detail: str, field: str | None = None, extra: list[ErrorDetail] | None = None
) -> Any:
    body = ErrorOut(status_code=status, error=code, detail=detail, field=field or None, extra=extra or [])
    return Response(body, status_code=status, media_type="application/json")


def _parser_details(extra: Any) -> list[ErrorDetail]:
    """Litestar's validation messages ({"message", "key", "source"}) as the API's error details."""
    if not isinstance(extra, list):
        return []
    return [
        ErrorDetail(
            field=str(item.get("key") or ""),
            reason=str(item.get("message") or ""),
            source=str(item["source"]) if item.get("source") else None,
        )
        for item in extra
        if isinstance(item, dict)
    ]


def _page(request: Any, status: int, title_key: str, message: str) -> Any:
    return Template(
        "errors/error.html",
        context={"status": status, "title_key": title_key, "message": message},
        status_code=status,
    )


def domain_error_handler(request: Any, exc: DomainError) -> Any:
    lang = request_lang(request)
    detail = translate(lang, exc.message, **exc.params)
    if _is_api(request):
        extra = None
        if isinstance(exc, ValidationFailed):
            extra = [ErrorDetail(f, translate(lang, k, **p)) for f, (k, p) in exc.errors.items()]
        return _json(exc.status_code, exc.code, detail, exc.field, extra)
    title = {404: "error.404_title", 403: "error.403_title"}.get(exc.status_code, "error.generic_title")
    return _page(request, exc.status_code, title, detail)


def bad_input_handler(request: Any, exc: Exception) -> Any:
    """Input that breaks a parser or a column (a 20-digit id, JSON nested 100,000 deep, NUL in a form field on
    PostgreSQL): the client's fault. The transaction is rolled back (a 4xx never commits), so nothing is
    half-written. The database's own refusal (SQLSTATE class 22, "data exception") is logged with its reason
    as a warning: a value our code computed could also be at fault."""
    if isinstance(exc, DataError):
        reason = str(exc).splitlines()[0][:300]
        log.warning("the database refused a value on %s %s: %s", request.method, request.url.path, reason)
    else:
        log.info("bad input on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    lang = request_lang(request)
    if _is_api(request):
        return _json(400, "invalid", translate(lang, "error.400_text"))
    return _page(request, 400, "error.generic_title", translate(lang, "error.400_text"))


def http_exception_handler(request: Any, exc: Any) -> Any:
    """Litestar's HTTP errors: 401 sends people to sign in; 403/404/405/429 get a friendly page."""
    status = getattr(exc, "status_code", 500)
    lang = request_lang(request)
    if _is_api(request):
        if isinstance(exc, ValidationException):
            details = _parser_details(exc.extra)
            return _json(400, "invalid", str(exc.detail), details[0].field if details else None, details)
        code = {
            400: "invalid",
            401: "not_authenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            415: "unsupported_media_type",
            429: "rate_limited",
        }.get(status, "http_error")
        response = _json(status, code, str(getattr(exc, "detail", "")) or code)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        _copy_allow(exc, response)
        _copy_rate_limit(exc, response)
        return response
    if isinstance(exc, NotAuthorizedException):
        target = safe_next_path(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        )
        return Redirect(f"/login?next={quote(target, safe='/')}", status_code=303)
    if status == 404:
        return _page(request, 404, "error.404_title", translate(lang, "error.404_text"))
    if status == 403:
        key = "error.csrf_text" if "CSRF" in str(getattr(exc, "detail", "")) else "error.403_text"
        return _page(request, 403, "error.403_title", translate(lang, key))
    if status == 429:
        response = _page(request, 429, "error.429_title", translate(lang, "error.429_text"))
        _copy_rate_limit(exc, response)
        return response
    if status == 405:
        response = _page(request, 405, "error.generic_title", translate(lang, "error.405_text"))
        _copy_allow(exc, response)
        return response
    if status == 400:
        return _page(request, 400, "error.generic_title", translate(lang, "error.400_text"))
    if status == 413:
        return _too_large(request, lang)
    if status >= 500:
        return internal_error_handler(request, exc)
    return _page(request, status, "error.generic_title", translate(lang, "error.400_text"))


def _too_large(request: Any, lang: str) -> Any:
    """An upload far over its limit (`ascc.uploads`): the limit, and a way back to the form, which the browser
    keeps with what was typed (history.back(), static/js/app.js; without JavaScript the form's address)."""
    max_bytes = (getattr(request.route_handler, "opt", None) or {}).get("upload_max_bytes")
    if not max_bytes:
        return _page(request, 413, "error.generic_title", translate(lang, "error.413_text"))
    referer = urlsplit(request.headers.get("referer", ""))
    back = referer.path + (f"?{referer.query}" if referer.query else "")
    return Template(
        "errors/error.html",
        context={
            "status": 413,
            "title_key": "error.413_title",
            "message": translate(lang, "error.413_upload_text", max_mb=megabytes(max_bytes)),
            "back": safe_next_path(back) if referer.netloc == request.url.netloc else "/",
        },
        status_code=413,
    )


def _copy_allow(exc: Any, response: Any) -> None:
    allow = (getattr(exc, "headers", None) or {}).get("allow")
    if allow:
        response.headers["Allow"] = allow


def _copy_rate_limit(exc: Any, response: Any) -> None:
    """Keep the limiter's RateLimit-* headers on a 429 and say when to come back (Retry-After)."""
    headers = getattr(exc, "headers", None) or {}
    for name, value in headers.items():
        if name.lower().startswith("ratelimit-"):
            response.headers[name] = str(value)
            if name.lower() == "ratelimit-reset":
                response.headers["Retry-After"] = str(value)


def _unavailable(request: Any, exc: Exception) -> Any:
    """503 with Retry-After while the database is away."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    lang = request_lang(request)
    if _is_api(request):
        response = _json(503, "unavailable", translate(lang, "error.503_text"))
    else:
        response = _page(request, 503, "error.503_title", translate(lang, "error.503_text"))
    response.headers["Retry-After"] = "5"
    return response


def _conflict(request: Any, exc: Exception) -> Any:
    """409 with Retry-After: nothing was written (the transaction rolls back), and trying again works."""
    log.warning("conflict on %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0][:300])
    lang = request_lang(request)
    if _is_api(request):
        response = _json(409, "conflict", translate(lang, "error.conflict_text"))
    else:
        response = _page(request, 409, "error.generic_title", translate(lang, "error.conflict_text"))
    response.headers["Retry-After"] = "1"
    return response


def internal_error_handler(request: Any, exc: Exception) -> Any:
    if database_unavailable(exc):  # the driver's own errors too: asyncpg raises "starting up" unwrapped
        return _unavailable(request, exc)
    if conflict(exc):
        return _conflict(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    lang = request_lang(request)
    if _is_api(request):
        return _json(500, "internal_error", translate(lang, "error.500_text"))
    return _page(request, 500, "error.500_title", translate(lang, "error.500_text"))
