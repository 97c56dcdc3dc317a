"""The organizers' pages for preparing the next edition from one (under /organizer/editions)."""

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.lifecycle import cloning
from ascc.security import requires_organizer
from ascc.web import DbSession, form_errors, form_values, page


class NextEditionPages(Controller):
    path = "/organizer/editions"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/{slug:str}/next")
    async def next_form(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Template:
        source = await editions.get_by_slug(db_session, slug)
        values = cloning.suggestion(source)
        return page(request, "organizer/edition_next.html", source=source, values=values, errors={})

    @post("/{slug:str}/next")
    async def prepare_next(
        self, request: Request, db_session: DbSession, slug: FromPath[str]
    ) -> Template | Redirect:
        values = form_values(await request.form(), *cloning.FIELDS)
        try:
            cloned = await cloning.prepare_next(db_session, request.user, slug, values)
        except ValidationFailed as exc:
            await db_session.rollback()
            source = await editions.get_by_slug(db_session, slug)
            return page(
                request,
                "organizer/edition_next.html",
                status_code=422,
                source=source,
                values=values,
                errors=form_errors(request, exc),
            )
        return Redirect(f"/organizer/editions/{cloned.slug}/prepared?source={slug}", status_code=303)

    @get("/{slug:str}/prepared")
    async def prepared(self, request: Request, db_session: DbSession, slug: FromPath[str]) -> Template:
        """What the new edition holds of what was copied, and where to go next."""
        edition = await editions.get_by_slug(db_session, slug)
        source_slug = request.query_params.get("source", "")
        known = {e.slug: e for e in await editions.list_editions(db_session, include_drafts=True)}
        return page(
            request,
            "organizer/edition_prepared.html",
            edition=edition,
            source=known.get(source_slug),
            counts=await cloning.counts(db_session, edition),
        )
