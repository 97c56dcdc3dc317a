"""The lines of "my agenda", each rendered once for the values it shows and reused (issue #26).

A line (a saved session, a tour booking, a business meeting) is keyed by exactly what it shows: the released
session with the person's seat, the course with their seat or place on the waiting list, the meeting as read,
whether it clashes, the language and the time zone. Never by who asked: two people in the same situation
share a line, and a line that changes has a new key. Everything is read live on every request; only the
rendering is reused. The CSRF token of the line's form goes in on the way out.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from markupsafe import Markup

from ascc.programme import personal_pages
from ascc.web import render, request_lang

_NEXT = "/my-agenda"


def _key(release_id: Any, kind: str, line: Any, clash: bool) -> tuple:
    if kind == "tour":
        c = line.course
        shown = (
            c.id,
            c.code,
            c.theme_en,
            c.theme_ja,
            c.departs_at,
            c.returns_at,
            c.meeting_point_en,
            c.meeting_point_ja,
        )
        return (kind, *shown, line.status, line.position, clash)
    if kind == "meeting":
        return (kind, line, clash)  # an AgendaMeeting: frozen, all of it shown
    # A session as the release has it (the release id names the published programme), and the seat.
    return (kind, release_id, line.item.id, line.seat, clash)


def lines_html(
    request: Request, release_id: Any, tz: ZoneInfo, days: list[tuple[Any, list[tuple[str, Any, bool]]]]
) -> list[tuple[Any, list[Markup]]]:
    """The agenda's days with each line as HTML, for programme/my_agenda.html."""
    cache = personal_pages._cache(request, "my_agenda_lines", 8192)
    lang, zone = request_lang(request), str(tz)
    token = personal_pages.csrf_token(request)
    result = []
    for day, lines in days:
        rendered = []
        for kind, line, clash in lines:
            key = (lang, zone, *_key(release_id, kind, line, clash))
            html = cache.get(key)
            if html is None:
                html = render(
                    request,
                    "programme/_my_agenda_line.html",
                    kind=kind,
                    line=line,
                    clash=clash,
                    tz=tz,
                    **personal_pages.for_every_visitor(_NEXT),
                )
                cache.put(key, html)
            rendered.append(Markup(html.replace(personal_pages.CSRF_SLOT, token)))  # noqa: S704 (rendered by Jinja)
        result.append((day, rendered))
    return result
