"""The `ascc` command: database, demo data, server, background worker, accounts, tokens and mail."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ascc import db
from ascc.config import Settings, UnsafeConfiguration

T = TypeVar("T")


def _settings() -> Settings:
    return Settings.from_env()


def _refuse_unsafe(settings: Settings) -> None:
    """The production check of create_app, said before uvicorn starts (a message, not a traceback)."""
    try:
        settings.check_production()
    except UnsafeConfiguration as problem:
        raise click.ClickException(str(problem)) from None


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on the configured database."""

    async def main() -> T:
        db.load_models()
        engine = db.create_engine(_settings().database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _fail_on_validation(exc: Exception) -> None:
    from ascc.errors import ValidationFailed
    from ascc.i18n import translate

    if isinstance(exc, ValidationFailed):
        for field, (key, params) in exc.errors.items():
            click.echo(f"error: {field}: {translate('en', key, **params)}", err=True)
        sys.exit(2)
    raise exc


@click.group()
def main() -> None:
    """The ASCC platform (Asia Smart City Conference)."""


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema."""
    db.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (`base` removes everything)."""
    db.downgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("backup")
@click.argument("target", type=click.Path(path_type=Path))
def db_backup(target: Path) -> None:
    """Write a consistent backup to TARGET while the platform keeps running (SQLite's online backup, or
    pg_dump's custom format for PostgreSQL)."""
    from ascc.backup import BackupError, backup

    try:
        size = backup(_settings().database_url, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written to {target} ({size:,} bytes)")


@db_group.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database's contents without asking.")
def db_restore(source: Path, yes: bool) -> None:
    """Replace the database's contents with the backup SOURCE. Stop the platform first."""
    from ascc.backup import BackupError, restore

    settings = _settings()
    if not yes:
        click.confirm(f"Replace everything in {settings.database_url} with {source}?", abort=True)
    try:
        restore(settings.database_url, source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {source}; run `ascc db upgrade` if the backup is older than this version")


@main.command("seed")
@click.option("--reset", is_flag=True, help="Remove all data first (downgrade to base, upgrade to head).")
def seed_command(reset: bool) -> None:
    """Load the demo edition (12th ASCC, Y-SHIP 2023) and the demo accounts."""
    from ascc.seed import seed

    settings = _settings()
    if reset:
        db.downgrade(settings.database_url, "base")
    db.upgrade(settings.database_url, "head")
    report = _run(lambda session: seed(session, settings.demo_password))
    click.echo(
        f"seeded {report.edition}: {report.organizations} organizations, "
        f"{report.accounts_created} new accounts, {report.registrations_created} new registrations, "
        f"{report.sessions_created} new sessions, {report.tours_created} new tours, "
        f"{report.exhibitors_created} new exhibitors, {report.meeting_requests_created} new meeting requests, "
        f"{report.streams_created} new streams "
        "(password: ASCC_DEMO_PASSWORD or ascc-demo)"
    )


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the platform with uvicorn."""
    import uvicorn

    settings = _settings()
    _refuse_unsafe(settings)
    if workers > 1 and settings.is_sqlite:
        click.echo(
            "note: several workers share the SQLite file; use PostgreSQL and Redis in production", err=True
        )
    log_level = os.environ.get("ASCC_LOG_LEVEL", "info").lower()
    uvicorn.run(
        "ascc.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("ASCC_TRUSTED_PROXIES", "127.0.0.1"),
        log_level=log_level,
        access_log=log_level in ("debug", "info"),
    )


@main.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(["organizer", "checkin", "exhibitor", "delegate", "online"])
)
@click.option("--name", default=None, help="Name in Latin script (default: the part before @).")
@click.option("--password", default=None, help="Default: a random one, printed once.")
def users_create(email: str, role: str, name: str | None, password: str | None) -> None:
    """Create a verified account."""
    from ascc.accounts import services as accounts

    password = password or secrets.token_urlsafe(12)

    async def work(session: AsyncSession) -> Any:
        return await accounts.create_user(
            session, email=email, role=role, password=password, name_latin=name or email.split("@")[0]
        )

    try:
        user = _run(work)
    except Exception as exc:
        _fail_on_validation(exc)
    click.echo(f"created {user.email} ({role}); password: {password}")


@main.group("tokens")
def tokens_group() -> None:
    """API tokens (Authorization: Bearer ...)."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="CLI token", show_default=True)
def tokens_create(email: str, name: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    from ascc.accounts import services as accounts

    async def work(session: AsyncSession) -> str:
        user = await accounts.find_by_email(session, email)
        if user is None:
            raise click.ClickException(f"no account with e-mail {email}")
        raw, _ = await accounts.create_api_token(session, user.id, name)
        return raw

    click.echo(_run(work))


@tokens_group.command("revoke")
@click.argument("prefix")
def tokens_revoke(prefix: str) -> None:
    """Revoke the tokens that begin with PREFIX (the 12 characters shown on the account page)."""
    from ascc.accounts import services as accounts

    count = _run(lambda session: accounts.revoke_api_tokens_by_prefix(session, prefix[:12]))
    click.echo(f"revoked {count} token(s)")


@main.command("worker")
@click.option("--concurrency", default=4, show_default=True, type=int, help="Jobs run at once.")
def worker_command(concurrency: int) -> None:
    """Run background work (queued jobs, mail, reminders); needs ASCC_REDIS_URL. Run beside `ascc serve`."""
    import logging

    from ascc import worker

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException(
            "ASCC_REDIS_URL is not set: without Redis, `ascc serve` runs background work"
        )
    _refuse_unsafe(settings)
    level = os.environ.get("ASCC_LOG_LEVEL", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(worker.run(settings, concurrency))


@main.group("mail")
def mail_group() -> None:
    """The outbox."""


@mail_group.command("send")
def mail_send() -> None:
    """Deliver due messages once (the server does this in the background when ASCC_SMTP_URL is set)."""
    from ascc.mail import services as mail

    settings = _settings()
    smtp_url = settings.smtp_url
    if not smtp_url:
        raise click.ClickException("ASCC_SMTP_URL is not set")

    async def main_() -> Any:
        db.load_models()
        engine = db.create_engine(settings.database_url)
        try:
            return await mail.deliver_due(
                async_sessionmaker(engine, expire_on_commit=False), smtp_url, settings.mail_from
            )
        finally:
            await engine.dispose()

    report = asyncio.run(main_())
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")


@main.group("tours")
def tours_group() -> None:
    """Site visits."""


@tours_group.command("purge-ids")
def tours_purge_ids() -> None:
    """Delete tour ID numbers whose retention period after the tour has passed (run daily, e.g. from cron).

    The same as `ascc privacy apply` for the tour ID numbers rule alone (its period, its safety check)."""
    from ascc.privacy import services as privacy

    report = _run(lambda session: privacy.apply(session, None, only=["tour_id_numbers"]))
    _print_retention(report)
    click.echo(f"deleted the ID data of {report.total} bookings")
    if report.refused:
        sys.exit(1)


@main.group("privacy")
def privacy_group() -> None:
    """Retention rules (set them on /organizer/privacy/)."""


def _print_retention(report: Any) -> None:
    from ascc.i18n import translate

    for result in report.results:
        what = f"{result.data_class} ({result.period} {result.unit})"
        if result.status in ("refused", "failed"):
            click.echo(f"REFUSED {what}: {translate('en', result.message, **result.params)}", err=True)
        else:
            verb = {"delete": "delete", "anonymize": "anonymize", "clear": "clear"}[result.action]
            prefix = "would " if report.dry_run else ""
            click.echo(f"{what}: {prefix}{verb} {result.count}")


@privacy_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Show what each rule would remove; change nothing.")
def privacy_apply(dry_run: bool) -> None:
    """Apply the retention rules: each class of data in one transaction; live editions are never touched."""
    from ascc.privacy import services as privacy

    report = _run(lambda session: privacy.apply(session, None, dry_run=dry_run))
    _print_retention(report)
    if report.refused:
        sys.exit(1)


@main.group("badges")
def badges_group() -> None:
    """Badges of the current edition."""


@badges_group.command("pdf")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--layout", type=click.Choice(["a6", "a4"]), default="a6", show_default=True)
@click.option("--category", default=None, help="only this participant category")
@click.option(
    "--codes",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="also write each badge's signed QR text, one per line",
)
def badges_pdf(out: str, layout: str, category: str | None, codes: str | None) -> None:
    """Write the confirmed participants' badges to OUT as PDF (issuing badges that are missing)."""
    from pathlib import Path

    from ascc.badges import render
    from ascc.badges import services as badges
    from ascc.editions import services as editions
    from ascc.registration import organizer

    async def work(session: AsyncSession) -> tuple[list[badges.BadgeFace], str]:
        edition = await editions.require_current(session)
        return await badges.faces(session, edition.id, organizer.Filters(category=category)), edition.name_en

    faces, title = _run(work)
    Path(out).write_bytes(render.pdf(faces, title, layout))
    if codes:
        Path(codes).write_text("".join(face.code + "\n" for face in faces))
    click.echo(f"wrote {len(faces)} badges of {title} to {out}")


if __name__ == "__main__":
    main()
