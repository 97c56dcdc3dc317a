"""Registration rules on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ascc import clock
from ascc.errors import DomainError, ValidationFailed
from ascc.mail import services as mail
from ascc.organizations import services as organizations
from ascc.privacy.export import export_my_data
from ascc.privacy.forget import delete_account
from ascc.registration import consents, delegations, organizer, registering
from ascc.registration import services as registration
from ascc.registration.models import Registration
from tests.registration.conftest import BASE, entry
from tests.support.web import link_in


async def set_capacity(session, edition, in_person=None, online=None, approval=(), invitation=()):
    await organizer.update_settings(
        session,
        edition.id,
        organizer.SettingsInput(in_person, online, list(approval), list(invitation), "2023-1"),
        BASE,
    )
    await session.commit()


async def register(session, edition, user, **changes):
    result = await registering.register(session, edition.id, user.id, entry(**changes), BASE)
    await session.commit()
    return result


async def test_register_confirms_and_mails_in_both_languages(session, edition, person) -> None:
    user = await person("maria@example.org")
    result = await register(session, edition, user)
    assert (result.status, result.mode, result.organization.name_en) == (
        "confirmed",
        "in_person",
        "Cebu City",
    )
    [message] = await mail.messages_to(session, "maria@example.org")
    assert message.kind == "registration_confirmed"
    assert "Edition ascc2023" in message.body_text and "第2023回" in message.body_text


async def test_full_edition_puts_newcomers_on_the_waiting_list_in_order(session, edition, person) -> None:
    await set_capacity(session, edition, in_person=2)
    results = [await register(session, edition, await person()) for _ in range(4)]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert [await registration.waiting_position(session, r) for r in results[2:]] == [1, 2]


async def test_cancellation_promotes_the_first_waiting_person_and_mails_them(
    session, edition, person
) -> None:
    await set_capacity(session, edition, in_person=1)
    first = await register(session, edition, await person("first@example.org"))
    second = await register(session, edition, await person("second@example.org"))
    await registering.cancel(session, first, BASE)
    await session.commit()
    promoted = await registration.get_registration(session, second.id)
    assert promoted.status == "confirmed"
    kinds = [m.kind for m in await mail.messages_to(session, "second@example.org")]
    assert kinds == ["registration_waiting", "registration_promoted"]


async def test_switch_to_online_frees_the_seat_for_the_next_person(session, edition, person) -> None:
    await set_capacity(session, edition, in_person=1)
    head = await register(session, edition, await person())
    waiting = await register(session, edition, await person())
    await registering.switch_mode(session, head, "online", BASE)
    await session.commit()
    assert (head.mode, head.status) == ("online", "confirmed")
    assert (await registration.get_registration(session, waiting.id)).status == "confirmed"


async def test_switch_into_a_full_mode_is_refused_and_keeps_the_seat(session, edition, person) -> None:
    await set_capacity(session, edition, in_person=5, online=1)
    await register(session, edition, await person(), mode="online")
    mine = await register(session, edition, await person())
    mine_id = mine.id
    with pytest.raises(DomainError) as refused:
        await registering.switch_mode(session, mine, "online", BASE)
    assert refused.value.code == "mode_full"
    await session.rollback()
    assert (await registration.get_registration(session, mine_id)).mode == "in_person"


async def test_second_registration_for_the_same_edition_is_refused(session, edition, person) -> None:
    user = await person()
    await register(session, edition, user)
    with pytest.raises(DomainError) as refused:
        await registering.register(session, edition.id, user.id, entry(), BASE)
    assert refused.value.code == "already_registered"


async def test_cancelled_person_may_register_again(session, edition, person) -> None:
    user = await person()
    first = await register(session, edition, user)
    await registering.cancel(session, first, BASE)
    await session.commit()
    again = await register(session, edition, user, mode="online")
    assert (again.id, again.status, again.mode) == (first.id, "confirmed", "online")


async def test_approval_category_waits_for_the_organizer(session, edition, person) -> None:
    await set_capacity(session, edition, approval=["press"])
    reporter = await person("press@example.org")
    pending = await register(session, edition, reporter, category="press", organization="Yokohama Shimbun")
    assert pending.status == "pending"
    await registering.decide(session, pending, True, BASE)
    await session.commit()
    assert pending.status == "confirmed"
    kinds = [m.kind for m in await mail.messages_to(session, "press@example.org")]
    assert kinds == ["registration_pending", "registration_confirmed"]


async def test_rejection_is_mailed_with_the_reason(session, edition, person) -> None:
    await set_capacity(session, edition, approval=["press"])
    pending = await register(session, edition, await person("x@example.org"), category="press")
    await registering.decide(session, pending, False, BASE, note="Accreditation closed on 1 Nov.")
    await session.commit()
    [*_, rejected] = await mail.messages_to(session, "x@example.org")
    assert rejected.kind == "registration_rejected" and "Accreditation closed on 1 Nov." in rejected.body_text


async def test_invitation_only_category_needs_a_valid_code(session, edition, person) -> None:
    await set_capacity(session, edition, invitation=["speaker"])
    with pytest.raises(ValidationFailed) as refused:
        await registering.register(session, edition.id, (await person()).id, entry(category="speaker"), BASE)
    assert refused.value.errors["category"][0] == "error.invitation_required"
    await session.rollback()
    code = await organizer.create_code(session, edition.id, ["speaker"], None, True, None, "keynote")
    await session.commit()
    speaker = await register(session, edition, await person(), category="speaker", code=code.code.lower())
    assert speaker.status == "confirmed"
    with pytest.raises(ValidationFailed) as used_up:
        await registering.register(
            session, edition.id, (await person()).id, entry(category="speaker", code=code.code), BASE
        )
    assert used_up.value.errors["code"][0] == "error.code_used_up"


async def test_expired_or_foreign_code_is_refused(session, edition, person) -> None:
    await set_capacity(session, edition, invitation=["city_official"])
    await organizations.find_or_create(session, "Da Nang City", "VN")
    expired = await organizer.create_code(
        session, edition.id, ["city_official"], None, False, clock.now() - timedelta(days=1), None
    )
    foreign = await organizer.create_code(
        session, edition.id, ["city_official"], "Da Nang City", False, None, None
    )
    await session.commit()
    for code, reason in (
        (expired.code, "error.code_expired"),
        (foreign.code, "error.code_other_organization"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            await registering.register(session, edition.id, (await person()).id, entry(code=code), BASE)
        assert refused.value.errors["code"][0] == reason
        await session.rollback()


async def test_required_custom_question_is_checked_and_nothing_is_stored(session, edition, person) -> None:
    question = await organizer.add_question(
        session,
        edition.id,
        "single",
        "Shuttle bus",
        "シャトルバス",
        "Yes, from the hotel | はい\nNo | いいえ",
        True,
    )
    await session.commit()
    user_id, question_id = (await person()).id, question.id
    with pytest.raises(ValidationFailed) as refused:
        await registering.register(session, edition.id, user_id, entry(answers={}), BASE)
    assert refused.value.errors[f"q_{question_id}"][0] == "error.required"
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(Registration)) == 0
    ok = await registering.register(
        session, edition.id, user_id, entry(answers={str(question_id): "c1"}), BASE
    )
    assert ok.answers == {str(question_id): "c1"}


async def test_quota_of_a_city_is_never_exceeded(session, edition, person) -> None:
    await organizations.find_or_create(session, "Cebu City", "PH")
    await organizer.set_quota(session, edition.id, "Cebu City", "2")
    await session.commit()
    await register(session, edition, await person())
    await register(session, edition, await person())
    with pytest.raises(DomainError) as refused:
        await registering.register(session, edition.id, (await person()).id, entry(), BASE)
    assert refused.value.code == "quota_full"
    await session.rollback()
    online = await register(session, edition, await person(), mode="online")
    assert online.status == "confirmed"


async def test_delegation_head_invites_members_who_register_themselves(session, edition, person) -> None:
    head_user = await person("head@example.org")
    head = await register(session, edition, head_user)
    delegation = await delegations.start_delegation(session, head)
    await session.commit()
    head_organization_id, delegation_id, head_user_id = head.organization_id, delegation.id, head_user.id
    delegation = await delegations.delegation_of_head(session, edition.id, head_user.id)
    await delegations.invite_member(session, delegation, "Member.One@example.org", BASE, "en")
    await delegations.invite_member(session, delegation, "member.two@example.org", BASE, "ja")
    await session.commit()
    [message] = await mail.messages_to(session, "member.one@example.org")
    token = link_in(message.body_text, "/invite/").removeprefix("/invite/")
    stranger = await person("stranger@example.org")
    with pytest.raises(DomainError) as foreign:
        await registering.register(session, edition.id, stranger.id, entry(), BASE, invite_token=token)
    assert foreign.value.code == "invite_foreign"
    await session.rollback()
    member = await person("member.one@example.org")
    edition_id, member_id = edition.id, member.id
    joined = await registering.register(
        session, edition.id, member.id, entry(organization="ignored"), BASE, invite_token=token
    )
    await session.commit()
    assert (joined.organization_id, joined.delegation_id) == (head_organization_id, delegation_id)
    delegation = await delegations.delegation_of_head(session, edition_id, head_user_id)
    lines = await delegations.roster(session, delegation)
    assert [(x.email, x.invite_status, x.registration_status) for x in lines] == [
        ("Member.One@example.org", "accepted", "confirmed"),
        ("member.two@example.org", "invited", None),
    ]
    with pytest.raises(DomainError) as used:
        await registering.register(session, edition_id, member_id, entry(), BASE, invite_token=token)
    assert used.value.code in ("invite_used", "already_registered")


async def test_directory_lists_only_confirmed_people_who_opted_in(session, edition, person) -> None:
    shown = await person(name="Somchai Jaidee", name_local="สมชาย ใจดี")
    hidden = await person(name="Private Person")
    await register(session, edition, shown, interests=["water"], country="TH")
    await register(session, edition, hidden, consent_directory=False)
    names = [e.name_latin for e in await consents.directory(session, edition.id)]
    assert names == ["Somchai Jaidee"]
    assert [e.name_local for e in await consents.directory(session, edition.id, q="ใจดี")] == ["สมชาย ใจดี"]
    assert await consents.directory(session, edition.id, sector="energy") == []
    assert len(await consents.directory(session, edition.id, country="zz", category="nope", sector="x")) == 1


async def test_export_and_delete_my_data(session, edition, person) -> None:
    await set_capacity(session, edition, in_person=1)
    leaving = await person("leaving@example.org", name_local="佐藤 遥")
    mine = await register(session, edition, leaving, dietary="halal")
    waiting = await register(session, edition, await person())
    data = await export_my_data(session, leaving.id)
    assert data["account"]["name_local"] == "佐藤 遥"
    assert data["registrations"][0]["dietary"] == "halal"
    await delete_account(session, leaving.id, BASE)
    await session.commit()
    gone = await registration.get_registration(session, mine.id)
    assert (gone.status, gone.dietary, gone.user.name_latin, gone.user.is_active) == (
        "cancelled",
        None,
        "Deleted participant",
        False,
    )
    assert gone.country == "PH" and gone.category == "city_official"  # what reports count survives
    assert await mail.messages_to(session, "leaving@example.org") == []
    assert (await registration.get_registration(session, waiting.id)).status == "confirmed"


async def test_csv_export_is_excel_friendly_and_neutralises_formulas(session, edition, person) -> None:
    await register(
        session, edition, await person(name="Haruka Sato", name_local="佐藤 遥"), position="=HYPERLINK(1)"
    )
    body = await organizer.export_csv(session, edition.id, organizer.Filters())
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "佐藤 遥" in text and "'=HYPERLINK(1)" in text


async def test_raising_capacity_promotes_waiting_people(session, edition, person) -> None:
    await set_capacity(session, edition, in_person=1)
    await register(session, edition, await person())
    waiting = await register(session, edition, await person("w@example.org"))
    await set_capacity(session, edition, in_person=2)
    assert (await registration.get_registration(session, waiting.id)).status == "confirmed"
