"""Business matching pages for participants: recommendations, people, requests, meetings, profile, schedule."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from ascc import clock, dates
from ascc.editions import phases
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import translate
from ascc.matching import (
    invitations,
    meeting_requests,
    meetings,
    page_state,
    people,
    placement,
    printouts,
    tracking,
)
from ascc.matching import services as matching
from ascc.matching.models import FORMATS, OUTCOMES, PRIORITIES
from ascc.notifications import services as notifications
from ascc.programme.agenda import AgendaMeeting
from ascc.registration import services as registration
from ascc.security import requires_login
from ascc.taxonomy import SECTORS
from ascc.web import DbSession, FragmentCache, form_errors, form_list, form_values, page, render, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

# Online rooms are built on matching: the signed link into a meeting's room (opened by /online/go) comes in
# from app.py (online.routes.provide_room_link), called as room_link(secret, meeting id, user id, now).
RoomLink = NamedDependency[Callable[[str, int, int, datetime], str]]


def provide_agenda_meetings() -> Callable[..., Awaitable[list[AgendaMeeting]]]:
    """A person's meetings with a time, for the programme's "my agenda" page (wired in app.py)."""
    return invitations.agenda_meetings


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


async def _home(request: Request, db_session: DbSession) -> Template:
    edition = await editions.require_current(db_session)
    user_id = request.user.id
    state = await page_state.viewer_state(db_session, edition.id, user_id)
    if state.no_shows_due:
        await tracking.sweep_no_shows(db_session, edition.id)
    lists = await tracking.mine(db_session, edition.id, user_id)
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


class MatchingPages(Controller):
    path = "/matching"
    include_in_schema = False
    guards = [requires_login]

    @get("/")
    async def home(self, request: Request, db_session: DbSession) -> Template:
        return await _home(request, db_session)

    @post("/notifications/read")
    async def read_notifications(self, request: Request, db_session: DbSession) -> Redirect:
        await notifications.mark_all_read(db_session, request.user.id)
        return Redirect("/matching", status_code=303)

    @get("/people")
    async def directory(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        q: FromQuery[str] = "",
        category: FromQuery[str] = "",
        sector: FromQuery[str] = "",
    ) -> Template:
        state = await page_state.viewer_state(db_session, current_edition.id, request.user.id)
        await _require_participant(request, db_session, current_edition.id, state.confirmed)
        stamp, cards = await people.directory_listing(
            db_session,
            current_edition.id,
            request.user.id,
            q[:100],
            category,
            sector,
            settings=state.settings,
            stamp=state.stamp,
        )
        return page(
            request,
            "matching/people.html",
            edition=current_edition,
            people_list=_people_list(request, stamp, cards[:200]),
            total=len(cards),
            query={"q": q[:100], "category": category, "sector": sector},
            categories=matching.CATEGORIES,
            sectors=SECTORS,
        )

    @get("/people/{user_id:int}")
    async def person(self, request: Request, db_session: DbSession, user_id: FromPath[int]) -> Template:
        return await _person_page(request, db_session, user_id, {}, {})

    @post("/people/{user_id:int}/request")
    async def send_request(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition, user_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = form_values(form, "message", "priority", "format", "interpreter_needed")
        values["recipient_id"] = user_id
        try:
            meeting = await meeting_requests.send_request(
                db_session, current_edition, request.user.id, values, _base(request)
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _person_page(request, db_session, user_id, values, form_errors(request, exc), 422)
        except DomainError as exc:
            await db_session.rollback()
            errors = {"form": translate(request_lang(request), exc.message, **exc.params)}
            return await _person_page(request, db_session, user_id, values, errors, exc.status_code)
        return Redirect(f"/matching/meetings/{meeting.id}", status_code=303)

    @get("/meetings/{meeting_id:int}")
    async def meeting(self, request: Request, db_session: DbSession, meeting_id: FromPath[int]) -> Template:
        return await _meeting_page(request, db_session, meeting_id)

    @get("/meetings/{meeting_id:int}/join")
    async def join(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        meeting_id: FromPath[int],
        room_link: RoomLink,
    ) -> Redirect:
        """Into the meeting's video room through a fresh short-lived signed link (see /online/go)."""
        now = clock.now()
        await meetings.room_address(
            db_session, current_edition.id, meeting_id, request.user.id, request.user.is_organizer, now
        )
        settings = request.app.state.settings
        return Redirect(
            room_link(settings.secret_key, meeting_id, request.user.id, now),
            status_code=303,
        )

    @post("/meetings/{meeting_id:int}/{action:str}")
    async def act(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        meeting_id: FromPath[int],
        action: FromPath[str],
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = form_values(form, "answer", "slot_id", "outcome", "note", "needed")
        values["follow_up"] = form_list(form, "follow_up")
        user = request.user
        base = _base(request)
        try:
            if action in ("accept", "decline", "propose"):
                await meeting_requests.answer(
                    db_session, current_edition, meeting_id, user.id, action, values, base
                )
            elif action == "take-proposal":
                await meeting_requests.take_proposal(db_session, current_edition, meeting_id, user.id, base)
            elif action == "schedule":
                meeting = await _own_meeting(db_session, current_edition.id, meeting_id, user.id)
                await placement.schedule_in(
                    db_session, current_edition, meeting, placement.slot_id_of(values), base
                )
            elif action == "cancel":
                await meeting_requests.cancel(
                    db_session, current_edition, meeting_id, user.id, user.is_organizer, base
                )
            elif action == "move":
                await placement.move(
                    db_session,
                    current_edition,
                    meeting_id,
                    user.id,
                    user.is_organizer,
                    placement.slot_id_of(values),
                    base,
                )
            elif action == "check-in":
                await tracking.check_in(
                    db_session,
                    await _own_meeting(db_session, current_edition.id, meeting_id, user.id),
                    user.id,
                )
            elif action == "interpreter":
                await _own_meeting(db_session, current_edition.id, meeting_id, user.id)
                await tracking.set_interpretation(
                    db_session, current_edition.id, meeting_id, values["needed"] == "1", None
                )
            elif action == "feedback":
                await tracking.give_feedback(db_session, current_edition.id, meeting_id, user.id, values)
            else:
                raise NotFound("action")
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _meeting_page(
                request, db_session, meeting_id, form_errors(request, exc), 422, values
            )
        except NotFound:
            raise
        except DomainError as exc:
            await db_session.rollback()
            errors = {"form": translate(request_lang(request), exc.message, **exc.params)}
            return await _meeting_page(request, db_session, meeting_id, errors, exc.status_code, values)
        return Redirect(f"/matching/meetings/{meeting_id}", status_code=303)

    @get("/profile")
    async def profile(self, request: Request, db_session: DbSession) -> Template:
        return await _profile_page(request, db_session, {}, {})  # empty values: the saved profile

    @post("/profile")
    async def save_profile(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = form_values(form, "offers", "seeks", "meeting_limit")
        values["sectors"] = form_list(form, "sectors")
        values["formats"] = form_list(form, "formats")
        try:
            await matching.save_profile(db_session, current_edition.id, request.user.id, values)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _profile_page(request, db_session, values, form_errors(request, exc), 422)
        return Redirect("/matching/profile?saved=1", status_code=303)

    @post("/blocks")
    async def add_block(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        form = await request.form()
        values = form_values(form, "day", "starts", "ends", "note")
        try:
            await matching.add_block(db_session, current_edition, request.user.id, values)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _profile_page(request, db_session, {}, form_errors(request, exc), 422, values)
        return Redirect("/matching/profile#availability", status_code=303)

    @post("/blocks/{block_id:int}/delete")
    async def delete_block(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        block_id: FromPath[int],
    ) -> Redirect:
        await matching.delete_block(db_session, current_edition.id, request.user.id, block_id)
        return Redirect("/matching/profile#availability", status_code=303)

    @get("/schedule.pdf")
    async def schedule_pdf(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Response:
        lang = request_lang(request)
        lists = await tracking.mine(db_session, current_edition.id, request.user.id)
        settings = await matching.get_settings(db_session, current_edition.id)
        lines = []
        for m in lists.scheduled:
            if request.user.id not in (m.requester_id, m.recipient_id):
                continue  # a delegation head's list also shows members' meetings; the printout is personal
            if m.slot is None:
                continue  # no time to print (scheduled meetings keep their slot)
            other = m.recipient if m.requester_id == request.user.id else m.requester
            note = invitations.room_url(settings, m) if m.place == "room" else ""
            if m.interpreter_needed:
                note = (note + " " + translate(lang, "matching.interpreter_short")).strip()
            lines.append(
                printouts.Line(
                    dates.format_range(m.slot.starts_at, m.slot.ends_at, lang, current_edition.timezone),
                    meetings.place_label(m, lang),
                    f"{other.name_latin}{' / ' + other.name_local if other.name_local else ''}",
                    note,
                )
            )
        data = await anyio.to_thread.run_sync(  # drawn off the event loop: other requests go on
            printouts.personal_schedule,
            f"{current_edition.name_en} – {translate(lang, 'matching.my_schedule')}",
            request.user.display_name,
            lines,
        )
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "content-disposition": 'inline; filename="my-meetings.pdf"',
                "cache-control": "private, no-store",
            },
        )


def _people_list(request: Request, stamp: tuple, cards: list[people.Card]) -> Markup:
    """The people list's HTML (up to 200 cards), kept per worker, language and the data and people it shows:
    the same stamp (registrations, profiles, marketplace) and the same people in that order give the same cards."""
    kept = getattr(request.app.state, "people_lists", None)
    if kept is None:
        kept = request.app.state.people_lists = FragmentCache(size=64)
    key = (request_lang(request), stamp, tuple(card.user_id for card in cards))
    html = kept.get(key)
    if html is None:
        html = render(request, "matching/_people_list.html", cards=cards)
        kept.put(key, html)
    return Markup(html)  # noqa: S704 (our own template, rendered just above)


async def _require_participant(
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


async def _own_meeting(db_session: DbSession, edition_id: int, meeting_id: int, user_id: int) -> Any:
    meeting = await meetings.get_meeting(db_session, meeting_id, edition_id)
    if not await meetings.visible_to(db_session, meeting, user_id, organizer=False):
        raise NotFound("meeting")
    return meeting


async def _person_page(
    request: Request,
    db_session: DbSession,
    user_id: int,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    edition = await editions.require_current(db_session)
    await _require_participant(request, db_session, edition.id)
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


async def _meeting_page(
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


async def _profile_page(
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
