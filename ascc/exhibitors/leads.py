"""Lead retrieval: exhibitor staff scan a badge's QR code or type its short code; a lead exists only if the
attendee opted in. The badge is judged as at the check-in door (signature, edition, validity, revocation), by
the badges domain, which is built on this one: it comes in as `BadgeHolder` (app.DEPENDENCIES)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors import webhook_events
from ascc.exhibitors.models import Exhibitor, Lead
from ascc.registration import services as registration
from ascc.text import FieldError, optional_block

NOTE_MAX = 2_000

# badges.checkin.identify: (session, edition id, QR text or short code) -> (None, None, registration) for a badge
# in force, else ("invalid" | "revoked", the reason, the registration if known).
BadgeHolder = Callable[
    [AsyncSession, int, str], Awaitable[tuple[str | None, str | None, registration.Registration | None]]
]


@dataclass(frozen=True)
class ScanResult:
    """recorded | already (scanned before) | not_shared (no consent, or withdrawn) | unknown (no such badge) |
    invalid (forged, expired, another conference's: `reason`) | revoked (replaced or cancelled: `reason`)."""

    outcome: str
    lead: Lead | None = None
    reason: str | None = None


async def record(
    session: AsyncSession, exhibitor: Exhibitor, staff_user_id: int, code: str, holder: BadgeHolder
) -> ScanResult:
    """Store a lead for the badge `code` (its QR text or short code), if and only if the badge is in force and
    its holder opted in to scanning by exhibitors. Nothing is stored otherwise.

    Only a published (approved) exhibitor collects leads: a draft profile is anyone's to create.
    """
    if exhibitor.status != "approved":
        raise DomainError("error.exhibitor_not_approved", "exhibitor_not_approved", status=403)
    refusal, reason, attendee = await holder(session, exhibitor.edition_id, code)
    if refusal == "invalid" and reason in ("unknown", "malformed"):
        return ScanResult("unknown")
    if refusal is not None or attendee is None:
        return ScanResult(refusal or "unknown", reason=reason)
    existing = await _lead_of(session, exhibitor.id, attendee.user_id)
    if existing is not None and existing.withdrawn_at is not None:
        return ScanResult("not_shared")  # they withdrew it from this exhibitor: a new scan must not undo that
    if not attendee.consent_scanning:
        return ScanResult("not_shared")  # nothing is stored, not even that the scan happened
    if existing is not None:
        return ScanResult("already", existing)
    lead = Lead(
        exhibitor_id=exhibitor.id,
        user_id=attendee.user_id,
        registration_id=attendee.id,
        scanned_by_id=staff_user_id,
        scanned_at=clock.now(),
    )
    try:
        async with session.begin_nested():  # two staff scanning the same badge at once: one lead
            session.add(lead)
    except IntegrityError:
        return ScanResult("already", await _lead_of(session, exhibitor.id, attendee.user_id))
    await webhook_events.lead_recorded(session, exhibitor, lead, attendee)
    return ScanResult("recorded", lead)


async def _lead_of(session: AsyncSession, exhibitor_id: int, user_id: int) -> Lead | None:
    return await session.scalar(
        select(Lead).where(Lead.exhibitor_id == exhibitor_id, Lead.user_id == user_id)
    )


@dataclass(frozen=True)
class LeadView:
    """What an exhibitor may know of a lead: the contact details the attendee agreed to share."""

    id: int
    name_latin: str
    name_local: str | None
    email: str
    organization: str
    position: str
    country: str | None
    category: str
    scanned_at: datetime
    scanned_by: str
    note: str
    rating: int | None


async def list_leads(
    session: AsyncSession, exhibitor: Exhibitor, lead_id: int | None = None
) -> list[LeadView]:
    """The exhibitor's leads, newest first (or only `lead_id`), with the people's details in two queries."""
    query = select(Lead).where(Lead.exhibitor_id == exhibitor.id, Lead.withdrawn_at.is_(None))
    if lead_id is not None:
        query = query.where(Lead.id == lead_id)
    rows = (await session.scalars(query.order_by(Lead.scanned_at.desc(), Lead.id.desc()))).all()
    if not rows:
        return []
    people = await registration.registrations_of(session, exhibitor.edition_id, [r.user_id for r in rows])
    staff = {
        u.id: u
        for u in await accounts.get_users(session, list({r.scanned_by_id for r in rows if r.scanned_by_id}))
    }
    views = []
    for lead in rows:
        person = people.get(lead.user_id)
        if person is None:
            continue
        scanner = staff.get(lead.scanned_by_id or 0)
        views.append(
            LeadView(
                id=lead.id,
                name_latin=person.user.name_latin,
                name_local=person.user.name_local,
                email=person.user.email,
                organization=person.organization.name_en if person.organization else "",
                position=person.position or "",
                country=person.country,
                category=person.category,
                scanned_at=lead.scanned_at,
                scanned_by=scanner.name_latin if scanner else "",
                note=lead.note,
                rating=lead.rating,
            )
        )
    return views


async def get_lead(session: AsyncSession, exhibitor_id: int, lead_id: int) -> Lead:
    """A lead of this exhibitor; another exhibitor's lead answers 404 as if it did not exist."""
    lead = await session.scalar(
        select(Lead).where(Lead.id == lead_id, Lead.exhibitor_id == exhibitor_id, Lead.withdrawn_at.is_(None))
    )
    if lead is None:
        raise NotFound("lead")
    return lead


async def annotate(
    session: AsyncSession,
    exhibitor_id: int,
    lead_id: int,
    note: str | None,
    rating: Any,
    actor: audit.Actor | None = None,
) -> Lead:
    lead = await get_lead(session, exhibitor_id, lead_id)
    before = audit.snapshot(lead, ("note", "rating"))
    errors: dict = {}
    try:
        cleaned = optional_block("note", note, NOTE_MAX)
    except FieldError as exc:
        errors[exc.field] = (exc.key, exc.params)
        cleaned = ""
    value: int | None = None
    if rating not in (None, ""):
        try:
            value = int(rating)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors["rating"] = ("error.rating_range", {})
    if errors:
        raise ValidationFailed(errors)
    lead.note, lead.rating = cleaned, value
    await session.flush()
    exhibitor = await session.get_one(Exhibitor, exhibitor_id)
    # Only that the note or rating changed: withdrawing the lead promises the notes are gone, so the log never
    # holds their text, the rating or the attendee's name.
    after = audit.snapshot(lead, ("note", "rating"))
    changed = {name: "changed" for name in after if after[name] != before[name]}
    if changed:
        await audit.record(
            session,
            actor,
            "exhibitor.lead_note",
            "lead",
            lead.id,
            f"lead #{lead.id} · {exhibitor.name_en}",
            after=changed,
            edition_id=exhibitor.edition_id,
        )
    return lead


@dataclass(frozen=True)
class MyScan:
    id: int
    exhibitor_en: str
    exhibitor_ja: str
    booth: str | None
    scanned_at: Any


async def scans_of(session: AsyncSession, edition_id: int, user_id: int) -> list[MyScan]:
    """Which exhibitors hold this attendee as a lead (withdrawn ones are gone from this list)."""
    rows = await session.scalars(
        select(Lead)
        .join(Exhibitor)
        .where(Lead.user_id == user_id, Exhibitor.edition_id == edition_id, Lead.withdrawn_at.is_(None))
        .options(joinedload(Lead.exhibitor))
        .order_by(Lead.scanned_at.desc())
    )
    return [
        MyScan(
            id=lead.id,
            exhibitor_en=lead.exhibitor.name_en,
            exhibitor_ja=lead.exhibitor.name_ja or lead.exhibitor.name_en,
            booth=lead.exhibitor.booth_number,
            scanned_at=lead.scanned_at,
        )
        for lead in rows
    ]


async def withdraw(session: AsyncSession, user_id: int, lead_id: int) -> None:
    """The attendee takes their details back: the exhibitor no longer sees them, nor its notes on them."""
    lead = await session.scalar(select(Lead).where(Lead.id == lead_id, Lead.user_id == user_id))
    if lead is None:
        raise NotFound("lead")
    lead.withdrawn_at = clock.now()
    lead.note, lead.rating = "", None
    await session.flush()


CSV_HEADER = (
    "name_latin",
    "name_local",
    "email",
    "organization",
    "position",
    "country",
    "category",
    "scanned_at",
    "scanned_by",
    "rating",
    "note",
)


def csv_rows(views: list[LeadView]) -> list[list[Any]]:
    return [
        [
            v.name_latin,
            v.name_local or "",
            v.email,
            v.organization,
            v.position,
            v.country or "",
            v.category,
            v.scanned_at.isoformat(timespec="seconds"),
            v.scanned_by,
            v.rating or "",
            v.note,
        ]
        for v in views
    ]
