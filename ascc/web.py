"""What routes share: Jinja set-up, the whole page or its htmx partial, form errors, the database session."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import pass_context
from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import i18n
from ascc.errors import ValidationFailed
from ascc.i18n import translate

# The request's database session (advanced-alchemy's `db_session` dependency), declared explicitly.
DbSession = NamedDependency[AsyncSession]


def request_lang(request: Request) -> str:
    """The page language; also for router errors (404, 405) that no before_request hook has seen."""
    lang = getattr(request.state, "lang", None)
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
def _date(context: Any, value: Any, fmt: str = "long") -> str:
    return i18n.format_date(value, request_lang(context["request"]), fmt)


@pass_context
def _when(context: Any, value: Any, tz: str, fmt: str = "short") -> str:
    """A moment in the edition's time zone, in the reader's language ("day_time": weekday, date and time)."""
    lang = request_lang(context["request"])
    if fmt == "day_time":
        fmt = "y年M月d日(E) H:mm" if lang == "ja" else "EEEE d MMMM y, HH:mm"
    return i18n.format_datetime(value, lang, tz, fmt)


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
        fmt_when=_when,
        country=_country,
        countries=_countries,
        lang_url=_lang_switch_url,
    )
    env.globals["request_lang"] = request_lang
    env.trim_blocks = True
    env.lstrip_blocks = True


def engine_callback(debug: bool):
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


def _template_exists(request: Request, name: str) -> bool:
    engine = request.app.template_engine
    try:
        engine.engine.get_template(name)  # type: ignore[union-attr]
    except Exception:
        return False
    return True


def form_text(form: Any, name: str) -> str:
    """A text field of a submitted form; a file or anything else sent under that name counts as empty."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def form_upload(form: Any, name: str) -> tuple[str, bytes] | None:
    """(filename, bytes) of a file chosen in the form under `name`, or None when none was chosen."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value.filename, await value.read()
    return None


def form_list(form: Any, name: str) -> list[str]:
    """Every text value sent under `name` (checkboxes, multiple selects)."""
    return [v for v in form.getall(name, []) if isinstance(v, str)] if hasattr(form, "getall") else []


def form_values(form: Any, *names: str) -> dict[str, str]:
    return {name: form_text(form, name) for name in names}


def form_errors(request: Request, exc: ValidationFailed) -> dict[str, str]:
    """Field -> message in the request's language, for showing beside each field."""
    lang = request_lang(request)
    return {field: translate(lang, key, **params) for field, (key, params) in exc.errors.items()}


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
    return request.app.template_engine.engine.get_template(template).render(request=request, **context)
