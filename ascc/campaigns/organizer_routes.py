"""Mail campaigns for organizers: write a bilingual message to a segment, see the segment's size and a real
person's preview, send it in the background (throttled) with progress, follow each recipient, cancel; and the
lead times of reminders."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ascc.campaigns import placeholders, reminders, segments, sending
from ascc.campaigns import services as campaigns
from ascc.csv_export import to_csv
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.i18n import translate
from ascc.security import requires_organizer
from ascc.text import as_number
from ascc.web import DbSession, form_errors, form_text, form_values, page, request_lang

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

NEW_VALUES = {"segment": "all", "rate_per_minute": "60", "essential": ""}


async def _start_job(request: Request, campaign_id: int) -> None:
    """Queuing goes on after the answer; its progress is in the database for any worker to show."""
    await request.app.state.jobs.start("campaign_send", campaign_id=campaign_id)


def _values_of(campaign: Any) -> dict[str, str]:
    values = {f: str(getattr(campaign, f) or "") for f in campaigns.FIELDS}
    values["essential"] = "on" if campaign.essential else ""
    return values


async def _overview(
    request: Request,
    db_session: DbSession,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    edition = await editions.require_current(db_session)
    settings = await reminders.get_settings(db_session, edition.id)
    lang = request_lang(request)
    items = await campaigns.list_campaigns(db_session, edition.id)
    labels = {c.segment: await segments.segment_label(db_session, edition, c.segment, lang) for c in items}
    # "in the outbox" is not "delivered": a finished job's campaign says which, from grouped counts.
    shown = {}
    for c in items:
        if c.status == "sent":
            tally = await sending.progress_tally(db_session, c.id)
            shown[c.id] = "delivering" if tally["waiting"] or tally["queued"] else "delivered"
    return page(
        request,
        "organizer/campaigns.html",
        status_code=status_code,
        edition=edition,
        campaigns=items,
        labels=labels,
        shown=shown,
        reminder_values=values or {f: str(getattr(settings, f)) for f in reminders.FIELDS},
        reminder_counts=await reminders.sent_counts(db_session, edition.id),
        errors=errors or {},
        _has_partial=False,
    )


async def _form(
    request: Request,
    db_session: DbSession,
    campaign: Any | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    preview: Any = None,
) -> Template:
    edition = await editions.require_current(db_session)
    lang = request_lang(request)
    segment = segments.parse_segment(values.get("segment"))
    size = await segments.segment_size(db_session, edition, segment) if segment else None
    return page(
        request,
        "organizer/campaign_form.html",
        status_code=status_code,
        edition=edition,
        campaign=campaign,
        values=values,
        errors=errors or {},
        groups=await segments.segment_choices(db_session, edition, lang),
        size=size,
        preview=preview,
        common=placeholders.COMMON,
        tour_only=placeholders.TOUR,
        session_only=placeholders.SESSION,
        _has_partial=False,
    )


async def _detail(
    request: Request, db_session: DbSession, campaign: Any, notice: str | None = None, status_code: int = 200
) -> Template:
    edition = await editions.require_current(db_session)
    lines = await sending.recipient_lines(db_session, campaign)
    return page(
        request,
        "organizer/campaign.html",
        status_code=status_code,
        edition=edition,
        campaign=campaign,
        label=await segments.segment_label(db_session, edition, campaign.segment, request_lang(request)),
        lines=lines,
        tally=sending.tally(lines),
        notice=notice,
        _has_partial=False,
    )


class CampaignAdminPages(Controller):
    path = "/organizer/campaigns"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def overview(self, request: Request, db_session: DbSession) -> Template:
        return await _overview(request, db_session)

    @get("/new")
    async def new(self, request: Request, db_session: DbSession) -> Template:
        return await _form(request, db_session, None, dict(NEW_VALUES))

    @post("/new")
    async def create(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        values = form_values(await request.form(), *campaigns.FIELDS)
        try:
            campaign = await campaigns.create(db_session, current_edition, values, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _form(request, db_session, None, values, form_errors(request, exc), 422)
        return Redirect(f"/organizer/campaigns/{campaign.id}?notice=saved", status_code=303)

    @get("/segment-size")
    async def segment_size(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        segment: FromQuery[str] = "",
    ) -> Template:
        """The segment's size as the organizer chooses it (htmx swaps this line in)."""
        parsed = segments.parse_segment(segment)
        size = await segments.segment_size(db_session, current_edition, parsed) if parsed else None
        return Template("organizer/_campaign_size.html", context={"size": size})

    @post("/preview")
    async def preview(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template:
        """A real person's message in both languages from the form as it is now; nothing is saved."""
        form = await request.form()
        values = form_values(form, *campaigns.FIELDS)
        raw_as = form_text(form, "preview_as")
        as_user = int(raw_as) if raw_as.isascii() and raw_as.isdigit() and len(raw_as) < 12 else None
        settings = request.app.state.settings
        errors: dict[str, str] = {}
        result = None
        try:
            result = await campaigns.preview(
                db_session, current_edition, values, settings.base_url, settings.secret_key, as_user
            )
        except ValidationFailed as exc:
            errors = form_errors(request, exc)
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted:
            # 200 even when refused: htmx swaps only successful answers, and the refusal is what to show.
            return Template("organizer/_campaign_preview.html", context={"preview": result, "errors": errors})
        raw_id = form_text(form, "campaign_id")
        campaign = None
        if (campaign_id := as_number(raw_id)) is not None:
            campaign = await campaigns.get(db_session, current_edition.id, campaign_id)
        return await _form(request, db_session, campaign, values, errors, 422 if errors else 200, result)

    @get("/{campaign_id:int}")
    async def show(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
        notice: FromQuery[str] = "",
    ) -> Template:
        campaign = await campaigns.get(db_session, current_edition.id, campaign_id)
        if campaign.status == "draft":
            return await _form(request, db_session, campaign, _values_of(campaign))
        return await _detail(request, db_session, campaign, notice or None)

    @post("/{campaign_id:int}")
    async def save(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
    ) -> Template | Redirect:
        edition_id = current_edition.id  # the edition is expired by a rollback below
        campaign = await campaigns.get(db_session, edition_id, campaign_id)
        values = form_values(await request.form(), *campaigns.FIELDS)
        try:
            await campaigns.update_draft(db_session, current_edition, campaign_id, values, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            campaign = await campaigns.get(db_session, edition_id, campaign_id)
            return await _form(request, db_session, campaign, values, form_errors(request, exc), 422)
        except DomainError as exc:
            await db_session.rollback()
            if exc.code != "not_draft":
                raise
            # Sent (or being sent) meanwhile: the edit is refused, and the page says so.
            campaign = await campaigns.get(db_session, edition_id, campaign_id)
            return await _detail(request, db_session, campaign, "not_draft", 409)
        return Redirect(f"/organizer/campaigns/{campaign_id}?notice=saved", status_code=303)

    @post("/{campaign_id:int}/send")
    async def send(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            await sending.start_sending(db_session, current_edition, campaign_id, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            campaign = await campaigns.get(db_session, current_edition.id, campaign_id)
            return await _form(
                request,
                db_session,
                campaign,
                _values_of(campaign),
                form_errors(request, exc),
                exc.status_code,
            )
        except DomainError as exc:
            await db_session.rollback()
            if exc.code != "already_sent":
                raise
            return Redirect(f"/organizer/campaigns/{campaign_id}?notice=already_sent", status_code=303)
        await db_session.commit()  # the job reads the campaign from its own session
        await _start_job(request, campaign_id)
        return Redirect(f"/organizer/campaigns/{campaign_id}", status_code=303)

    @post("/{campaign_id:int}/cancel")
    async def cancel(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
    ) -> Redirect:
        await sending.cancel(db_session, current_edition, campaign_id, request.user)
        return Redirect(f"/organizer/campaigns/{campaign_id}?notice=cancelled", status_code=303)

    @post("/{campaign_id:int}/resume")
    async def resume(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
    ) -> Redirect:
        """A failed campaign goes on where it stopped (nobody already queued gets it twice)."""
        await sending.resume(db_session, current_edition, campaign_id, request.user)
        await db_session.commit()  # the job reads the campaign from its own session
        await _start_job(request, campaign_id)
        return Redirect(f"/organizer/campaigns/{campaign_id}?notice=resumed", status_code=303)

    @get("/{campaign_id:int}/progress")
    async def progress(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
        seen: FromQuery[str] = "",
        left: FromQuery[int] = 0,
    ) -> Template | Response:
        """The progress box, polled by htmx while messages are being queued or delivered (grouped counts, not
        every recipient). When the job's status changed since the page was drawn (`seen`), or the last message
        has left the outbox (`left` was on its way), the whole page is drawn again: recipients and actions."""
        campaign = await campaigns.get(db_session, current_edition.id, campaign_id)
        tally = await sending.progress_tally(db_session, campaign.id)
        if (seen and seen != campaign.status) or (left and not (tally["waiting"] or tally["queued"])):
            return Response("", status_code=200, headers={"HX-Refresh": "true"})
        return Template(
            "organizer/_campaign_progress.html",
            context={"campaign": campaign, "tally": tally, "edition": current_edition},
        )

    @get("/{campaign_id:int}/recipients.csv")
    async def recipients_csv(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        campaign_id: FromPath[int],
    ) -> Response:
        campaign = await campaigns.get(db_session, current_edition.id, campaign_id)
        lines = await sending.recipient_lines(db_session, campaign)
        lang = request_lang(request)
        rows = [
            [
                line.name,
                line.email,
                line.lang,
                translate(lang, f"campaigns.state.{line.state}"),
                line.not_before.isoformat() if line.not_before else "",
                line.sent_at.isoformat() if line.sent_at else "",
                line.error,
            ]
            for line in lines
        ]
        body = to_csv(["name", "email", "language", "status", "not_before", "sent_at", "error"], rows)
        return Response(
            body,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="campaign-{campaign.id}-recipients.csv"'},
        )

    @post("/reminders")
    async def save_reminders(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> Template | Redirect:
        values = form_values(await request.form(), *reminders.FIELDS)
        try:
            await reminders.save_settings(db_session, current_edition.id, values, request.user)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _overview(request, db_session, form_errors(request, exc), values, 422)
        return Redirect("/organizer/campaigns/?notice=reminders_saved#reminders", status_code=303)
