"""Importing a list of people (a city's CSV or Excel file, or rows sent to the API) as registrations.

1. preview: the file is read and every row's problems named (bulk_import, then what needs the database:
   already registered, a category only an invitation opens); the rows are stored as the batch's preview and
   nothing else is: no account, no registration, no mail.
2. confirm: the batch moves preview -> importing with a conditional update, so of two confirmations at once
   (a double click, two organizers) one imports and the other is told it was confirmed already.
3. execute (a background job): each valid row goes through on_behalf.register_person, the service the
   "Register a person" page and the delegation heads use, in its own transaction; a row refused meanwhile
   (registered since, the quota full) is skipped with its reason. Mails are queued with each registration,
   so none leaves before the confirmation. Progress is the batch's counters, committed as it goes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.audit import services as audit
from ascc.db import rows_changed
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.registration import bulk_import
from ascc.registration.models import ACTIVE_STATUSES, Registration, RegistrationImport
from ascc.registration.on_behalf import Person, register_person
from ascc.registration.registering import RegistrationInput
from ascc.registration.services import get_settings
from ascc.text import email_key

log = logging.getLogger("ascc.registration.importing")

RESULTS_EVERY = 10  # rows between two writes of the outcomes (the counters are written with every row)


def _file_refused(exc: bulk_import.FileProblem) -> ValidationFailed:
    return ValidationFailed({"file": (exc.key, exc.params)})


async def preview_file(
    session: AsyncSession,
    edition_id: int,
    filename: str,
    data: bytes,
    actor: audit.Actor,
    base_url: str,
    lang: str,
) -> RegistrationImport:
    try:
        rows = bulk_import.read_file(filename, data)
    except bulk_import.FileProblem as exc:
        raise _file_refused(exc) from exc
    return await _store(session, edition_id, filename, rows, actor, base_url, lang)


async def preview_rows(
    session: AsyncSession,
    edition_id: int,
    records: list[dict[str, Any]],
    actor: audit.Actor,
    base_url: str,
    lang: str,
) -> RegistrationImport:
    """The API's preview: rows as JSON objects keyed by the template's column names (line = position + 1)."""
    if not records:
        raise ValidationFailed({"rows": ("import.file.empty", {})})
    if len(records) > bulk_import.MAX_ROWS:
        raise ValidationFailed({"rows": ("import.file.too_many_rows", {"max": bulk_import.MAX_ROWS})})
    rows = bulk_import.check_rows(enumerate(records, start=1))
    return await _store(session, edition_id, "api", rows, actor, base_url, lang)


async def _store(
    session: AsyncSession,
    edition_id: int,
    filename: str,
    rows: list[bulk_import.Row],
    actor: audit.Actor,
    base_url: str,
    lang: str,
) -> RegistrationImport:
    if not rows:
        raise ValidationFailed({"file": ("import.file.empty", {})})
    await _check_against_database(session, edition_id, rows)
    batch = RegistrationImport(
        edition_id=edition_id,
        created_by_id=actor.id,
        filename=filename[:200] or "list",
        status="preview",
        rows=[row.as_json() for row in rows],
        results=[],
        total=len(rows),
        valid=sum(1 for row in rows if row.ok),
        base_url=base_url[:300],
        lang=lang if lang in bulk_import.LANGS else "en",
    )
    session.add(batch)
    await session.flush()
    return batch


async def _check_against_database(
    session: AsyncSession, edition_id: int, rows: list[bulk_import.Row]
) -> None:
    keys = sorted({email_key(row.values["email"]) for row in rows if "email" not in row.problems})
    registered: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        registered |= set(
            (
                await session.scalars(
                    select(User.email_key)
                    .join(Registration, Registration.user_id == User.id)
                    .where(
                        User.email_key.in_(chunk),
                        Registration.edition_id == edition_id,
                        Registration.status.in_(ACTIVE_STATUSES),
                    )
                )
            ).all()
        )
    settings = await get_settings(session, edition_id)
    for row in rows:
        if "email" not in row.problems and email_key(row.values["email"]) in registered:
            row.problems["email"] = ("import.problem.already_registered", {})
        if "category" not in row.problems and row.values["category"] in settings.invitation_categories:
            row.problems["category"] = ("error.invitation_required", {})


async def get_batch(session: AsyncSession, edition_id: int, batch_id: int) -> RegistrationImport:
    batch = await session.scalar(
        select(RegistrationImport)
        .where(RegistrationImport.id == batch_id, RegistrationImport.edition_id == edition_id)
        .execution_options(populate_existing=True)
    )
    if batch is None:
        raise NotFound("import")
    return batch


async def confirm(
    session: AsyncSession, edition_id: int, batch_id: int, privacy_accepted: bool, actor: audit.Actor
) -> RegistrationImport:
    """Start importing the batch's valid rows; the caller starts the job ("registration_import") after commit."""
    batch = await get_batch(session, edition_id, batch_id)
    if not privacy_accepted:
        raise ValidationFailed({"privacy_accepted": ("import.privacy_required", {})})
    if batch.valid == 0:
        raise DomainError("import.nothing_valid", "nothing_valid", status=409)
    # Conditional update: of two confirmations at once only one moves the batch on.
    started = await rows_changed(
        session,
        update(RegistrationImport)
        .where(RegistrationImport.id == batch.id, RegistrationImport.status == "preview")
        .values(status="importing", updated_at=clock.now()),
    )
    if started != 1:
        raise DomainError("import.already_confirmed", "already_confirmed", status=409)
    await audit.record(
        session,
        actor,
        "registration.import",
        "registration_import",
        batch.id,
        batch.filename,
        after={"rows": batch.total, "valid": batch.valid, "skipped": batch.total - batch.valid},
        edition_id=edition_id,
    )
    await session.flush()
    return await get_batch(session, edition_id, batch_id)


@dataclass
class _Actor:
    id: int
    role: str
    name: str

    @property
    def display_name(self) -> str:
        return self.name


def _input(values: dict[str, str]) -> RegistrationInput:
    return RegistrationInput(
        mode=values["mode"],
        category=values["category"],
        organization=values["organization"] or None,
        position=values["position"] or None,
        country=values["country"] or None,
        city=values["city"] or None,
        privacy_accepted=True,  # the organizer confirmed it for the list (confirm)
    )


def _reason(exc: DomainError) -> list[Any]:
    if isinstance(exc, ValidationFailed) and exc.errors:
        name, (key, params) = next(iter(exc.errors.items()))
        return [key, {**params, "field": name}]
    return [exc.message, dict(exc.params)]


async def execute(session_maker: Callable[[], AsyncSession], batch_id: int) -> None:
    """The background part: register each valid row not done yet, committing row by row."""
    async with session_maker() as session:
        batch = await session.get(RegistrationImport, batch_id)
        if batch is None or batch.status != "importing":
            return
        edition_id, base_url, rows = batch.edition_id, batch.base_url, list(batch.rows)
        results: list[dict[str, Any]] = list(batch.results or [])
        organizer = await accounts.get_user(session, batch.created_by_id) if batch.created_by_id else None
        # Plain values: a skipped row's rollback expires every loaded object, the audit entries need the actor.
        actor = _Actor(organizer.id, organizer.role, organizer.display_name) if organizer else None
        inviter = actor.display_name if actor else ""
        await session.commit()
        done = {r["line"] for r in results}
        try:
            pending = [row for row in rows if not row["problems"] and row["line"] not in done]
            for number, row in enumerate(pending, start=1):
                values = row["values"]
                outcome: dict[str, Any] = {"line": row["line"], "email": values["email"]}
                try:
                    await register_person(
                        session,
                        edition_id,
                        Person(
                            values["email"],
                            values["name_latin"],
                            values["name_local"] or None,
                            values["lang"],
                        ),
                        _input(values),
                        base_url,
                        actor,
                        inviter=inviter,
                    )
                    outcome |= {"outcome": "imported", "reason": None}
                    counter = {"imported": RegistrationImport.imported + 1}
                except (DomainError, IntegrityError) as exc:
                    await session.rollback()
                    reason = _reason(exc) if isinstance(exc, DomainError) else ["error.email_taken", {}]
                    outcome |= {"outcome": "skipped", "reason": reason}
                    counter = {"skipped": RegistrationImport.skipped + 1}
                results.append(outcome)
                changes: dict[str, Any] = {**counter, "updated_at": clock.now()}
                if number % RESULTS_EVERY == 0 or number == len(pending):
                    changes["results"] = results
                await session.execute(
                    update(RegistrationImport).where(RegistrationImport.id == batch_id).values(**changes)
                )
                await session.commit()
            await session.execute(
                update(RegistrationImport)
                .where(RegistrationImport.id == batch_id, RegistrationImport.status == "importing")
                .values(status="done", results=results, finished_at=clock.now(), updated_at=clock.now())
            )
            await session.commit()
            log.info("import #%s done: %s rows", batch_id, len(pending))
        except Exception as exc:
            log.exception("import #%s failed", batch_id)
            await session.rollback()
            await session.execute(
                update(RegistrationImport)
                .where(RegistrationImport.id == batch_id, RegistrationImport.status == "importing")
                .values(status="failed", results=results, error=f"{type(exc).__name__}: {exc}"[:500])
            )
            await session.commit()


async def recent(
    session: AsyncSession, edition_id: int, limit: int = 10
) -> list[tuple[int, str, str, Any, int]]:
    """The latest imports of the edition: (id, file, status, when, rows)."""
    rows = await session.execute(
        select(
            RegistrationImport.id,
            RegistrationImport.filename,
            RegistrationImport.status,
            RegistrationImport.created_at,
            RegistrationImport.total,
        )
        .where(RegistrationImport.edition_id == edition_id)
        .order_by(RegistrationImport.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in rows.all()]
