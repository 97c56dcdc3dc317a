"""The organizers' privacy desk: retention rules (dry run, apply, history), one person's data as JSON, and
privacy-notice versions with who accepted them."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ascc import clock
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.csv_export import to_csv
from ascc.errors import ValidationFailed
from ascc.privacy import export, notices, rules
from ascc.privacy import services as privacy
from ascc.security import requires_organizer
from ascc.text import FieldError, as_number, normalize_email
from ascc.web import DbSession, form_errors, form_text, form_values, page

NOTICE_FIELDS = ("version", "effective_on", "body_en", "body_ja")


async def _desk(
    request: Request,
    db_session: DbSession,
    *,
    status_code: int = 200,
    rule_values: dict[str, Any] | None = None,
    rule_errors: dict[str, str] | None = None,
    report: privacy.RunReport | None = None,
    notice_values: dict[str, str] | None = None,
    notice_errors: dict[str, str] | None = None,
    export_values: dict[str, str] | None = None,
    export_errors: dict[str, str] | None = None,
    apply_errors: dict[str, str] | None = None,
) -> Template:
    current = await notices.current_notice(db_session)
    runs = await privacy.recent_runs(db_session)
    shown = None
    if report is not None:
        shown = {"dry_run": report.dry_run, "results": [r.as_dict() for r in report.results], "run": None}
    elif (run_id := as_number(request.query_params.get("run"))) is not None:
        run = await privacy.get_run(db_session, run_id)
        shown = {"dry_run": False, "results": run.results, "run": run} if run else None
    return page(
        request,
        "organizer/privacy.html",
        status_code=status_code,
        classes=rules.CLASSES,
        rule_values=rule_values or {k: str(v) for k, v in (await privacy.periods(db_session)).items()},
        rule_errors=rule_errors or {},
        shown=shown,
        runs=runs,
        counts=await notices.acceptance_counts(db_session),
        current=current,
        notice_values=notice_values or {"effective_on": clock.now().date().isoformat()},
        notice_errors=notice_errors or {},
        export_values=export_values or {},
        export_errors=export_errors or {},
        apply_errors=apply_errors or {},
        saved=request.query_params.get("saved"),
        _has_partial=False,
    )


class PrivacyAdminPages(Controller):
    path = "/organizer/privacy"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def desk(self, request: Request, db_session: DbSession) -> Template:
        return await _desk(request, db_session)

    @post("/rules")
    async def save_rules(self, request: Request, db_session: DbSession) -> Template | Redirect:
        values = form_values(await request.form(), *(c.key for c in rules.CLASSES))
        try:
            await privacy.save_periods(db_session, request.user, values)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _desk(
                request,
                db_session,
                status_code=422,
                rule_values=values,
                rule_errors=form_errors(request, exc),
            )
        return Redirect("/organizer/privacy/?saved=rules", status_code=303)

    @post("/apply")
    async def apply(self, request: Request, db_session: DbSession) -> Template | Redirect:
        """A dry run shows its counts at once; a real run is kept in the history and shown from there."""
        form = await request.form()
        dry_run = form_text(form, "dry_run") == "1"
        if not dry_run and form_text(form, "confirm") != "1":  # irreversible: only once confirmed
            errors = form_errors(request, ValidationFailed({"confirm": ("privacy.error_confirm", {})}))
            return await _desk(request, db_session, status_code=422, apply_errors=errors)
        report = await privacy.apply(db_session, request.user, dry_run=dry_run)
        if dry_run:
            return await _desk(request, db_session, status_code=409 if report.refused else 200, report=report)
        return Redirect(f"/organizer/privacy/?run={report.run_id}#results", status_code=303)

    @post("/export", status_code=200)
    async def person_export(self, request: Request, db_session: DbSession) -> Template | Response[bytes]:
        """A POST form: the address stays out of URLs (and so out of logs); the export itself is logged."""
        email = form_text(await request.form(), "email")
        try:
            user = await accounts.find_by_email(db_session, normalize_email("email", email))
        except FieldError as exc:
            errors = form_errors(request, ValidationFailed({exc.field: (exc.key, exc.params)}))
            return await _desk(
                request, db_session, status_code=422, export_values={"email": email}, export_errors=errors
            )
        if user is None:
            errors = form_errors(request, ValidationFailed({"email": ("privacy.error_no_person", {})}))
            return await _desk(
                request, db_session, status_code=404, export_values={"email": email}, export_errors=errors
            )
        data = await export.person_export(db_session, user.id, for_organizer=True)
        await audit.record(db_session, request.user, "privacy.export", "user", user.id, user.name_latin)
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2).encode(),
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="ascc-person-{user.id}.json"',
                "cache-control": "no-store",
            },
        )

    @post("/notices")
    async def publish(self, request: Request, db_session: DbSession) -> Template | Redirect:
        values = form_values(await request.form(), *NOTICE_FIELDS)
        try:
            await notices.publish_notice(db_session, request.user, values)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _desk(
                request,
                db_session,
                status_code=422,
                notice_values=values,
                notice_errors=form_errors(request, exc),
            )
        return Redirect("/organizer/privacy/?saved=notice#notices", status_code=303)

    @get("/notices/{version:str}/not-accepted.csv")
    async def not_accepted_csv(self, db_session: DbSession, version: FromPath[str]) -> Response[bytes]:
        notice = await notices.get_notice(db_session, version)
        people = await notices.not_accepted(db_session, notice)
        body = to_csv(
            ["user_id", "name_latin", "name_local", "email", "role"],
            [[p.user_id, p.name_latin, p.name_local or "", p.email, p.role] for p in people],
        )
        safe = "".join(ch for ch in notice.version if ch.isalnum() or ch in "-_.") or "notice"
        return Response(
            body,
            media_type="text/csv",
            headers={
                "content-disposition": f'attachment; filename="privacy-{safe}-not-accepted.csv"',
                "cache-control": "no-store",
            },
        )
