"""Certificates of attendance through the services, on SQLite and PostgreSQL: who may have one, what it names,
issuing once, verifying, revoking, and the mailing that tells each person once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from ascc.certificates import mailing, signing
from ascc.certificates import services as certificates
from ascc.certificates.models import Certificate, CertificateMailing
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.mail.models import OutboxMessage
from ascc.registration.models import Registration
from tests.certificates.conftest import AFTER, DURING, build_world

SECRET = "test-secret"


@pytest.fixture
def after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", AFTER)


async def test_eligible_people_checked_in_on_site_or_watched_enough(session, after) -> None:
    w = await build_world(session)
    assert await certificates.eligible_ids(session, w.edition_id) == sorted(
        [w.onsite.registration_id, w.partner.registration_id, w.online.registration_id]
    )
    # The organizer lowers the online threshold: Kasun's 20 minutes now count.
    await certificates.set_online_minutes(session, w.edition_id, "20", None)
    assert w.short.registration_id in await certificates.eligible_ids(session, w.edition_id)


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "5000", "", "1.5", "<script>"])
async def test_threshold_must_be_whole_minutes_in_range(session, raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:  # refused before the database is asked
        await certificates.set_online_minutes(session, 1, raw, None)
    assert list(refused.value.errors) == ["online_minutes"]


async def test_no_certificate_before_the_edition_ends(session, monkeypatch) -> None:
    w = await build_world(session)
    monkeypatch.setenv("ASCC_NOW", DURING)
    edition = await editions.get_by_id(session, w.edition_id)
    with pytest.raises(DomainError) as refused:
        await certificates.my_certificate(session, edition, w.onsite.user_id)
    assert (refused.value.code, refused.value.status_code) == ("not_ended", 409)


async def test_absent_and_short_viewers_are_told_why(session, after) -> None:
    w = await build_world(session)
    edition = await editions.get_by_id(session, w.edition_id)
    for who in (w.absent, w.short):
        with pytest.raises(DomainError) as refused:
            await certificates.my_certificate(session, edition, who.user_id)
        assert (refused.value.code, refused.value.status_code) == ("not_attended", 403)
    assert (await certificates.standing(session, edition, w.short.user_id)).minutes == 20


async def test_certificate_names_sessions_tours_and_meetings(session, after) -> None:
    w = await build_world(session)
    edition = await editions.get_by_id(session, w.edition_id)
    seen = await certificates.attendance(session, edition, w.onsite.registration_id, w.onsite.user_id)
    assert [(s.en, s.ja) for s in seen.sessions] == [("Keynote on VLRs", "VLR基調講演")]
    assert [(t.en, t.ja) for t in seen.tours] == [
        ("Minato Mirai smart city: Energy management", "みなとみらいスマートシティ：エネルギー管理")
    ]
    assert ["Somchai Jaidee" in m.en and "Somchai Jaidee" in m.ja for m in seen.meetings] == [True]
    online = await certificates.attendance(session, edition, w.online.registration_id, w.online.user_id)
    assert [s.ja for s in online.sessions] == ["VLR基調講演", "テーマ別セッション：水"]


async def test_issuing_twice_gives_the_same_certificate(session, after) -> None:
    w = await build_world(session)
    edition = await editions.get_by_id(session, w.edition_id)
    first, _ = await certificates.my_certificate(session, edition, w.onsite.user_id)
    again, _ = await certificates.my_certificate(session, edition, w.onsite.user_id)
    assert first.reference == again.reference
    assert await session.scalar(select(func.count()).select_from(Certificate)) == 1


async def test_verify_says_valid_then_revoked_and_refuses_forgeries(session, after) -> None:
    w = await build_world(session)
    edition = await editions.get_by_id(session, w.edition_id)
    cert, _ = await certificates.my_certificate(session, edition, w.onsite.user_id)
    code = signing.sign(cert.edition_id, cert.reference, SECRET)
    verdict = await certificates.verify(session, code, SECRET)
    assert (verdict.status, verdict.name_latin, verdict.edition_en) == (
        "valid",
        "Haruka Sato",
        edition.name_en,
    )
    for forged in (
        code[:-2] + "xx",
        cert.reference + ".",
        "nonsense",
        signing.sign(cert.edition_id, "A" * 16, SECRET),
    ):
        assert (await certificates.verify(session, forged, SECRET)).status == "unknown"
    assert (await certificates.verify(session, code, "another secret")).status == "unknown"
    # A registration cancelled after the certificate was issued no longer vouches for it.
    online, _ = await certificates.my_certificate(session, edition, w.online.user_id)
    online_code = signing.sign(online.edition_id, online.reference, SECRET)
    assert (await certificates.verify(session, online_code, SECRET)).status == "valid"
    await session.execute(
        update(Registration).where(Registration.id == w.online.registration_id).values(status="cancelled")
    )
    assert (await certificates.verify(session, online_code, SECRET)).status == "revoked"

    with pytest.raises(ValidationFailed) as refused:
        await certificates.revoke(session, w.edition_id, cert.reference, "bored", "", None)
    assert list(refused.value.errors) == ["reason"]
    with pytest.raises(ValidationFailed) as refused:
        await certificates.revoke(session, w.edition_id, cert.reference, "other", "  ", None)
    assert list(refused.value.errors) == ["note"]
    await certificates.revoke(
        session, w.edition_id, cert.reference, "error", "Checked in by mistake 👍", None
    )
    await session.commit()
    assert (await certificates.verify(session, code, SECRET)).status == "revoked"
    with pytest.raises(DomainError) as refused:
        await certificates.my_certificate(session, edition, w.onsite.user_id)
    assert refused.value.code == "revoked"


async def test_two_mailings_at_once_mail_each_eligible_person_once(session_maker, after) -> None:
    async with session_maker() as session:
        w = await build_world(session)
        edition = await editions.get_by_id(session, w.edition_id)
        # Somchai's certificate was revoked: no mail for him.
        cert = await certificates.issue(session, w.edition_id, w.partner.registration_id)
        await certificates.revoke(session, w.edition_id, cert.reference, "duplicate", "", None)
        first = await mailing.start(session, edition, None)
        second = await mailing.start(session, edition, None)
        await session.commit()
        ids = first.id, second.id
    await asyncio.gather(*(mailing.execute(session_maker, i, "http://testserver.local") for i in ids))
    async with session_maker() as session:
        to = (
            await session.scalars(
                select(OutboxMessage.to_address).where(OutboxMessage.kind == "certificate_ready")
            )
        ).all()
        assert sorted(to) == ["haruka@example.org", "thu@example.org"]
        jobs = (await session.scalars(select(CertificateMailing).order_by(CertificateMailing.id))).all()
        assert [(j.status, j.done, j.total) for j in jobs] == [("done", 3, 3), ("done", 3, 3)]
        assert sum(j.sent for j in jobs) == 2
    # A third mailing later finds everyone told already.
    async with session_maker() as session:
        third = await mailing.start(session, edition, None)
        await session.commit()
    await mailing.execute(session_maker, third.id, "http://testserver.local")
    async with session_maker() as session:
        assert (
            await session.scalar(select(func.count()).where(OutboxMessage.kind == "certificate_ready")) == 2
        )
