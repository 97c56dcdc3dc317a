""" "Your certificate is ready": one mail to everyone eligible, sent by a background job with its progress.

Each person is mailed once: the job claims a certificate with a conditional update (notified_at from NULL
to now) before queueing its mail, so two mailings running at the same moment (a double click, two
organizers) split the people between them instead of mailing anyone twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts.models import User
from ascc.audit import services as audit
from ascc.certificates import services as certificates
from ascc.certificates.models import Certificate, CertificateMailing
from ascc.db import rows_changed
from ascc.editions.models import Edition
from ascc.errors import DomainError, NotFound
from ascc.mail import services as mail
from ascc.registration.models import Registration

log = logging.getLogger("ascc.certificates")
BATCH = 50  # people per transaction; progress is written after each
STALE_AFTER = timedelta(minutes=30)


async def start(session: AsyncSession, edition: Edition, actor: audit.Actor | None) -> CertificateMailing:
    if not certificates.ended(edition):
        raise DomainError("certificates.error.not_ended", "not_ended", status=409)
    job = CertificateMailing(edition_id=edition.id, requested_by_id=actor.id if actor else None)
    session.add(job)
    await session.flush()
    await audit.record(
        session,
        actor,
        "certificates.notify",
        "certificate_mailing",
        job.id,
        f"#{job.id}",
        edition_id=edition.id,
    )
    return job


async def get(session: AsyncSession, edition_id: int, mailing_id: int) -> CertificateMailing:
    job = await session.get(CertificateMailing, mailing_id, populate_existing=True)
    if job is None or job.edition_id != edition_id:
        raise NotFound("certificate_mailing")
    return job


async def recent(session: AsyncSession, edition_id: int, limit: int = 5) -> list[CertificateMailing]:
    rows = await session.scalars(
        select(CertificateMailing)
        .where(CertificateMailing.edition_id == edition_id)
        .order_by(CertificateMailing.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def running(session: AsyncSession, edition_id: int) -> bool:
    return bool(
        await session.scalar(
            select(func.count()).where(
                CertificateMailing.edition_id == edition_id,
                CertificateMailing.status.in_(("queued", "running")),
                CertificateMailing.created_at > clock.now() - STALE_AFTER,
            )
        )
    )


async def _notify(session: AsyncSession, edition: Edition, registration_id: int, base_url: str) -> bool:
    """Issue the certificate and mail its holder, unless someone (another mailing) already did."""
    cert = await certificates.issue(session, edition.id, registration_id)
    if cert.revoked_at is not None:
        return False
    claimed = await rows_changed(
        session,
        update(Certificate)
        .where(Certificate.id == cert.id, Certificate.notified_at.is_(None))
        .values(notified_at=clock.now()),
    )
    if not claimed:
        return False
    user = await session.scalar(
        select(User)
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.id == registration_id)
    )
    assert user is not None
    await mail.queue_mail(
        session,
        to=user.email,
        name=user.name_latin,
        lang=user.preferred_lang,
        kind="certificate_ready",
        context={
            "name": user.name_latin,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "link": f"{base_url.rstrip('/')}/certificate",
        },
    )
    return True


async def execute(session_maker: Callable[[], AsyncSession], mailing_id: int, base_url: str) -> None:
    async with session_maker() as session:
        job = await session.get(CertificateMailing, mailing_id)
        if job is None:
            return
        try:
            edition = await session.get(Edition, job.edition_id)
            assert edition is not None
            ids = await certificates.eligible_ids(session, edition.id)
            job.status, job.total = "running", len(ids)
            await session.commit()
            done = sent = 0
            for first in range(0, len(ids), BATCH):
                for registration_id in ids[first : first + BATCH]:
                    sent += await _notify(session, edition, registration_id, base_url)
                done += len(ids[first : first + BATCH])
                await session.execute(
                    update(CertificateMailing)
                    .where(CertificateMailing.id == mailing_id)
                    .values(done=done, sent=sent)
                )
                await session.commit()
            await session.execute(
                update(CertificateMailing).where(CertificateMailing.id == mailing_id).values(status="done")
            )
            await session.commit()
        except Exception as exc:  # the organizer sees that it failed and why; the log has the rest
            log.exception("certificate mailing %s failed", mailing_id)
            await session.rollback()
            await session.execute(
                update(CertificateMailing)
                .where(CertificateMailing.id == mailing_id)
                .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:300])
            )
            await session.commit()
