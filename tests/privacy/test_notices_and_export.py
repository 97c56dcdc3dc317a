"""Privacy-notice versions (publishing asks people to accept; acceptance is recorded with version and time;
registrations record the version in effect) and one person's export across domains, nobody else's."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ascc.badges.models import CheckIn
from ascc.errors import ValidationFailed
from ascc.matching.models import Meeting
from ascc.online.models import LiveQuestion
from ascc.privacy import notices
from ascc.privacy.export import person_export
from ascc.programme.models import AgendaEntry
from ascc.registration import services as registration
from ascc.registration.models import Registration
from tests.factories import make_edition, make_user
from tests.tours.conftest import registered

NOTICE = {
    "version": "2023-2",
    "effective_on": "2023-10-01",
    "body_en": "We keep your data for two years.\n\nYou may ask for a copy.",
    "body_ja": "データは2年間保存します。\n\n写しを請求できます。",
}


async def test_publishing_asks_people_to_accept_and_records_their_acceptance(session, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-10-01T09:00+09:00")
    edition = await make_edition(session, "ascc2023")
    edition_id = edition.id
    early = (await registered(session, edition_id, "early@example.org", name="Early Bird")).id
    reader = (await make_user(session, "reader@example.org", name="Only Reading")).id
    assert await notices.pending_notice(session, early) is None  # nothing published yet

    with pytest.raises(ValidationFailed) as wrong:
        await notices.publish_notice(session, None, {**NOTICE, "version": "x" * 21, "body_ja": " "})
    assert set(wrong.value.errors) == {"version", "body_ja"}
    await session.rollback()
    notice = await notices.publish_notice(session, None, NOTICE)
    await session.commit()
    with pytest.raises(ValidationFailed) as taken:
        await notices.publish_notice(session, None, NOTICE)
    assert taken.value.errors["version"][0] == "privacy.error_version_taken"
    await session.rollback()

    assert (await notices.pending_notice(session, early)).version == "2023-2"
    assert (await notices.pending_notice(session, reader)).version == "2023-2"
    monkeypatch.setenv("ASCC_NOW", "2023-10-02T11:30+09:00")
    await notices.accept(session, reader, "2023-2")
    await session.commit()
    acceptance = await notices.accept(session, reader, "2023-2")  # accepting twice keeps the first time
    assert acceptance.accepted_at == datetime(2023, 10, 2, 2, 30, tzinfo=UTC)
    assert await notices.pending_notice(session, reader) is None

    # Registering now records the version in effect, which counts as accepting it.
    late = (await registered(session, edition_id, "late@example.org", name="Late Comer")).id
    version = await session.scalar(select(Registration.privacy_version).where(Registration.user_id == late))
    assert version == "2023-2" and await notices.pending_notice(session, late) is None
    assert (await registration.get_settings(session, edition_id)).privacy_version == "2023-2"
    counts = {c.notice.version: c.accepted for c in await notices.acceptance_counts(session)}
    assert counts == {"2023-2": 2}
    missing = {p.email for p in await notices.not_accepted(session, notice)}
    assert missing == {"early@example.org"}


async def test_export_holds_the_persons_data_from_every_domain_and_nobody_elses(session, world) -> None:
    reg_id = await session.scalar(
        select(Registration.id).where(
            Registration.user_id == world.alice, Registration.edition_id == world.past
        )
    )
    moment = datetime(2022, 11, 14, 2, 0, tzinfo=UTC)
    session.add_all(
        [
            AgendaEntry(user_id=world.alice, session_id=world.talk, edition_id=world.past, signed_up=True),
            LiveQuestion(
                session_id=world.talk, user_id=world.alice, author="Alice Tan", body="How is sludge reused?"
            ),
            LiveQuestion(
                session_id=world.talk, user_id=world.dave, author="Dave Current", body="Dave's question"
            ),
            CheckIn(
                edition_id=world.past,
                registration_id=reg_id,
                place_type="entrance",
                place_key="entrance:2022-11-14",
                checked_in_at=moment,
                device_id="gate-1",
            ),
            Meeting(
                edition_id=world.past,
                requester_id=world.dave,
                recipient_id=world.alice,
                message="Dave wants to talk about pumps",
                status="accepted",
                room_token="r" * 32,
            ),
        ]
    )
    await session.commit()
    await notices.publish_notice(session, None, {**NOTICE, "effective_on": "2024-01-01"})
    await notices.accept(session, world.alice, "2023-2")
    await session.commit()

    data = await person_export(session, world.alice)
    text = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == "alice@example.org" and data["account"]["name_local"] == "陳愛麗"
    assert data["registrations"][0]["city"] == "Cebu"
    assert data["agenda"][0]["title_ja"] == "水の講演"
    assert data["questions_asked"][0]["question"] == "How is sludge reused?"
    assert data["viewing_minutes"][0]["minutes"] == 3
    assert data["check_ins"][0]["place"] == "entrance:2022-11-14"
    assert data["meetings"][0]["role"] == "recipient" and data["meetings"][0]["my_message"] is None
    assert data["leads_about_me"][0]["exhibitor"] == "AquaTech KK"
    assert data["leads_about_me"][0]["note"] == "Call back"
    assert {a["version"] for a in data["privacy_notice_acceptances"]} >= {"2023-2"}
    assert data["consents"] and data["mail"]
    for other in ("Dave", "dave@", "bob@", "Bob Member", "carol@", "Carol", "山田", "pumps"):
        assert other not in text, other
