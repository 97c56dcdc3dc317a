"""Registrations and a cloned edition record the notice version in effect, not a stale setting: a version
published for a later date counts from that date on, without anyone saving the registration settings."""

from __future__ import annotations

from sqlalchemy import select

from ascc.privacy import notices
from ascc.registration import organizer, registering
from ascc.registration import services as registration
from ascc.registration.models import Registration
from tests.factories import make_edition, make_user

NOTICE = {"version": "2023-2", "effective_on": "2023-10-05", "body_en": "New notice", "body_ja": "新しい通知"}


async def test_registrations_and_clones_record_the_version_in_effect(session, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-10-01T09:00+09:00")
    edition = await make_edition(session, "ascc2023")
    following = await make_edition(session, "ascc2024", current=False, year=2024)
    await notices.publish_notice(session, None, NOTICE)  # dated later: not in effect yet
    await session.commit()
    assert await notices.current_version(session) is None
    assert (await registration.get_settings(session, edition.id)).privacy_version == "2023-1"

    monkeypatch.setenv("ASCC_NOW", "2023-10-06T09:00+09:00")  # in effect now; the settings still say 2023-1
    person = await make_user(session, "new@example.org", name="New Person")
    await registering.register(
        session,
        edition.id,
        person.id,
        registering.RegistrationInput(mode="online", category="company", privacy_accepted=True, country="PH"),
        "http://testserver.local",
        notify=False,
        privacy_version=await notices.current_version(session),
    )
    await session.commit()
    recorded = await session.scalar(
        select(Registration.privacy_version).where(Registration.user_id == person.id)
    )
    assert recorded == "2023-2"
    assert await notices.pending_notice(session, person.id) is None  # registering accepted it

    await organizer.copy_setup(
        session, edition.id, following.id, privacy_version=await notices.current_version(session)
    )
    assert (await registration.get_settings(session, following.id)).privacy_version == "2023-2"
    # Without a published notice the setting is used, as before.
    await organizer.copy_setup(session, edition.id, following.id)
    assert (await registration.get_settings(session, following.id)).privacy_version == "2023-1"
