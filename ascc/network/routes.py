"""The year-round network's pages: the members' directory, joining and leaving, a member's page with a
meeting request, off-season meetings and their online room, and bringing earlier needs and solutions into
the current edition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import translate
from ascc.network import carry_over as network_carry_over
from ascc.network import directory as network_directory
from ascc.network import joining, offseason
from ascc.network import meetings as network_meetings
from ascc.network import services as network
from ascc.online import links
from ascc.security import requires_login
from ascc.taxonomy import SECTORS
from ascc.web import DbSession, form_errors, form_text, form_values, page, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

PAGE_LIMIT = 200


def provide_network_opt_in() -> Callable[[AsyncSession, int], Awaitable[Any]]:
    """Joining the network from the registration form's opt-in, for registration's pages (wired in app.py)."""
    return _join_from_registration


async def _join_from_registration(session: AsyncSession, user_id: int) -> Any:
    return await joining.join(session, user_id, {}, via="registration")


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


def _problem(request: Request, exc: DomainError) -> dict[str, str]:
    """A refusal as form messages: on the form, and beside the field it names."""
    text = translate(request_lang(request), exc.message, **exc.params)
    return {"form": text, **({exc.field: text} if exc.field else {})}


async def _require_directory(request: Request, db_session: DbSession) -> None:
    if not await network_directory.may_see_directory(db_session, request.user):
        raise DomainError("network.error.members_only", "members_only", status=403)


async def _member_page(
    request: Request,
    db_session: DbSession,
    user_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    conference_fields: frozenset[str] = frozenset(),
) -> Template:
    await _require_directory(request, db_session)
    card = await network_directory.member_card(db_session, user_id)
    viewer_member = await network.is_member(db_session, request.user.id)
    current = await editions.current(db_session)
    can_request = viewer_member and user_id != request.user.id
    return page(
        request,
        "network/member.html",
        status_code=status_code,
        card=card,
        current_edition_id=current.id if current else None,  # only its solutions open on the marketplace
        can_request=can_request,
        # While a request between the two waits for an answer (or their meeting is ahead), no second form.
        open_meeting=await network_meetings.open_meeting_between(
            db_session, request.user.id, user_id, clock.now()
        )
        if can_request
        else None,
        conference_fields=conference_fields,  # times on the conference days: link to the business matching
        my_zone=await network.zone_of(db_session, request.user.id),
        durations=offseason.DURATIONS,
        values=values or {"duration": "30"},
        errors=errors or {},
    )


async def _join_page(
    request: Request,
    db_session: DbSession,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    member = await network.membership(db_session, request.user.id)
    # Dates (joined, left, each choice) are days in the member's own zone.
    local = ZoneInfo(await network.zone_of(db_session, request.user.id))
    if values is None:
        values = (
            {"headline": member.headline, "interests": member.interests, "timezone": member.timezone}
            if member
            else {"timezone": ""}
        )
    return page(
        request,
        "network/join.html",
        status_code=status_code,
        member=member,
        choices=await network.choices_of(db_session, request.user.id),
        zones=network.COMMON_ZONES,
        local=local,
        values=values,
        errors=errors or {},
        done=request.query_params.get("done", ""),
    )


async def _meeting_page(
    request: Request,
    db_session: DbSession,
    meeting_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> Template:
    meeting = await network_meetings.meeting_for(db_session, meeting_id, request.user.id)
    now = clock.now()
    return page(
        request,
        "network/meeting.html",
        status_code=status_code,
        meeting=meeting,
        me=request.user.id,
        tz=await network.zone_of(db_session, request.user.id),
        other_tz=await network.zone_of(db_session, meeting.other(request.user.id)),
        room_open=meeting.status == "accepted"
        and meeting.starts_at is not None
        and meeting.ends_at is not None
        and offseason.room_open(meeting.starts_at, meeting.ends_at, now),
        ended=meeting.ends_at is not None and meeting.ends_at < now,
        now=now,
        errors=errors or {},
        values=values or {},
    )


class NetworkPages(Controller):
    path = "/network"
    include_in_schema = False

    @get("/")
    async def directory(
        self,
        request: Request,
        db_session: DbSession,
        q: FromQuery[str] = "",
        country: FromQuery[str] = "",
        sector: FromQuery[str] = "",
    ) -> Template:
        """Members and organizers see the directory (filtered in place with htmx); anyone else an invitation."""
        query = network_directory.DirectoryQuery(q[:200], country[:2], sector[:40])
        allowed = await network_directory.may_see_directory(db_session, request.user)
        context: dict[str, Any] = {
            "allowed": allowed,
            "query": query,
            "sectors": SECTORS,
            "is_member": request.user is not None and await network.is_member(db_session, request.user.id),
            "cards": [],
            "total": 0,
            "countries": [],
        }
        if allowed:
            everyone = await network_directory.cards(db_session)
            found = network_directory.select_cards(everyone, query)
            context |= {
                "cards": found[:PAGE_LIMIT],
                "total": len(found),
                "countries": sorted({c.country for c in everyone if c.country}),
                "members": len(everyone),
            }
        return page(request, "network/directory.html", **context)

    @get("/members/{user_id:int}", guards=[requires_login])
    async def member(self, request: Request, db_session: DbSession, user_id: FromPath[int]) -> Template:
        return await _member_page(request, db_session, user_id)

    @post("/members/{user_id:int}/meet", guards=[requires_login])
    async def request_meeting(
        self, request: Request, db_session: DbSession, user_id: FromPath[int]
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = form_values(form, "message", "duration", *offseason.SLOT_FIELDS)
        try:
            meeting = await network_meetings.request_meeting(
                db_session, request.user.id, {**values, "recipient_id": user_id}, _base(request)
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            errors = form_errors(request, exc)
            conference = frozenset(
                name for name, (key, _) in exc.errors.items() if key == offseason.SLOT_ON_CONFERENCE_DAYS
            )
            return await _member_page(request, db_session, user_id, values, errors, 422, conference)
        except NotFound:
            raise
        except DomainError as exc:
            await db_session.rollback()
            return await _member_page(
                request, db_session, user_id, values, _problem(request, exc), exc.status_code
            )
        return Redirect(f"/network/meetings/{meeting.id}?done=requested", status_code=303)

    @get("/join", guards=[requires_login])
    async def join_form(self, request: Request, db_session: DbSession) -> Template:
        return await _join_page(request, db_session)

    @post("/join", guards=[requires_login])
    async def join(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await request.form()
        values = form_values(form, "headline", "interests", "timezone")
        if form_text(form, "confirm") != "on" and not await network.is_member(db_session, request.user.id):
            # Joining is an explicit choice: the box must be ticked (it never is by default).
            errors = {"confirm": translate(request_lang(request), "network.error.confirm")}
            return await _join_page(request, db_session, values, errors, 422)
        try:
            await joining.join(db_session, request.user.id, values, via="account")
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _join_page(request, db_session, values, form_errors(request, exc), 422)
        return Redirect("/network/join?done=saved", status_code=303)

    @post("/leave", guards=[requires_login])
    async def leave(self, request: Request, db_session: DbSession) -> Redirect:
        await joining.leave(db_session, request.user.id, _base(request))
        return Redirect("/network/join?done=left", status_code=303)

    @get("/meetings", guards=[requires_login])
    async def meetings(self, request: Request, db_session: DbSession) -> Template:
        tz = await network.zone_of(db_session, request.user.id)
        return page(
            request,
            "network/meetings.html",
            meetings=await network_meetings.meetings_of(db_session, request.user.id),
            me=request.user.id,
            now=clock.now(),
            tz=tz,
            local=ZoneInfo(tz),  # the day each request was made, in the viewer's zone
        )

    @get("/meetings/{meeting_id:int}", guards=[requires_login])
    async def meeting(self, request: Request, db_session: DbSession, meeting_id: FromPath[int]) -> Template:
        return await _meeting_page(request, db_session, meeting_id)

    @get("/meetings/{meeting_id:int}/join", guards=[requires_login])
    async def join_room(self, request: Request, db_session: DbSession, meeting_id: FromPath[int]) -> Redirect:
        """Into the video room through a fresh short-lived signed link, as business meetings do."""
        now = clock.now()
        await network_meetings.room_meeting(db_session, meeting_id, request.user.id, now)
        token = links.sign(
            request.app.state.settings.secret_key, "network", meeting_id, request.user.id, now.timestamp()
        )
        return Redirect(f"/network/go/{token}", status_code=303)

    @get("/go/{token:str}", guards=[requires_login])
    async def go(self, request: Request, db_session: DbSession, token: FromPath[str]) -> Redirect:
        """A signed link: made for one person and one meeting, checked again at the moment of use."""
        now = clock.now()
        try:
            claim = links.verify(request.app.state.settings.secret_key, token, now.timestamp())
        except links.LinkRefused as exc:
            raise DomainError(f"error.link_{exc.reason}", "link_refused", status=403) from None
        if claim.kind != "network" or claim.user_id != request.user.id:
            raise DomainError("error.link_forged", "link_refused", status=403)
        address = await network_meetings.room_address(db_session, claim.target_id, request.user.id, now)
        headers = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
        return Redirect(address, status_code=303, headers=headers)

    @post("/meetings/{meeting_id:int}/{action:str}", guards=[requires_login])
    async def act(
        self, request: Request, db_session: DbSession, meeting_id: FromPath[int], action: FromPath[str]
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = form_values(form, "answer", "slot")
        try:
            if action in ("accept", "decline"):
                await network_meetings.answer(
                    db_session, meeting_id, request.user.id, action, values, _base(request)
                )
            elif action == "cancel":
                await network_meetings.cancel(db_session, meeting_id, request.user.id, _base(request))
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
            return await _meeting_page(
                request, db_session, meeting_id, _problem(request, exc), exc.status_code, values
            )
        return Redirect(f"/network/meetings/{meeting_id}?done={action}", status_code=303)

    @get("/carry-over", guards=[requires_login])
    async def carry_over(self, request: Request, db_session: DbSession) -> Template:
        return await _carry_page(request, db_session)

    @post("/carry-over/{kind:str}/{item_id:int}", guards=[requires_login])
    async def bring(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        kind: FromPath[str],
        item_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            if kind == "needs":
                copy = await network_carry_over.bring_need(
                    db_session, current_edition, request.user.id, item_id
                )
                target = ("city_need", f"/marketplace/needs/{copy.id}")
            elif kind == "solutions":
                copy = await network_carry_over.bring_solution(
                    db_session, current_edition, request.user.id, item_id
                )
                target = ("solution", "/exhibitor")
            else:
                raise NotFound("kind")
        except NotFound:
            raise
        except DomainError as exc:
            await db_session.rollback()
            return await _carry_page(request, db_session, _problem(request, exc), exc.status_code)
        await audit.record(
            db_session,
            request.user,
            f"network.bring_{kind[:-1]}",
            target[0],
            copy.id,
            copy.title_en,
            after={"copied_from": item_id, "title_en": copy.title_en, "title_ja": copy.title_ja},
            edition_id=current_edition.id,
        )
        return Redirect(f"/network/carry-over?done={kind[:-1]}", status_code=303)


async def _carry_page(
    request: Request, db_session: DbSession, errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    edition = await editions.current(db_session)
    options = (
        await network_carry_over.carry_over_options(db_session, edition, request.user.id) if edition else None
    )
    return page(
        request,
        "network/carry_over.html",
        status_code=status_code,
        edition=edition,
        options=options,
        errors=errors or {},
        done=request.query_params.get("done", ""),
    )
