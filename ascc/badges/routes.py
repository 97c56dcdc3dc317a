"""Pages: my badge (on screen, to download) and the check-in page for staff, made for a phone."""

import base64
import functools
from collections.abc import Awaitable, Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Template
from markupsafe import Markup

from ascc import clock
from ascc.badges import checkin
from ascc.badges import services as badges
from ascc.editions import services as editions
from ascc.i18n import translate
from ascc.registration import services as registration
from ascc.security import requires_login, requires_role
from ascc.web import DbSession, FragmentCache, page, render, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]


class BadgePages(Controller):
    path = "/badge"
    include_in_schema = False
    guards = [requires_login]

    @get("/", name="badges.mine")
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        badge = await badges.my_badge(db_session, current_edition.id, request.user.id)
        return page(request, "badges/mine.html", edition=current_edition, badge=badge)


def provide_badge_holder() -> Callable[..., Awaitable[tuple]]:
    """Whom a scanned badge names, judged as at the door: for exhibitors' lead scanning (wired in app.py)."""
    return checkin.identify


@functools.lru_cache(maxsize=8)  # per language: the words are fixed for the life of the process
def checkin_labels(lang: str) -> dict[str, dict[str, str]]:
    """The words the check-in script shows beside a verdict, in the page's language: why a scan is refused and
    the person's category (static/js/checkin.js reads them from the page; the API answers with codes)."""
    return {
        "reason": {r: translate(lang, f"checkin.reason.{r}") for r in checkin.REASONS},
        "category": {c: translate(lang, f"category.{c}") for c in registration.CATEGORIES},
    }


# The check-in page's lists of places (hundreds of sessions), rendered once per language and list: the lists are
# read on every request, so a change shows at once; only their HTML is reused while they stay the same.
_place_selects = FragmentCache(size=32)


def _places_html(request: Request, edition: editions.Edition, places: dict[str, list]) -> Markup:
    lang = request_lang(request)
    key = (lang, edition.timezone, tuple((kind, tuple(items)) for kind, items in places.items()))
    html = _place_selects.get(key)
    if html is None:
        html = render(request, "badges/_checkin_places.html", edition=edition, places=places)
        _place_selects.put(key, html)
    return Markup(html)  # noqa: S704 (our own template, rendered just above)


def _public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


class CheckInPages(Controller):
    path = "/checkin"
    include_in_schema = False
    guards = [requires_role("checkin", "organizer")]

    @get("/")
    async def scanner(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        key = await badges.verify_key(db_session, current_edition.id)
        places = {
            kind: await checkin.places(db_session, current_edition.id, kind)
            for kind in ("session", "tour", "meeting")
        }
        return page(
            request,
            "badges/checkin.html",
            edition=current_edition,
            public_key=_public_key_text(key),
            server_now=int(clock.now().timestamp() * 1000),
            place_selects=_places_html(request, current_edition, places),
            labels=checkin_labels(request_lang(request)),
            _has_partial=False,
        )


class CheckInOfflineWorker(Controller):
    """The check-in page's service worker (static/js/checkin-sw.js): keeps the page and its scripts, so a phone
    that reloads the page without network still checks badges. Served here, not under /static/, because a
    worker may only control pages below its own address unless this header widens it to /checkin."""

    path = "/checkin/sw.js"
    include_in_schema = False

    @get("/", cache=False)
    async def worker(self, request: Request) -> Response[bytes]:
        asset = request.app.state.assets.get("js/checkin-sw.js")
        if asset is None:
            raise NotFoundException()
        return Response(
            asset.body,
            media_type="text/javascript",
            headers={"Service-Worker-Allowed": "/checkin", "Cache-Control": "no-cache"},
        )
