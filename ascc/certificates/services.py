"""Certificates of attendance: who may have one, what it names, issuing it once, verifying and revoking it.

Eligible: a confirmed registration of an edition that has ended, checked in on site (any scan at a door,
session, bus or table) or online for at least the organizer's threshold of minutes. The certificate lists
the sessions attended (checked in, or watched for `SESSION_MINUTES`), the tours taken (bus check-in or the
roll call's "present") and the business meetings held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, dates, locks
from ascc.accounts.models import User
from ascc.audit import services as audit
from ascc.badges.models import CheckIn
from ascc.certificates import render, signing
from ascc.certificates.models import (
    DEFAULT_ONLINE_MINUTES,
    REVOKE_REASONS,
    Certificate,
    CertificateSettings,
)
from ascc.db import insert_ignoring_duplicates, rows_changed
from ascc.editions import phases
from ascc.editions.models import Edition
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.matching.models import Meeting
from ascc.online.models import ViewingMinute
from ascc.organizations.models import Organization
from ascc.programme.models import ProgrammeSession
from ascc.registration.models import Registration
from ascc.text import clean_line
from ascc.tours.models import Booking, Course, Tour

SESSION_MINUTES = 10  # watched this long, a session counts as attended online
MAX_ONLINE_MINUTES = 24 * 60


def ended(edition: Edition, now: datetime | None = None) -> bool:
    return phases.stage(phases.timeline_of(edition), now or clock.now()) == phases.ENDED


# --- the organizer's threshold ------------------------------------------------------------------------------


async def online_minutes(session: AsyncSession, edition_id: int) -> int:
    value = await session.scalar(
        select(CertificateSettings.online_minutes).where(CertificateSettings.edition_id == edition_id)
    )
    return DEFAULT_ONLINE_MINUTES if value is None else value


async def set_online_minutes(
    session: AsyncSession, edition_id: int, raw: str | int, actor: audit.Actor | None
) -> int:
    try:
        minutes = int(str(raw).strip())
    except ValueError:
        minutes = -1
    if not 1 <= minutes <= MAX_ONLINE_MINUTES:
        raise ValidationFailed(
            {"online_minutes": ("certificates.error.minutes", {"max": MAX_ONLINE_MINUTES})}
        )
    before = await online_minutes(session, edition_id)
    await session.execute(
        insert_ignoring_duplicates(session, CertificateSettings)
        .values(edition_id=edition_id, online_minutes=minutes, created_at=clock.now(), updated_at=clock.now())
        .on_conflict_do_nothing(index_elements=["edition_id"])
    )
    await session.execute(
        update(CertificateSettings)
        .where(CertificateSettings.edition_id == edition_id)
        .values(online_minutes=minutes, updated_at=clock.now())
    )
    await audit.record(
        session,
        actor,
        "certificates.settings",
        "certificate_settings",
        edition_id,
        "online minutes",
        before={"online_minutes": before},
        after={"online_minutes": minutes},
        edition_id=edition_id,
    )
    return minutes


# --- eligibility --------------------------------------------------------------------------------------------


def _on_site(edition_id: int):  # type: ignore[no-untyped-def]
    return select(CheckIn.registration_id).where(CheckIn.edition_id == edition_id)


def _minutes_watched(edition_id: int):  # type: ignore[no-untyped-def]
    return (
        select(ViewingMinute.user_id, func.count().label("minutes"))
        .join(ProgrammeSession, ProgrammeSession.id == ViewingMinute.session_id)
        .where(ProgrammeSession.edition_id == edition_id)
        .group_by(ViewingMinute.user_id)
    )


async def eligible_ids(session: AsyncSession, edition_id: int) -> list[int]:
    """The confirmed registrations of the edition that qualify, in id order (one query)."""
    threshold = await online_minutes(session, edition_id)
    watched = _minutes_watched(edition_id).having(func.count() >= threshold).subquery()
    rows = await session.scalars(
        select(Registration.id)
        .where(
            Registration.edition_id == edition_id,
            Registration.status == "confirmed",
            or_(
                Registration.id.in_(_on_site(edition_id)),
                Registration.user_id.in_(select(watched.c.user_id)),
            ),
        )
        .order_by(Registration.id)
    )
    return list(rows.all())


@dataclass(frozen=True)
class Standing:
    """Where a person stands: why there is no certificate yet, or that there is one to download."""

    registration: Registration | None
    on_site: bool
    minutes: int
    threshold: int
    over: bool
    certificate: Certificate | None

    @property
    def eligible(self) -> bool:
        confirmed = self.registration is not None and self.registration.status == "confirmed"
        return confirmed and (self.on_site or self.minutes >= self.threshold)

    @property
    def problem(self) -> str | None:
        """not_registered | not_ended | not_attended | revoked, or None: the certificate can be had."""
        if self.registration is None or self.registration.status != "confirmed":
            return "not_registered"
        if not self.over:
            return "not_ended"
        if not self.eligible:
            return "not_attended"
        if self.certificate is not None and self.certificate.revoked_at is not None:
            return "revoked"
        return None


async def standing(session: AsyncSession, edition: Edition, user_id: int) -> Standing:
    reg = await session.scalar(
        select(Registration).where(Registration.edition_id == edition.id, Registration.user_id == user_id)
    )
    threshold = await online_minutes(session, edition.id)
    minutes = int(
        await session.scalar(
            select(func.count())
            .select_from(ViewingMinute)
            .join(ProgrammeSession, ProgrammeSession.id == ViewingMinute.session_id)
            .where(ProgrammeSession.edition_id == edition.id, ViewingMinute.user_id == user_id)
        )
        or 0
    )
    on_site, cert = False, None
    if reg is not None:
        on_site = bool(
            await session.scalar(_on_site(edition.id).where(CheckIn.registration_id == reg.id).limit(1))
        )
        cert = await session.scalar(select(Certificate).where(Certificate.registration_id == reg.id))
    return Standing(reg, on_site, minutes, threshold, ended(edition), cert)


_PROBLEMS = {
    "not_registered": ("certificates.error.not_registered", 404),
    "not_ended": ("certificates.error.not_ended", 409),
    "not_attended": ("certificates.error.not_attended", 403),
    "revoked": ("certificates.error.revoked", 403),
}


async def issue(session: AsyncSession, edition_id: int, registration_id: int) -> Certificate:
    """The registration's certificate, made now if it has none. Idempotent under any race: the unique index
    on the registration lets one insert through; everyone reads that row."""
    now = clock.now()
    await session.execute(
        insert_ignoring_duplicates(session, Certificate)
        .values(
            edition_id=edition_id,
            registration_id=registration_id,
            reference=signing.new_reference(),
            issued_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["registration_id"])
    )
    cert = await session.scalar(
        select(Certificate)
        .where(Certificate.registration_id == registration_id)
        .execution_options(populate_existing=True)
    )
    assert cert is not None
    return cert


async def my_certificate(
    session: AsyncSession, edition: Edition, user_id: int
) -> tuple[Certificate, Standing]:
    """The person's certificate (issued on first use); DomainError with the reason when there is none.

    The person is locked first (SQLite: the write lock before the reads): two first downloads at once queue
    here, and the unique index on the registration is the backstop."""
    await locks.lock_people(session, user_id)
    where = await standing(session, edition, user_id)
    problem = where.problem
    if problem is not None:
        message, status = _PROBLEMS[problem]
        raise DomainError(message, problem, status=status)
    assert where.registration is not None
    cert = await issue(session, edition.id, where.registration.id)
    if cert.revoked_at is not None:
        raise DomainError("certificates.error.revoked", "revoked", status=403)
    return cert, where


# --- what a certificate names -------------------------------------------------------------------------------


@dataclass
class Attendance:
    sessions: list[render.Item] = field(default_factory=list)
    tours: list[render.Item] = field(default_factory=list)
    meetings: list[render.Item] = field(default_factory=list)


def _when(moment: datetime, tz: str) -> str:
    return moment.astimezone(dates.zone(tz)).strftime("%Y-%m-%d %H:%M")


async def attendance(
    session: AsyncSession, edition: Edition, registration_id: int, user_id: int
) -> Attendance:
    checked = (
        (
            await session.execute(
                select(CheckIn.place_type, CheckIn.place_id).where(
                    CheckIn.registration_id == registration_id, CheckIn.place_type.in_(("session", "tour"))
                )
            )
        )
        .tuples()
        .all()
    )
    session_ids = {pid for kind, pid in checked if kind == "session" and pid is not None}
    watched = await session.scalars(
        select(ViewingMinute.session_id)
        .where(ViewingMinute.user_id == user_id)
        .group_by(ViewingMinute.session_id)
        .having(func.count() >= SESSION_MINUTES)
    )
    session_ids |= set(watched.all())
    out = Attendance()
    if session_ids:
        rows = await session.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.id.in_(session_ids), ProgrammeSession.edition_id == edition.id)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
        out.sessions = [
            render.Item(
                s.title_en or s.title_ja, s.title_ja or s.title_en, _when(s.starts_at, edition.timezone)
            )
            for s in rows.all()
        ]
    course_ids = {pid for kind, pid in checked if kind == "tour" and pid is not None}
    present = await session.scalars(
        select(Booking.course_id).where(Booking.user_id == user_id, Booking.present.is_(True))
    )
    course_ids |= set(present.all())
    if course_ids:
        tours = await session.execute(
            select(Course, Tour)
            .join(Tour, Tour.id == Course.tour_id)
            .where(Course.id.in_(course_ids), Tour.edition_id == edition.id)
            .order_by(Course.departs_at, Course.id)
        )
        out.tours = [
            render.Item(
                f"{t.name_en}: {c.theme_en}",
                f"{t.name_ja}：{c.theme_ja}",
                _when(c.departs_at, edition.timezone),
            )
            for c, t in tours.tuples().all()
        ]
    other_id = func.coalesce(
        func.nullif(Meeting.requester_id, user_id), Meeting.recipient_id
    )  # the other party
    meetings = await session.execute(
        select(User.name_latin, Organization.name_en, Organization.name_ja)
        .select_from(Meeting)
        .join(User, User.id == other_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(
            Meeting.edition_id == edition.id,
            Meeting.status == "held",
            or_(Meeting.requester_id == user_id, Meeting.recipient_id == user_id),
        )
        .order_by(Meeting.id)
    )
    for name, org_en, org_ja in meetings.tuples().all():
        en = f"{name} ({org_en})" if org_en else name
        ja = f"{name}（{org_ja or org_en}）" if org_en else name
        out.meetings.append(render.Item(f"Business meeting with {en}", f"{ja}との商談"))
    return out


def verify_url(base_url: str, cert: Certificate, secret: str) -> str:
    return (
        f"{base_url.rstrip('/')}/certificates/verify/{signing.sign(cert.edition_id, cert.reference, secret)}"
    )


async def pdf_data(
    session: AsyncSession, edition: Edition, cert: Certificate, where: Standing, base_url: str, secret: str
) -> render.CertificateData:
    reg = where.registration
    assert reg is not None
    user = await session.get(User, reg.user_id)
    assert user is not None
    org = await session.get(Organization, reg.organization_id) if reg.organization_id else None
    seen = await attendance(session, edition, reg.id, reg.user_id)
    issued = cert.issued_at.astimezone(dates.zone(edition.timezone)).date()
    return render.CertificateData(
        reference=cert.reference,
        verify_url=verify_url(base_url, cert, secret),
        name_latin=user.name_latin,
        name_local=user.name_local or "",
        organization=org.name_en if org else "",
        edition_en=edition.name_en,
        edition_ja=edition.name_ja,
        dates_en=dates.date_range(edition.starts_on, edition.ends_on, "en", "date_long"),
        dates_ja=dates.date_range(edition.starts_on, edition.ends_on, "ja", "date_long"),
        venue_en=edition.venue_name_en or "Yokohama",
        venue_ja=edition.venue_name_ja or edition.venue_name_en or "横浜",
        issued_en=f"Issued on {dates.format_date(issued, 'en', 'date')}",
        issued_ja=f"発行日：{dates.format_date(issued, 'ja', 'date')}",
        online_minutes=0 if where.on_site else where.minutes,
        sessions=seen.sessions,
        tours=seen.tours,
        meetings=seen.meetings,
    )


# --- verifying and revoking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    status: str  # valid | revoked | unknown
    reference: str = ""
    name_latin: str = ""
    name_local: str = ""
    edition_en: str = ""
    edition_ja: str = ""
    issued_at: datetime | None = None
    revoked_at: datetime | None = None


async def verify(session: AsyncSession, code: str, secret: str) -> Verdict:
    """What anyone scanning the QR code learns: valid (with the name and the edition), revoked, or unknown."""
    try:
        reference = signing.reference_of(code)
    except signing.BadCode:
        return Verdict("unknown")
    row = (
        (
            await session.execute(
                select(Certificate, User, Edition, Registration.status)
                .join(Registration, Registration.id == Certificate.registration_id)
                .join(User, User.id == Registration.user_id)
                .join(Edition, Edition.id == Certificate.edition_id)
                .where(Certificate.reference == reference)
            )
        )
        .tuples()
        .first()
    )
    if row is None:
        return Verdict("unknown")
    cert, user, edition, registration_status = row
    try:
        signing.verify(code, cert.edition_id, secret)
    except signing.BadCode:
        return Verdict("unknown")
    # A registration cancelled or rejected since the certificate was issued no longer vouches for it.
    withdrawn = cert.revoked_at is not None or registration_status != "confirmed"
    return Verdict(
        "revoked" if withdrawn else "valid",
        cert.reference,
        user.name_latin,
        user.name_local or "",
        edition.name_en,
        edition.name_ja,
        cert.issued_at,
        cert.revoked_at,
    )


async def revoke(
    session: AsyncSession, edition_id: int, reference: str, reason: str, note: str, actor: audit.Actor | None
) -> Certificate:
    errors: dict = {}
    if reason not in REVOKE_REASONS:
        errors["reason"] = ("certificates.error.reason", {})
    note = clean_line(note or "")[:300]
    if reason == "other" and not note:
        errors["note"] = ("certificates.error.note", {})
    cert = await session.scalar(
        select(Certificate).where(
            Certificate.edition_id == edition_id, Certificate.reference == reference.strip()
        )
    )
    if cert is None:
        if errors:
            raise ValidationFailed(errors)
        raise NotFound("certificate")
    if errors:
        raise ValidationFailed(errors)
    changed = await rows_changed(
        session,
        update(Certificate)
        .where(Certificate.id == cert.id, Certificate.revoked_at.is_(None))
        .values(
            revoked_at=clock.now(), revoked_reason=reason, revoked_note=note or None, updated_at=clock.now()
        ),
    )
    if changed:
        await audit.record(
            session,
            actor,
            "certificates.revoke",
            "certificate",
            cert.id,
            cert.reference,
            after={"reason": reason, "note": note},
            edition_id=edition_id,
        )
    await session.refresh(cert)
    return cert


# --- the organizer's overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    eligible: int
    issued: int
    revoked: int
    notified: int
    threshold: int
    certificates: list[tuple[Certificate, str, str]]  # the latest, with the name (Latin, local)


async def overview(session: AsyncSession, edition_id: int, limit: int = 50) -> Overview:
    counts = (
        await session.execute(
            select(
                func.count(),
                func.count(Certificate.revoked_at),
                func.count(Certificate.notified_at),
            ).where(Certificate.edition_id == edition_id)
        )
    ).one()
    latest = await session.execute(
        select(Certificate, User.name_latin, User.name_local)
        .join(Registration, Registration.id == Certificate.registration_id)
        .join(User, User.id == Registration.user_id)
        .where(Certificate.edition_id == edition_id)
        .order_by(Certificate.id.desc())
        .limit(limit)
    )
    return Overview(
        eligible=len(await eligible_ids(session, edition_id)),
        issued=int(counts[0]),
        revoked=int(counts[1]),
        notified=int(counts[2]),
        threshold=await online_minutes(session, edition_id),
        certificates=[(c, n, local or "") for c, n, local in latest.tuples().all()],
    )
