"""A session page as a signed-in person sees it, from parts rendered once and reused (issue #26).

The page is the part every signed-in person with the same role sees (rendered once per release, language,
materials and streams) with three personal parts put in: the save button, the clashes (and an error), and the
seat box. Those parts depend only on the values in their key (saved, seat, counts, refusal, clashes), never on
who asked, so people in the same situation share them. Every personal fact is read live on every request, in
one statement (personal.session_marks); only the rendering is reused.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.programme import personal
from ascc.programme import services as programme
from ascc.programme.schedule import Item
from ascc.web import FragmentCache, render, request_lang

# Stands for the visitor's CSRF token in cached pages; replaced on the way out.
CSRF_SLOT = "@@ascc-csrf-token@@"
# Where the personal parts go in a signed-in session page (programme/session.html reads `slots`).
PARTS = ("save", "notes", "signup")
SLOTS = {name: Markup(f"@@ascc-session-{name}@@") for name in PARTS}  # noqa: S704 (constant markers)


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token; "" when the CSRF middleware let the request through (a Bearer token),
    where the token is Empty, which is truthy (`or ""` let it through into the page)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def for_every_visitor(next_path: str) -> dict[str, Any]:
    """Template values of a page rendered once for many people: the CSRF slot, and a language switch that
    comes back to `next_path` (not to the address the first visitor typed)."""
    return {
        "csrf_token": lambda: CSRF_SLOT,
        "csrf_input": Markup('<input type="hidden" name="_csrf_token" value="{}">').format(CSRF_SLOT),
        "lang_url": lambda lang: f"/lang/{lang}?next={next_path}",
    }


def _cache(request: Request, name: str, size: int) -> FragmentCache:
    cache = getattr(request.app.state, name, None)
    if cache is None:
        cache = FragmentCache(size=size)
        setattr(request.app.state, name, cache)
    return cache


async def session_page(
    request: Request,
    db_session: AsyncSession,
    streamed_channels: Any,
    current: programme.Programme,
    item: Item,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """A published session with what the signed-in viewer can do in it: save it, take a seat, see clashes."""
    assert current.schedule is not None and request.user is not None  # the item is published; signed in
    user, edition, schedule = request.user, current.edition, current.schedule
    marks = await personal.session_marks(db_session, user.id, edition.id, item.id)
    materials = await programme.available_materials(db_session, edition, item.id)
    streamed = tuple((await streamed_channels(db_session, [item.id])).get(item.id, []))
    over = item.ends_at <= clock.now()
    lang = request_lang(request)
    context: dict[str, Any] = {"item": item, "edition": edition, "tz": schedule.zone, "over": over}

    # What every signed-in person with this role sees. base.html reads only the role and whether the request
    # came with a token of the viewer: a page showing more of them (a name) must add it to this key.
    shells = _cache(request, "signed_in_sessions", 4096)
    shell_key = (
        current.release_id,
        edition.updated_at,  # the page shows the edition's name
        lang,
        item.id,
        over,
        user.role,
        user.via_token,
        tuple((m.id, m.title, m.kind, m.available_until) for m in materials),
        streamed,
    )
    shell = shells.get(shell_key)
    if shell is None:
        shell = render(
            request,
            "programme/session.html",
            **context,
            materials=materials,
            streamed=streamed,
            slots=SLOTS,
            **for_every_visitor(f"/sessions/{item.id}"),
        )
        shells.put(shell_key, shell)

    seat = marks.seat
    clashes = [
        other
        for other_id in sorted(marks.saved - {item.id})
        if (other := schedule.by_id.get(other_id)) and other.status != "cancelled" and other.overlaps(item)
    ]
    refusal = None
    if item.signup and seat is None:
        found = programme.refusal_for(item, marks.registration)
        if found is not None and found.code in ("not_registered", "online_registration"):
            refusal = found.code
    counts = marks.counts if item.signup else None
    saved = item.id in marks.saved
    parts = _cache(request, "signed_in_session_parts", 4096)
    key = (
        current.release_id,
        lang,
        item.id,
        over,
        saved,
        seat,
        counts,
        refusal,
        tuple(c.id for c in clashes),
        error,
    )
    html = shell
    for name in PARTS:
        part = parts.get((name, *key))
        if part is None:
            part = render(
                request,
                f"programme/_session_{name}.html",
                **context,
                saved=saved,
                seat=seat,
                counts=counts,
                refusal=refusal,
                clashes=clashes,
                error=error,
                **for_every_visitor(f"/sessions/{item.id}"),
            )
            parts.put((name, *key), part)
        html = html.replace(SLOTS[name], part)
    html = html.replace(CSRF_SLOT, csrf_token(request))
    return Response(
        html, status_code=status_code, media_type="text/html", headers={"cache-control": "private, no-cache"}
    )
