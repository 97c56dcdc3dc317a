"""People's mail preferences: the signed link in every non-essential mail (no sign-in needed, one-click
unsubscribe for mail programs), and the same choices on the account page."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from ascc.campaigns import preferences as campaigns
from ascc.security import requires_login
from ascc.web import DbSession, form_text, page

ACTIONS = {
    "unsubscribe": ("campaigns", False),
    "resubscribe": ("campaigns", True),
    "reminders_off": ("reminders", False),
    "reminders_on": ("reminders", True),
}


def _topic(value: str) -> str:
    return value if value in campaigns.TOPICS else "campaigns"


class MailPreferencePages(Controller):
    """Reached from a mail by its signed link: shows and changes that person's choices, without signing in."""

    path = "/mail"
    include_in_schema = False

    @get("/preferences/{token:str}")
    async def show(
        self,
        request: Request,
        db_session: DbSession,
        token: FromPath[str],
        list_: Annotated[str, QueryParameter(name="list")] = "campaigns",
        notice: FromQuery[str] = "",
    ) -> Template:
        secret = request.app.state.settings.secret_key
        person = await campaigns.person_for_token(db_session, secret, token)
        return page(
            request,
            "campaigns/preferences.html",
            token=token,
            person=person,
            prefs=await campaigns.preferences(db_session, person.id),
            topic=_topic(list_),
            notice=notice if notice in ACTIONS else "",
        )

    @post("/preferences/{token:str}")
    async def change(self, request: Request, db_session: DbSession, token: FromPath[str]) -> Redirect:
        secret = request.app.state.settings.secret_key
        person = await campaigns.person_for_token(db_session, secret, token)
        action = form_text(await request.form(), "action")
        if action in ACTIONS:
            topic, wanted = ACTIONS[action]
            await campaigns.set_preference(db_session, person.id, topic, wanted, "link")
        return Redirect(f"/mail/preferences/{token}?notice={action}", status_code=303)

    @get("/unsubscribe/{token:str}")
    async def landing(
        self, token: FromPath[str], list_: Annotated[str, QueryParameter(name="list")] = "campaigns"
    ) -> Redirect:
        """A click on the link in the mail: the page with the button (a GET never changes anything, so link
        checkers and previews cannot unsubscribe anyone)."""
        return Redirect(f"/mail/preferences/{token}?list={_topic(list_)}", status_code=303)

    @post("/unsubscribe/{token:str}", status_code=200)
    async def one_click(
        self,
        request: Request,
        db_session: DbSession,
        token: FromPath[str],
        list_: Annotated[str, QueryParameter(name="list")] = "campaigns",
    ) -> Response:
        """RFC 8058 one-click unsubscribe: the mail program posts `List-Unsubscribe=One-Click` here."""
        secret = request.app.state.settings.secret_key
        person = await campaigns.person_for_token(db_session, secret, token)
        await campaigns.set_preference(db_session, person.id, _topic(list_), False, "one_click")
        return Response("unsubscribed\n", media_type="text/plain")


class MyMailPages(Controller):
    """The same choices for a signed-in person; the account page loads this box (htmx) or links to it."""

    path = "/account/mail"
    include_in_schema = False
    guards = [requires_login]

    @get("/")
    async def show(self, request: Request, db_session: DbSession, saved: FromQuery[str] = "") -> Template:
        return page(
            request,
            "campaigns/my_mail.html",
            prefs=await campaigns.preferences(db_session, request.user.id),
            saved=bool(saved),
        )

    @post("/")
    async def save(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await request.form()
        for topic in campaigns.TOPICS:
            wanted = form_text(form, topic) == "on"
            await campaigns.set_preference(db_session, request.user.id, topic, wanted, "account")
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted:
            return page(
                request,
                "campaigns/my_mail.html",
                prefs=await campaigns.preferences(db_session, request.user.id),
                saved=True,
            )
        return Redirect("/account/?mail=saved#mail", status_code=303)
