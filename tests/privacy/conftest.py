"""A world for privacy: a past edition (2022) and the current one (2023), people of one or both, a network
member, a lead scan, online viewing minutes, sent mail and audit entries in the past edition."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from ascc.audit import services as audit
from ascc.audit.models import AuditEntry
from ascc.editions import services as editions
from ascc.exhibitors.models import Exhibitor, Lead
from ascc.mail import services as mail
from ascc.mail.models import OutboxMessage
from ascc.network.models import NetworkMember
from ascc.online.models import ViewingMinute
from ascc.organizations import services as organizations
from ascc.programme.models import ProgrammeSession
from ascc.registration import registering
from ascc.registration.models import Registration
from tests.factories import make_edition, make_user
from tests.support.snapshots import snapshotted
from tests.tours.conftest import registered

# 2022 ended on 15 November 2022 (24 months later: 15 November 2024); 2023, the current one, on 15 November 2023.
AFTER_RETENTION = "2025-03-01T10:00+09:00"
OLD = datetime(2022, 11, 15, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def long_after_the_past_edition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", AFTER_RETENTION)


@snapshotted
async def build_world(session) -> SimpleNamespace:
    past = await make_edition(session, "ascc2022", current=False, year=2022)
    current = await make_edition(session, "ascc2023", current=True, year=2023)
    alice = await registered(
        session, past.id, "alice@example.org", name="Alice Tan", local="陳愛麗", city="Cebu"
    )
    bob = await registered(session, past.id, "bob@example.org", name="Bob Member")
    carol = await registered(session, past.id, "carol@example.org", name="Carol Returning")
    dave = await registered(session, current.id, "dave@example.org", name="Dave Current", local="山田 太郎")
    organizer = await make_user(session, "organizer@example.org", role="organizer", name="Mika Organizer")
    # Carol registered again for 2023: her data belongs to a live edition too.
    await registering.register(
        session,
        current.id,
        carol.id,
        registering.RegistrationInput(mode="online", category="company", privacy_accepted=True, country="PH"),
        "http://testserver.local",
        notify=False,
    )
    session.add(NetworkMember(user_id=bob.id, joined_at=OLD, headline="Water reuse"))
    organization = await organizations.find_or_create(session, "AquaTech KK", "JP")
    exhibitor = Exhibitor(
        edition_id=past.id, organization_id=organization.id, name_en="AquaTech", status="approved"
    )
    session.add(exhibitor)
    await session.flush()
    alice_reg = await session.scalar(
        select(Registration.id).where(Registration.user_id == alice.id, Registration.edition_id == past.id)
    )
    session.add(
        Lead(
            exhibitor_id=exhibitor.id,
            user_id=alice.id,
            registration_id=alice_reg,
            scanned_at=OLD,
            note="Call back",
        )
    )
    talk = ProgrammeSession(
        edition_id=past.id,
        title_en="Water talk",
        title_ja="水の講演",
        kind="talk",
        starts_at=OLD,
        ends_at=OLD.replace(hour=4),
        status="published",
    )
    session.add(talk)
    await session.flush()
    session.add_all(
        ViewingMinute(session_id=talk.id, user_id=alice.id, minute=OLD.replace(minute=m)) for m in range(3)
    )
    await mail.queue_mail(
        session,
        to="alice@example.org",
        name="Alice Tan",
        lang="en",
        kind="verify_email",
        context={"name": "A", "link": "x", "hours": 1},
    )
    await session.execute(update(OutboxMessage).values(status="sent", created_at=OLD))
    entry = await audit.record(
        session, None, "registration.approve", "registration", alice_reg, "Alice", edition_id=past.id
    )
    await session.flush()
    await session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(created_at=OLD))
    await session.execute(
        update(editions.Edition).where(editions.Edition.id == past.id).values(status="closed")
    )
    await session.commit()
    return SimpleNamespace(
        past=past.id,
        current=current.id,
        alice=alice.id,
        bob=bob.id,
        carol=carol.id,
        dave=dave.id,
        organizer=organizer.id,
        talk=talk.id,
    )


@pytest.fixture
async def world(session) -> SimpleNamespace:
    return await build_world(session)
