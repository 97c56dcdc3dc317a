"""Home page, health check, language switch, the organizers' start page, and what makes the site an
installable app: the web app manifest and the site's service worker (static/js/sw.js)."""

import asyncio
import time
from typing import Annotated

from litestar import Controller, Request, Response, get, head
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from ascc import clock
from ascc.accounts import services as accounts
from ascc.editions import phases
from ascc.front_cache import cacheable
from ascc.i18n import LANGUAGES, translate
from ascc.security import remember_language
from ascc.site import services as site
from ascc.stores import ResilientStore
from ascc.text import safe_next_path
from ascc.web import DbSession, page, request_lang


class SitePages(Controller):
    include_in_schema = False

    # Visitors: answered by ascc.front_cache while the edition, its release and the day are the same.
    @get("/", opt=cacheable("programme"))
    async def home(self, request: Request, db_session: DbSession) -> Template:
        edition = await site.current_edition(db_session)
        # Where the edition stands now: "Registration open until …", "Live now", "Ended on …".
        headline = phases.headline(phases.timeline_of(edition), clock.now()) if edition else None
        return page(request, "site/home.html", edition=edition, headline=headline)

    @get("/lang/{code:str}")
    async def switch_language(
        self,
        request: Request,
        db_session: DbSession,
        code: FromPath[str],
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Redirect:
        """Remember the choice in a cookie (and on the account), then go back to the page."""
        response = Redirect(safe_next_path(next_), status_code=303)
        if code in LANGUAGES:
            remember_language(request, response, code)
            if request.user:
                await accounts.set_preferred_lang(db_session, request.user.id, code)
        return response


class StaticAssets(Controller):
    include_in_schema = False

    @get("/static/{path:path}", cache=False, opt={"exclude_from_csrf": True})
    async def asset(self, request: Request, path: FromPath[str]) -> Response[bytes]:
        return _asset_response(request, path)

    @get("/favicon.ico", cache=False, opt={"exclude_from_csrf": True})
    async def favicon(self, request: Request) -> Response[bytes]:
        """Browsers ask for it at the root whatever the page names."""
        return _asset_response(request, "/img/favicon.ico")


# What the app opens to and offers from its icon (long press): the pages that also open offline.
APP_START = "/my-agenda"
APP_SHORTCUTS = (
    ("programme.my_agenda", "/my-agenda"),
    ("badges.mine", "/badge"),
    ("matching.nav", "/matching"),
)
ICONS = (
    {"src": "/static/img/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "/static/img/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {
        "src": "/static/img/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
)


def app_manifest(lang: str) -> dict:
    """The web app manifest in `lang`. The format has one language per document, so each page links the one of
    its own language (`?lang=`); `id` keeps them one app. Browsers that read the proposed `*_localized`
    members (W3C manifest incubations) get the other language from either document."""
    other = "ja" if lang == "en" else "en"
    return {
        "id": "/",
        "lang": lang,
        "dir": "ltr",
        "name": translate(lang, "site.name"),
        "short_name": translate(lang, "site.short"),
        "description": translate(lang, "app.description"),
        "name_localized": {other: translate(other, "site.name")},
        "short_name_localized": {other: translate(other, "site.short")},
        "description_localized": {other: translate(other, "app.description")},
        "start_url": APP_START,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#005a9c",  # --brand of static/css/app.css: the header
        "icons": list(ICONS),
        "shortcuts": [
            {"name": translate(lang, key), "url": url, "icons": [ICONS[0]]} for key, url in APP_SHORTCUTS
        ],
    }


class AppShell(Controller):
    """The manifest and the service worker: the same for everyone, no session (app._ANONYMOUS_PATHS)."""

    include_in_schema = False

    @get("/manifest.webmanifest", cache=False)
    async def manifest(
        self, request: Request, lang: Annotated[str | None, QueryParameter(name="lang")] = None
    ) -> Response[dict]:
        """Browsers fetch it without cookies: the language comes from the page's link, else Accept-Language."""
        chosen = lang if lang in LANGUAGES else request_lang(request)
        return Response(
            app_manifest(chosen),
            media_type="application/manifest+json",
            headers={"cache-control": "public, max-age=300", "vary": "accept-language"},
        )

    @get("/sw.js", cache=False)
    async def worker(self, request: Request) -> Response[bytes]:
        """At the root, so that its scope may be the whole site; never cached, so an update reaches phones."""
        asset = request.app.state.assets.get("js/sw.js")
        if asset is None:
            raise NotFoundException()
        return Response(asset.body, media_type="text/javascript", headers={"cache-control": "no-cache"})


def _asset_response(request: Request, path: str) -> Response[bytes]:
    asset = request.app.state.assets.get(path)
    if asset is None:
        raise NotFoundException()
    # Vendor libraries are pinned by version; our own CSS/JS are revalidated by ETag.
    cache = "public, max-age=86400" if path.startswith("/vendor/") else "public, max-age=300"
    headers = {"etag": asset.etag, "cache-control": cache}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


async def _database_health(db_session: DbSession) -> dict:
    """The database's part of /health and /health/ready: reachable, and migrated to this code's revision."""
    started = time.perf_counter()
    try:
        status = await site.database_status(db_session)
    except Exception as exc:  # the answer must say what is wrong, not fail
        return {"status": "error", "database": {"ok": False, "error": type(exc).__name__}}
    database = {
        "ok": status.ok,
        "schema": status.schema,
        "expected_schema": status.expected_schema,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if not status.ok:
        return {"status": "error", "database": {**database, "error": "not migrated"}}
    return {"status": "ok", "database": database}


class HealthApi(Controller):
    tags = ["operations"]

    @head("/health", summary="Liveness (for monitors that send HEAD)", include_in_schema=False)
    async def health_head(self) -> None:
        return None

    @get(
        "/health/live",
        summary="Liveness: the process answers (no database; a load balancer restarts on 5xx)",
        cache=False,
    )
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/health/ready",
        summary="Readiness: database migrated, and Redis reachable when configured",
        cache=False,
    )
    async def ready(self, request: Request, db_session: DbSession) -> Response[dict]:
        """A load balancer sends traffic only while this answers 200: a worker whose database or Redis is
        gone answers 503 with what is wrong, and comes back by itself when they return."""
        body = await _database_health(db_session)
        store = request.app.stores.get("cache")
        if isinstance(store, ResilientStore):
            started = time.perf_counter()
            try:  # Redis itself, not the memory that stands in for it while it is away
                await asyncio.wait_for(store.redis.exists("ready-probe"), timeout=2)
                body["redis"] = {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
            except Exception as exc:  # the answer must say what is wrong, not fail
                body["redis"] = {"ok": False, "error": type(exc).__name__}
                body["status"] = "error"
        else:
            body["redis"] = None  # not configured: one worker, memory stores
        return Response(body, status_code=200 if body["status"] == "ok" else 503)

    @get("/health", summary="Liveness and database status", cache=False)
    async def health(self, db_session: DbSession) -> Response[dict]:
        body = await _database_health(db_session)
        return Response(body, status_code=200 if body["status"] == "ok" else 503)
