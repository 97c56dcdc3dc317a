"""What routes share: Jinja set-up, the whole page or its htmx partial, form errors, the database session."""

from __future__ import annotations

import asyncio
import functools
import typing
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlsplit

import msgspec
from jinja2 import Environment, pass_context
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, dates, i18n
from ascc.errors import DomainError, ValidationFailed
from ascc.i18n import translate

# The request's database session (advanced-alchemy's `db_session` dependency), declared explicitly.
DbSession = NamedDependency[AsyncSession]


def session_turn(db_session: AsyncSession) -> asyncio.Lock:
    """The request's turn on its database session, for dependency providers that query.

    Litestar resolves a handler's independent dependencies at the same time, and SQLAlchemy refuses two
    operations at once on one session ("concurrent operations are not permitted"): a handler declaring both
    `current_edition` and `privacy_version` would fail on PostgreSQL. Each provider that queries holds this."""
    turn = db_session.info.get("ascc_turn")
    if turn is None:
        turn = db_session.info["ascc_turn"] = asyncio.Lock()
    return turn


def request_lang(request: Request) -> str:
    """The page language; also for router errors (404, 405) that no before_request hook has seen."""
    # Read from the scope's state dict: `request.state` builds a new State object on every access, and a page
    # asks for its language once per translated string.
    scope_state = request.scope.get("state")
    # A stand-in reader, such as live.fragment's, carries its language in `state` only.
    lang = scope_state.get("lang") if isinstance(scope_state, dict) else getattr(request.state, "lang", None)
    if lang is None:
        user = request.scope.get("user")
        lang = i18n.negotiate(
            request.cookies.get(i18n.LANG_COOKIE),
            user.preferred_lang if user else None,
            request.headers.get("accept-language"),
        )
        request.state.lang = lang
    return lang


@pass_context
def _viewer(context: Any) -> Any:
    """The signed-in person or None; safe on error pages that no middleware has seen."""
    return context["request"].scope.get("user")


@pass_context
def _t(context: Any, key: str, **params: Any) -> str:
    return translate(request_lang(context["request"]), key, **params)


@pass_context
def _pick(context: Any, obj: Any, field: str) -> str:
    return i18n.pick(obj, field, request_lang(context["request"]))


@pass_context
def _date(context: Any, value: Any, name: str = "date") -> str:
    """A day in one of the named formats of ascc/dates.py, in the reader's language."""
    return dates.format_date(value, request_lang(context["request"]), name)


@pass_context
def _dates(context: Any, first: Any, last: Any, name: str = "date") -> str:
    return dates.date_range(first, last, request_lang(context["request"]), name)


@pass_context
def _when(context: Any, value: Any, tz: Any, name: str = "day_time") -> str:
    """A moment in zone `tz` (the edition's, unless the page offers the viewer's), in a named format."""
    return dates.format_moment(value, request_lang(context["request"]), tz, name)


@pass_context
def _range(context: Any, start: Any, end: Any, tz: Any, name: str = "day_time_range") -> str:
    return dates.format_range(start, end, request_lang(context["request"]), tz, name)


@pass_context
def _zone(context: Any, tz: Any) -> str:
    return dates.zone_label(tz, request_lang(context["request"]))


@pass_context
def _country(context: Any, code: str | None) -> str:
    return i18n.country_name(code, request_lang(context["request"]))


@pass_context
def _countries(context: Any) -> list[tuple[str, str]]:
    return i18n.countries(request_lang(context["request"]))


@pass_context
def _lang_switch_url(context: Any, lang: str) -> str:
    request: Request = context["request"]
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        # A page answering a form post has no address of its own to come back to: go to the form's page.
        referer = urlsplit(request.headers.get("referer", ""))
        here = referer.path if referer.netloc == request.url.netloc and referer.path else "/"
    return f"/lang/{lang}?next={quote(here, safe='/')}"


def configure_engine(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.globals.update(
        t=_t,
        viewer=_viewer,
        pick=_pick,
        fmt_date=_date,
        fmt_dates=_dates,
        fmt_when=_when,
        fmt_range=_range,
        fmt_zone=_zone,
        country=_country,
        countries=_countries,
        lang_url=_lang_switch_url,
    )
    env.globals["request_lang"] = request_lang
    env.globals["clock_now"] = clock.now  # the server's clock (ASCC_NOW in a demo): "offline copy from …"
    env.trim_blocks = True
    env.lstrip_blocks = True


def engine_callback(debug: bool) -> Callable[[JinjaTemplateEngine], None]:
    """Templates are read once in production; with ASCC_DEBUG they are re-read when they change."""

    def configure(engine: JinjaTemplateEngine) -> None:
        configure_engine(engine)
        engine.engine.auto_reload = debug

    return configure


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """Render `<domain>/<name>.html`, or its `_<name>.html` partial for a non-boosted htmx request."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        folder, _, name = template.rpartition("/")
        partial = f"{folder}/_{name}" if folder else f"_{name}"
        if context.pop("_has_partial", True) and _template_exists(request, partial):
            template = partial
    return Template(template, context=context, status_code=status_code)


def _jinja(request: Request) -> Environment:
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)  # app.py configures Jinja
    return engine.engine


def _template_exists(request: Request, name: str) -> bool:
    environment = _jinja(request)
    try:
        environment.get_template(name)
    except Exception:
        return False
    return True


# --- forms -------------------------------------------------------------------------------------------------

# A checkbox group or a multiple select: one ticked value arrives as a string, several as a list.
# Form.__post_init__ makes it a list, so the type checker sees the list that handlers read.
if TYPE_CHECKING:
    Many = list[str]
else:
    Many = list[str] | str


class Form(msgspec.Struct, kw_only=True):
    """A submitted HTML form with a fixed set of fields, declared as `data: URLEncodedBody[SomeForm]`.

    Text fields are `str = ""`: a field the browser did not send is empty, and the service says what is wrong
    with it (the form again, the message beside the field), never a bare 400. `Many` fields (checkboxes,
    multiple selects) are always a list here. Fields not declared (the CSRF token) are ignored."""

    def __post_init__(self) -> None:
        for name in _many_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, [value])

    def values(self, *names: str) -> dict[str, Any]:
        """The fields as a dict (for services that take one, and to fill the form again): all, or these."""
        return {name: getattr(self, name) for name in names or self.__struct_fields__}


@functools.cache
def _many_fields(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(name for name in cls.__struct_fields__ if hints[name] == Many)


def form_struct(name: str, *text_fields: str, many: Iterable[str] = ()) -> type[Form]:
    """A Form of text fields named once in a field list that the route also uses elsewhere (one list per form)."""
    fields: list[tuple[str, Any, Any]] = [(field, str, "") for field in text_fields]
    fields += [(field, Many, []) for field in many]
    return cast("type[Form]", msgspec.defstruct(name, fields, bases=(Form,), kw_only=True))


def form_text(form: Any, name: str) -> str:
    """A text field of a submitted form; a file or anything else sent under that name counts as empty."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_list(form: Any, name: str) -> list[str]:
    """Every text value sent under `name` (checkboxes, multiple selects)."""
    return [v for v in form.getall(name, []) if isinstance(v, str)] if hasattr(form, "getall") else []


def form_values(form: Any, *names: str) -> dict[str, str]:
    return {name: form_text(form, name) for name in names}


def form_errors(request: Request, exc: ValidationFailed) -> dict[str, str]:
    """Field -> message in the request's language, for showing beside each field."""
    lang = request_lang(request)
    return {field: translate(lang, key, **params) for field, (key, params) in exc.errors.items()}


def error_messages(request: Request, exc: DomainError, field: str = "_form") -> dict[str, str]:
    """Field -> message: each field of a ValidationFailed, or any other refusal's message under `field`."""
    if isinstance(exc, ValidationFailed):
        return form_errors(request, exc)
    return {field: translate(request_lang(request), exc.message, **exc.params)}


@dataclass(frozen=True)
class Refusal:
    """A refused form, ready to show: a message per field, the refusal in one line, the status code, and the
    error itself (for pages that translate its catalogue key themselves)."""

    errors: dict[str, str]
    message: str
    status_code: int
    error: DomainError


async def form_again(
    request: Request,
    db_session: AsyncSession,
    exc: DomainError,
    show: str | Callable[[Refusal], Awaitable[Template]],
    *,
    reload: Iterable[Any] = (),
    field: str = "_form",
    status_code: int | None = None,
    **context: Any,
) -> Template:
    """Undo a refused change and show the form again with each message beside its field.

    Nothing of the failed attempt may be committed, so the transaction is rolled back; that expires every
    object the request loaded, so the ones in `reload` (the current edition, say) are read again, and
    anything else the page shows is loaded after this point. `show` is a template, rendered (or its htmx
    partial) with `errors` (see error_messages: a refusal that names no field goes under `field`), `context`
    and the refusal's status code; or an async function that builds the page from the Refusal."""
    await db_session.rollback()
    for row in reload:
        await db_session.refresh(row)
    refusal = Refusal(
        errors=error_messages(request, exc, field),
        message=translate(request_lang(request), exc.message, **exc.params),
        status_code=status_code or exc.status_code,
        error=exc,
    )
    if not isinstance(show, str):
        return await show(refusal)
    return page(request, show, status_code=refusal.status_code, errors=refusal.errors, **context)


def file_response(stored: Any, inline: bool = False, cache: str = "private, max-age=300") -> Response:
    """A stored upload as a download (or inline, for images); the name survives any script via RFC 5987."""
    disposition = "inline" if inline else "attachment"
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={
            "content-disposition": f"{disposition}; filename*=UTF-8''{quote(stored.filename, safe='')}",
            "cache-control": cache,
        },
    )


class FragmentCache:
    """Rendered page fragments, most recently used kept: the agenda's and the directory's hot paths."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple, str] = OrderedDict()
        self._size = size

    def get(self, key: tuple) -> str | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: tuple, value: str) -> None:
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)


def render(request: Request, template: str, **context: Any) -> str:
    """A template rendered to a string (for fragments that are cached and reused across requests)."""
    return _jinja(request).get_template(template).render(request=request, **context)
