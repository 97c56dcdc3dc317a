"""The participant's matching pages: my meetings (with the recommendations), a person, a meeting, my profile.

My meetings reads its lines live on every request (my_meetings.lines) and renders each line's HTML once per
language, time zone and the values it shows, reused by everyone whose line shows the same (issue #26).
"""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace
from typing import Any

from litestar import Request
from litestar.response import Template
from markupsafe import Markup

from ascc import clock
from ascc.editions import phases
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound
from ascc.matching import meetings, my_meetings, page_state, people, placement, tracking
from ascc.matching import services as matching
from ascc.matching.models import FORMATS, OUTCOMES, PRIORITIES
from ascc.notifications import services as notifications
from ascc.registration import services as registration
from ascc.taxonomy import SECTORS
from ascc.web import DbSession, FragmentCache, page, render, request_lang


async def home(request: Request, db_session: DbSession) -> Template:
    edition = await editions.require_current(db_session)
    user_id = request.user.id
    state = await page_state.viewer_state(db_session, edition.id, user_id)
    if state.no_shows_due:
        await tracking.sweep_no_shows(db_session, edition.id)
    lists = await my_meetings.lines(db_session, edition.id, user_id)
    every = [*lists.incoming, *lists.outgoing, *lists.accepted, *lists.scheduled, *lists.past]
    recommended = await people.recommendations(
        db_session,
        edition.id,
        user_id,
        limit=10,
        settings=state.settings,
        known=people.known_among(every, user_id),
        stamp=state.stamp,
    )
    return page(
        request,
        "matching/home.html",
        edition=edition,
        registered=state.confirmed,
        profile=state.has_profile,
        settings=state.settings,
        recommended=_recommended_html(request, recommended),
        lists=lists,
        shown=_lines_html(request, edition.timezone, lists, user_id),
        limit=state.limit(),
        requests_window=_requests_window(edition),
        open_count=meetings.open_count_among(every, user_id),
        notes=await notifications.unread(db_session, user_id, 10),
    )


def _recommended_html(request: Request, recommended: list) -> Markup:
    """The recommendations' HTML, kept per worker, language and person while people.recommendations returns
    the same list (it makes a new one whenever anything they are computed from changes)."""
    kept = getattr(request.app.state, "recommended_html", None)
    if kept is None:
        kept = request.app.state.recommended_html = OrderedDict()
    key = (request_lang(request), request.user.id)
    found = kept.get(key)
    if found is not None and found[0] is recommended:
        kept.move_to_end(key)
        return found[1]
    html = Markup(render(request, "matching/_recommended.html", recommended=recommended))  # noqa: S704
    kept[key] = (recommended, html)
    if len(kept) > people.RECOMMENDED_KEPT:
        kept.popitem(last=False)
    return html


# Lines of "my meetings" already rendered, per worker (a few hundred bytes each).
LINES_KEPT = 8192


def _lines_html(request: Request, timezone: str, lists: my_meetings.MyLines, me: int) -> dict[str, Markup]:
    """Each list's lines as HTML. A line is rendered once per language, time zone, its values and whether the
    viewer is its requester or its recipient (all that the template reads of the viewer): never per person,
    so people whose line shows the same share it, and any change to a value it shows is a new key."""
    kept = getattr(request.app.state, "meeting_lines", None)
    if kept is None:
        kept = request.app.state.meeting_lines = FragmentCache(size=LINES_KEPT)
    lang = request_lang(request)
    zone = SimpleNamespace(timezone=timezone)  # all the line reads of the edition
    shown = {}
    for name in ("incoming", "outgoing", "accepted", "scheduled", "past"):
        parts = []
        for line in getattr(lists, name):
            key = (lang, timezone, line, line.requester_id == me, line.recipient_id == me)
            html = kept.get(key)
            if html is None:
                html = render(request, "matching/_meeting_line.html", m=line, me=me, edition=zone)
                kept.put(key, html)
            parts.append(html)
        shown[name] = Markup("".join(parts))  # noqa: S704 (our own template, rendered above)
    return shown


async def require_participant(
    request: Request, db_session: DbSession, edition_id: int, confirmed: bool | None = None
) -> None:
    """Who is who (positions, what people offer) is for confirmed participants and organizers only.
    `confirmed`: whether the viewer's registration is, when the caller read it already."""
    if request.user.is_organizer:
        return
    if confirmed is None:
        mine = await registration.my_registration(db_session, edition_id, request.user.id)
        confirmed = mine is not None and mine.status == "confirmed"
    if not confirmed:
        raise DomainError("matching.error.not_registered", "not_registered", status=403)


async def person_page(
    request: Request,
    db_session: DbSession,
    user_id: int,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    edition = await editions.require_current(db_session)
    await require_participant(request, db_session, edition.id)
    card = await people.card_of(db_session, edition.id, user_id)
    if card is None or user_id == request.user.id:
        raise NotFound("person")
    mine = await registration.my_registration(db_session, edition.id, request.user.id)
    both_in_person = mine is not None and mine.mode == card.mode == "in_person"
    return page(
        request,
        "matching/person.html",
        status_code=status_code,
        edition=edition,
        card=card,
        existing=await meetings.open_between(db_session, edition.id, request.user.id, user_id),
        values={"priority": "would_like", **values},
        errors=errors,
        priorities=PRIORITIES,
        formats=FORMATS if both_in_person else ("online", "hybrid"),
        default_format=meetings.default_format(mine.mode if mine else "online", card.mode),
        requests_window=_requests_window(edition),
    )


def _requests_window(edition: editions.Edition) -> phases.Window:
    """Meeting requests now: open until their last day, closed after it (the pages say which)."""
    return phases.meeting_requests(phases.timeline_of(edition), clock.now())


async def meeting_page(
    request: Request,
    db_session: DbSession,
    meeting_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> Template:
    edition = await editions.require_current(db_session)
    await tracking.sweep_no_shows(db_session, edition.id)
    meeting = await meetings.get_meeting(db_session, meeting_id, edition.id)
    user = request.user
    if not await meetings.visible_to(db_session, meeting, user.id, user.is_organizer):
        raise NotFound("meeting")
    settings = await matching.get_settings(db_session, edition.id)
    can_answer = meeting.status == "requested" and await meetings.may_act_for(
        db_session, edition.id, user.id, meeting.recipient_id
    )
    is_requester = await meetings.may_act_for(db_session, edition.id, user.id, meeting.requester_id)
    now = clock.now()
    is_party = user.id in (meeting.requester_id, meeting.recipient_id)
    movable = (
        meeting.status == "scheduled"
        and meeting.slot is not None
        and meeting.slot.starts_at > now
        and (user.is_organizer or is_party or is_requester)
    )
    free: list[Any] = []
    if can_answer or (meeting.status == "accepted" and settings.instant) or movable:
        free = await placement.common_free_slots(db_session, edition.id, meeting)
    feedback = (await tracking.feedback_of(db_session, [meeting.id])).get(meeting.id, [])
    everyone = await people.cards(db_session, edition.id)
    feedback_opens = tracking.feedback_opens(meeting)
    return page(
        request,
        "matching/meeting.html",
        status_code=status_code,
        edition=edition,
        meeting=meeting,
        requester=everyone.get(meeting.requester_id),
        recipient=everyone.get(meeting.recipient_id),
        settings=settings,
        can_answer=can_answer,
        is_requester=is_requester,
        is_party=is_party,
        movable=movable,
        free=free,
        online_room=meetings.is_online(meeting) and meeting.status == "scheduled",
        room_opens=meetings.ROOM_OPENS,
        room_open=meeting.slot is not None
        and meeting.slot.starts_at - meetings.ROOM_OPENS <= now <= meeting.slot.ends_at,
        seconds_to_start=int((meeting.slot.starts_at - now).total_seconds()) if meeting.slot else None,
        feedback_open=feedback_opens is not None and feedback_opens <= now,
        feedback_opens=feedback_opens,
        my_check_in=(
            meeting.requester_checked_in_at
            if user.id == meeting.requester_id
            else meeting.recipient_checked_in_at
            if user.id == meeting.recipient_id
            else None
        ),
        now=now,
        check_in_open=meeting.slot is not None
        and meeting.slot.starts_at - tracking.CHECK_IN_FROM <= now <= meeting.slot.ends_at,
        my_feedback=next((f for f in feedback if f.user_id == user.id), None),
        outcomes=OUTCOMES,
        errors=errors or {},
        values=values or {},
    )


async def profile_page(
    request: Request,
    db_session: DbSession,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    block_values: dict[str, str] | None = None,
) -> Template:
    edition = await editions.require_current(db_session)
    user_id = request.user.id
    if not values:
        found = await matching.get_profile(db_session, edition.id, user_id)
        values = {
            "sectors": found.sectors if found else [],
            "offers": found.offers if found else "",
            "seeks": found.seeks if found else "",
            "meeting_limit": str(found.meeting_limit or "") if found and found.meeting_limit else "",
            "formats": found.formats if found else [],
        }
    busy = (await matching.busy_of(db_session, edition.id, [user_id])).get(user_id, [])
    slots = await matching.all_slots(db_session, edition.id)
    settings = await matching.get_settings(db_session, edition.id)
    card = await people.card_of(db_session, edition.id, user_id)
    return page(
        request,
        "matching/profile.html",
        status_code=status_code,
        edition=edition,
        values=values,
        errors=errors,
        block_values=block_values or {},
        sectors=SECTORS,
        formats=FORMATS,
        busy=busy,
        slots=[(s, matching.clash(s, busy)) for s in slots],
        settings=settings,
        card=card,
        saved=request.query_params.get("saved") == "1",
        mine=await registration.my_registration(db_session, edition.id, user_id),
    )
