"""The retention rules of the privacy domain: their periods, and applying them. Privacy-notice versions and
people's acceptances are ascc.privacy.notices.

Applying the rules goes class by class, each in its own transaction: a class either changes everything it
should or nothing. Before changing anything a class checks which editions it would reach; reaching a live
one (see privacy.rules.refusal) refuses that class with a message naming the rule and the edition.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, null, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts.models import User
from ascc.audit import services as audit
from ascc.audit.models import AuditEntry
from ascc.editions.models import Edition
from ascc.errors import DomainError, ValidationFailed
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.models import Exhibitor, Lead
from ascc.mail.models import OutboxMessage
from ascc.matching import services as matching
from ascc.messages import services as messages
from ascc.network import services as network
from ascc.online.models import ViewingMinute
from ascc.privacy import forget, rules
from ascc.privacy.models import RetentionRule, RetentionRun
from ascc.programme import services as programme
from ascc.programme.models import ProgrammeSession
from ascc.registration import visa
from ascc.registration.models import Registration
from ascc.reports import services as reports
from ascc.tours import id_documents as tours

# People whose accounts the retention rules never anonymize: the platform's own staff.
STAFF_ROLES = ("organizer", "checkin")

# --- Rules ----------------------------------------------------------------------------------------------------


async def periods(session: AsyncSession) -> dict[str, int]:
    """Each class's period: the stored one, or the default."""
    stored = dict(
        (await session.execute(select(RetentionRule.data_class, RetentionRule.period))).tuples().all()
    )
    return {c.key: int(stored.get(c.key, c.default)) for c in rules.CLASSES}


async def save_periods(
    session: AsyncSession, actor: audit.Actor | None, values: dict[str, str]
) -> dict[str, int]:
    """Store the periods typed in the form; a wrong one refuses them all, naming the field."""
    new, errors = rules.parse_periods(values)
    if errors:
        raise ValidationFailed(errors)
    old = await periods(session)
    existing = {r.data_class: r for r in (await session.scalars(select(RetentionRule))).all()}
    for key, period in new.items():
        if key in existing:
            existing[key].period = period
        else:
            session.add(RetentionRule(data_class=key, period=period))
    await audit.record(
        session, actor, "privacy.rules_changed", "retention_rule", None, "retention rules", old, new
    )
    await session.flush()
    return new


# --- Applying the rules -----------------------------------------------------------------------------------------


@dataclass
class ClassResult:
    data_class: str
    period: int
    unit: str
    action: str
    count: int = 0
    status: str = "done"  # done | dry_run | refused | failed
    message: str = ""  # a catalogue key when refused or failed
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class RunReport:
    dry_run: bool
    results: list[ClassResult]
    run_id: int | None = None

    @property
    def refused(self) -> list[ClassResult]:
        return [r for r in self.results if r.status in ("refused", "failed")]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.results if r.status in ("done", "dry_run"))


class Refused(Exception):
    """A class would reach a live edition; nothing of it is changed."""

    def __init__(self, message: str, edition: rules.EditionState) -> None:
        super().__init__(message)
        self.message = message
        self.edition = edition


async def _editions(session: AsyncSession) -> list[rules.EditionState]:
    rows = (await session.scalars(select(Edition).order_by(Edition.starts_on))).all()
    return [rules.EditionState(e.id, e.name_en, e.ends_on, e.is_current, e.status) for e in rows]


def _today() -> date:
    return clock.now().date()


def _expired_ids(editions: list[rules.EditionState], data_class: rules.DataClass, period: int) -> set[int]:
    today = _today()
    return {e.id for e in editions if rules.edition_expired(e.ends_on, period, data_class.unit, today)}


def _check(data_class: rules.DataClass, editions: list[rules.EditionState], touched: Iterable[int]) -> None:
    """Refuse when any edition the class would change is live."""
    by_id = {e.id: e for e in editions}
    today = _today()
    for edition_id in sorted(set(touched)):
        edition = by_id.get(edition_id)
        reason = rules.refusal(data_class, edition, today) if edition else None
        if reason and edition:
            raise Refused(reason, edition)


Handler = Callable[[AsyncSession, rules.DataClass, int, list[rules.EditionState], bool], Awaitable[int]]


async def _tour_id_numbers(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    due = await tours.id_documents_due(session, max_days=period)
    _check(data_class, editions, due)
    if dry:
        return sum(due.values())
    return await tours.purge_id_documents(session, max_days=period)


async def _visa_passport_data(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    """Visa letters' passport number, date of birth and nationality, `period` days after the edition's end."""
    due = await visa.passport_data_due(session, period)
    _check(data_class, editions, due)
    if dry:
        return sum(due.values())
    return await visa.purge_passport_data(session, period)


async def _active_elsewhere(session: AsyncSession, expired: set[int]) -> set[int]:
    """People working in an edition whose period has not passed, although not registered in it: exhibitor staff,
    speakers and business-matching participants."""
    editions = (await session.scalars(select(Edition.id).where(Edition.id.not_in(expired)))).all()
    active: set[int] = set()
    for edition_id in editions:
        active |= await marketplace.staff_user_ids(session, edition_id)
        active |= await programme.speaker_user_ids(session, edition_id)
        active |= await matching.participant_ids(session, edition_id)
    return active


async def _people_to_anonymize(session: AsyncSession, expired: set[int]) -> tuple[list[int], set[int]]:
    """People registered only in expired editions, not in the network, not staff, not active in a later edition
    (_active_elsewhere), not yet anonymized;
    and the editions their registrations belong to."""
    if not expired:
        return [], set()
    rows = (
        await session.execute(
            select(Registration.user_id, Registration.edition_id)
            .join(User, User.id == Registration.user_id)
            .where(User.role.not_in(STAFF_ROLES), User.is_active.is_(True))
        )
    ).tuples()
    editions_of: dict[int, set[int]] = {}
    for user_id, edition_id in rows:
        editions_of.setdefault(user_id, set()).add(edition_id)
    keep = await network.member_ids(session) | await _active_elsewhere(session, expired)
    people = sorted(
        user_id for user_id, held in editions_of.items() if held <= expired and user_id not in keep
    )
    return people, {edition_id for user_id in people for edition_id in editions_of[user_id]}


async def _personal_data(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    expired = _expired_ids(editions, data_class, period)
    # Every edition someone registered in is checked, so a person of a live edition is never reached.
    people, touched = await _people_to_anonymize(session, expired)
    _check(data_class, editions, touched)
    if not dry:
        for user_id in people:
            await forget.forget_person(session, user_id)
    return len(people)


async def _rows_of_expired_editions(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
    model: Any,
    parent: Any,
    link: Any,
) -> int:
    """Delete the rows of `model` that belong, through `link`, to a `parent` (with an edition_id) of an edition
    whose period has passed; refused as a whole when one of those editions is live."""
    expired = _expired_ids(editions, data_class, period)
    if not expired:
        return 0
    rows = await session.execute(
        select(parent.edition_id, func.count(model.id))
        .join(parent, parent.id == link)
        .where(parent.edition_id.in_(expired))
        .group_by(parent.edition_id)
    )
    counts = dict(rows.tuples().all())
    _check(data_class, editions, counts)
    if not dry and counts:
        parents = select(parent.id).where(parent.edition_id.in_(list(counts)))
        await session.execute(delete(model).where(link.in_(parents)))
    return sum(counts.values())


async def _lead_scans(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    return await _rows_of_expired_editions(
        session, data_class, period, editions, dry, Lead, Exhibitor, Lead.exhibitor_id
    )


async def _viewing_records(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    return await _rows_of_expired_editions(
        session, data_class, period, editions, dry, ViewingMinute, ProgrammeSession, ViewingMinute.session_id
    )


async def _messages(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    """Conversations between participants go with their messages once the period after the edition passed."""
    expired = _expired_ids(editions, data_class, period)
    counts = await messages.count_by_edition(session, expired)
    _check(data_class, editions, counts)
    if not dry:
        await messages.purge_editions(session, expired)
    return sum(counts.values())


async def _mail_bodies(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    """The text of delivered (or given-up) mail older than the period is cleared; the record of the send stays."""
    cutoff = rules.before(clock.now(), period, data_class.unit)
    # JSON columns hold either SQL NULL or JSON null for "none": read back, both are None.
    rows = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.body_text != "",
            OutboxMessage.body_html.is_not(None),
            OutboxMessage.headers,
            OutboxMessage.invitation,
        ).where(OutboxMessage.created_at < cutoff, OutboxMessage.status.in_(("sent", "failed")))
    )
    due = [row[0] for row in rows.tuples() if any(row[1:])]
    if not dry:
        # The personalised HTML and the headers (the one-click unsubscribe token) go with the text.
        for start in range(0, len(due), 500):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due[start : start + 500]))
                .values(body_text="", body_html=None, headers=null(), invitation=null())
            )
    return len(due)


async def _audit_entries(
    session: AsyncSession,
    data_class: rules.DataClass,
    period: int,
    editions: list[rules.EditionState],
    dry: bool,
) -> int:
    """Entries older than the period go, an edition's only once the period after the edition has passed too."""
    cutoff = rules.before(clock.now(), period, data_class.unit)
    expired = _expired_ids(editions, data_class, period)
    old = AuditEntry.created_at < cutoff
    rows = (
        await session.execute(
            select(AuditEntry.edition_id, func.count(AuditEntry.id))
            .where(old)
            .group_by(AuditEntry.edition_id)
        )
    ).tuples()
    counts = {edition_id: n for edition_id, n in rows.all() if edition_id is None or edition_id in expired}
    _check(data_class, editions, [e for e in counts if e is not None])
    condition = or_(AuditEntry.edition_id.is_(None), AuditEntry.edition_id.in_(expired))
    if not dry and counts:
        await session.execute(delete(AuditEntry).where(old, condition))
    return sum(counts.values())


HANDLERS: dict[str, Handler] = {
    "tour_id_numbers": _tour_id_numbers,
    "visa_passport_data": _visa_passport_data,
    "personal_data": _personal_data,
    "lead_scans": _lead_scans,
    "viewing_records": _viewing_records,
    "messages": _messages,
    "mail_bodies": _mail_bodies,
    "audit_entries": _audit_entries,
}


async def _keep_report_figures(session: AsyncSession, states: list[rules.EditionState]) -> None:
    """Ended editions' report figures are kept before the rules thin the data they are counted from."""
    for state in states:
        if not state.is_current and state.ends_on < _today():
            edition = await session.get(Edition, state.id)
            assert edition is not None  # the state was read from it
            await reports.freeze(session, edition)


async def apply(
    session: AsyncSession,
    actor: audit.Actor | None,
    dry_run: bool = False,
    only: Iterable[str] | None = None,
) -> RunReport:
    """Apply every rule (or those named in `only`), one transaction per class; commits as it goes.

    A dry run counts what each rule would change and changes nothing (no run is recorded either). A real run
    records, per class, an audit entry (actor None: the system) and, at the end, the run in the history.
    """
    wanted = set(only) if only is not None else set(HANDLERS)
    unknown = wanted - set(HANDLERS)
    if unknown:
        raise DomainError(
            "privacy.error_unknown_class", "unknown_class", field="only", name=sorted(unknown)[0]
        )
    configured = await periods(session)
    editions = await _editions(session)
    if not dry_run:
        await _keep_report_figures(session, editions)
    await session.commit()  # start each class on a transaction of its own
    results = []
    for data_class in rules.CLASSES:
        if data_class.key not in wanted:
            continue
        period = configured[data_class.key]
        result = ClassResult(data_class.key, period, data_class.unit, data_class.action)
        try:
            result.count = await HANDLERS[data_class.key](session, data_class, period, editions, dry_run)
            if dry_run:
                result.status = "dry_run"
            elif result.count:
                await audit.record(
                    session,
                    actor,
                    "privacy.retention_applied",
                    "retention_rule",
                    None,
                    data_class.key,
                    after={
                        "data_class": data_class.key,
                        "period": f"{period} {data_class.unit}",
                        "count": result.count,
                    },
                )
            await session.flush()
            await (session.rollback() if dry_run else session.commit())
        except Refused as exc:
            await session.rollback()
            result.status, result.message = "refused", exc.message
            result.params = {"edition": exc.edition.name, "rule": data_class.key}
            result.count = 0
        except (SQLAlchemyError, DomainError) as exc:  # the class's changes roll back as one
            await session.rollback()
            result.status, result.message, result.count = "failed", "privacy.failed", 0
            result.params = {"rule": data_class.key, "reason": type(exc).__name__}
        results.append(result)
    report = RunReport(dry_run, results)
    if not dry_run:
        run = RetentionRun(
            dry_run=False,
            actor_id=actor.id if actor else None,
            actor_name=actor.display_name[:300] if actor else "system",
            results=[r.as_dict() for r in results],
            refused=bool(report.refused),
        )
        session.add(run)
        await session.flush()
        report.run_id = run.id
        await session.commit()
    return report


async def get_run(session: AsyncSession, run_id: int) -> RetentionRun | None:
    return await session.get(RetentionRun, run_id)


async def recent_runs(session: AsyncSession, limit: int = 10) -> list[RetentionRun]:
    rows = await session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit))
    return list(rows.all())
