"""Business matching pages for participants: recommendations, people, requests, meetings, profile, schedule."""

from __future__ import annotations

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
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import translate
from ascc.matching import (
    invitations,
    meeting_requests,
    meetings,
    page_state,
    participant_pages,
    people,
    placement,
    printouts,
    tracking,
)
from ascc.matching import services as matching
from ascc.notifications import services as notifications
from ascc.programme.agenda import AgendaMeeting
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


class MatchingPages(Controller):
    path = "/matching"
    include_in_schema = False
    guards = [requires_login]

    @get("/")
    async def home(self, request: Request, db_session: DbSession) -> Template:
        return await participant_pages.home(request, db_session)

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
        await participant_pages.require_participant(request, db_session, current_edition.id, state.confirmed)
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
        return await participant_pages.person_page(request, db_session, user_id, {}, {})

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
            return await participant_pages.person_page(
                request, db_session, user_id, values, form_errors(request, exc), 422
            )
        except DomainError as exc:
            await db_session.rollback()
            errors = {"form": translate(request_lang(request), exc.message, **exc.params)}
            return await participant_pages.person_page(
                request, db_session, user_id, values, errors, exc.status_code
            )
        return Redirect(f"/matching/meetings/{meeting.id}", status_code=303)

    @get("/meetings/{meeting_id:int}")
    async def meeting(self, request: Request, db_session: DbSession, meeting_id: FromPath[int]) -> Template:
        return await participant_pages.meeting_page(request, db_session, meeting_id)

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
            return await participant_pages.meeting_page(
                request, db_session, meeting_id, form_errors(request, exc), 422, values
            )
        except NotFound:
            raise
        except DomainError as exc:
            await db_session.rollback()
            errors = {"form": translate(request_lang(request), exc.message, **exc.params)}
            return await participant_pages.meeting_page(
                request, db_session, meeting_id, errors, exc.status_code, values
            )
        return Redirect(f"/matching/meetings/{meeting_id}", status_code=303)

    @get("/profile")
    async def profile(self, request: Request, db_session: DbSession) -> Template:
        return await participant_pages.profile_page(
            request, db_session, {}, {}
        )  # empty values: the saved profile

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
            return await participant_pages.profile_page(
                request, db_session, values, form_errors(request, exc), 422
            )
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
            return await participant_pages.profile_page(
                request, db_session, {}, form_errors(request, exc), 422, values
            )
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


async def _own_meeting(db_session: DbSession, edition_id: int, meeting_id: int, user_id: int) -> Any:
    meeting = await meetings.get_meeting(db_session, meeting_id, edition_id)
    if not await meetings.visible_to(db_session, meeting, user_id, organizer=False):
        raise NotFound("meeting")
    return meeting
