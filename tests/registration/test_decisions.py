"""Organizers' decisions on registrations: reasons the person receives, cancelling, reopening with the place
counted again, bulk decisions, the audit trail (SQLite and PostgreSQL)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ascc.audit.models import AuditEntry
from ascc.errors import ValidationFailed
from ascc.mail import services as mail
from ascc.registration import decisions, organizer, registering
from ascc.registration import services as registration
from tests.registration.conftest import BASE, entry


async def set_capacity(session, edition, in_person=None, approval=()):
    await organizer.update_settings(
        session,
        edition.id,
        organizer.SettingsInput(in_person, None, list(approval), [], "2023-1"),
        BASE,
    )
    await session.commit()


async def register(session, edition, user, **changes):
    result = await registering.register(session, edition.id, user.id, entry(**changes), BASE)
    await session.commit()
    return result


@pytest.fixture
async def boss(session, person):
    user = await person("boss@example.org", role="organizer", name="Keiko Organizer")
    await session.commit()
    return SimpleNamespace(id=user.id, role="organizer", display_name="Keiko Organizer")


async def decide(session, edition, ids, action, boss, reason=None) -> int:
    done = await decisions.decide_many(session, edition.id, ids, action, BASE, actor=boss, reason=reason)
    await session.commit()
    return done


async def status_of(session, registration_id) -> str:
    return (await registration.get_registration(session, registration_id)).status


async def kinds(session, address) -> list[str]:
    return [m.kind for m in await mail.messages_to(session, address)]


async def test_a_rejection_carries_the_reason_in_the_persons_language(session, edition, person, boss) -> None:
    await set_capacity(session, edition, approval=["press"])
    reporter = await person("press@example.org", preferred_lang="ja")
    pending = await register(session, edition, reporter, category="press", organization="Yokohama Shimbun")
    done = await decide(
        session,
        edition,
        [pending.id],
        "reject",
        boss,
        reason="取材申請の締切は11月1日でした。\nまたの機会に。",
    )
    assert done == 1 and await status_of(session, pending.id) == "rejected"
    [*_, rejected] = await mail.messages_to(session, "press@example.org")
    assert rejected.kind == "registration_rejected"
    assert "取材申請の締切は11月1日でした。\nまたの機会に。" in rejected.body_text


async def test_reopening_a_rejection_takes_a_free_place_and_mails_the_new_status(
    session, edition, person, boss
) -> None:
    await set_capacity(session, edition, in_person=1, approval=["press"])
    pending = await register(session, edition, await person("press@example.org"), category="press")
    await decide(session, edition, [pending.id], "reject", boss, reason="Wrong category")
    done = await decide(session, edition, [pending.id], "reopen", boss, reason="Sorry: our mistake 🙏")
    assert done == 1 and await status_of(session, pending.id) == "confirmed"
    assert await kinds(session, "press@example.org") == [
        "registration_pending",
        "registration_rejected",
        "registration_confirmed",
    ]
    [*_, confirmed] = await mail.messages_to(session, "press@example.org")
    assert "Sorry: our mistake 🙏" in confirmed.body_text and "Wrong category" not in confirmed.body_text
    counts = await organizer.seat_counts(session, edition.id)
    assert (counts["in_person"].confirmed, counts["in_person"].waiting) == (1, 0)


async def test_reopening_when_the_edition_is_full_goes_to_the_waiting_list_behind_others(
    session, edition, person, boss
) -> None:
    await set_capacity(session, edition, in_person=1)
    first = await register(session, edition, await person("first@example.org"))
    await decide(session, edition, [first.id], "cancel", boss, reason="Duplicate registration")
    second = await register(session, edition, await person("second@example.org"))  # takes the freed place
    third = await register(session, edition, await person("third@example.org"))  # waits, first in line
    assert (second.status, third.status) == ("confirmed", "waiting")
    await decide(session, edition, [first.id], "reopen", boss)
    reopened = await registration.get_registration(session, first.id)
    assert reopened.status == "waiting"
    assert await registration.waiting_position(session, reopened) == 2  # a newcomer's place: behind third
    assert (await kinds(session, "first@example.org"))[-1] == "registration_waiting"


async def test_an_organizer_cancelling_frees_the_place_for_the_next_person_and_tells_why(
    session, edition, person, boss
) -> None:
    await set_capacity(session, edition, in_person=1)
    holder = await register(session, edition, await person("holder@example.org"))
    waiting = await register(session, edition, await person("waiting@example.org"))
    done = await decide(session, edition, [holder.id], "cancel", boss, reason="Asked by phone to cancel.")
    assert done == 1 and await status_of(session, holder.id) == "cancelled"
    assert await status_of(session, waiting.id) == "confirmed"
    [*_, cancelled] = await mail.messages_to(session, "holder@example.org")
    assert cancelled.kind == "registration_cancelled" and "Asked by phone to cancel." in cancelled.body_text
    assert (await kinds(session, "waiting@example.org"))[-1] == "registration_promoted"


async def test_bulk_decisions_change_only_the_registrations_they_fit(session, edition, person, boss) -> None:
    await set_capacity(session, edition, approval=["press"])
    confirmed = await register(session, edition, await person())
    pending = await register(session, edition, await person(), category="press")
    rejected = await register(session, edition, await person(), category="press")
    await decide(session, edition, [rejected.id], "reject", boss)
    ids = [confirmed.id, pending.id, rejected.id]
    assert await decide(session, edition, ids, "approve", boss) == 1  # only the pending one
    assert await decide(session, edition, ids, "reopen", boss) == 1  # only the rejected one
    assert [await status_of(session, i) for i in ids] == ["confirmed", "confirmed", "confirmed"]
    assert await decide(session, edition, ids, "cancel", boss) == 3
    assert await decide(session, edition, ids, "reopen", boss) == 3
    assert [await status_of(session, i) for i in ids] == ["confirmed", "confirmed", "confirmed"]


async def test_every_decision_is_audited_with_its_reason(session, edition, person, boss) -> None:
    one = await register(session, edition, await person(name="Somchai Jaidee", name_local="สมชาย ใจดี"))
    two = await register(session, edition, await person())
    await decide(session, edition, [one.id], "cancel", boss, reason="ขอยกเลิกทางโทรศัพท์")
    await decide(session, edition, [one.id, two.id], "reject", boss)
    await decide(session, edition, [one.id, two.id], "reopen", boss, reason="Reopened")
    entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    lines = [
        (e.action, e.target_id, e.before["status"], e.after)
        for e in entries
        if e.target_type == "registration"
    ]
    assert lines == [
        (
            "registration.cancel",
            one.id,
            "confirmed",
            {"status": "cancelled", "note": "ขอยกเลิกทางโทรศัพท์"},
        ),
        ("registration.bulk_reject", two.id, "confirmed", {"status": "rejected"}),
        (
            "registration.bulk_reopen",
            one.id,
            "cancelled",
            {"status": "confirmed", "note": "Reopened"},
        ),
        (
            "registration.bulk_reopen",
            two.id,
            "rejected",
            {"status": "confirmed", "note": "Reopened"},
        ),
    ]
    assert all(e.actor_id == boss.id for e in entries if e.target_type == "registration")
    assert "Somchai Jaidee (สมชาย ใจดี)" in entries[0].target_label


async def test_reopening_respects_the_organizations_quota(session, edition, person, boss) -> None:
    first = await register(session, edition, await person())
    await decide(session, edition, [first.id], "reject", boss)
    await organizer.set_quota(session, edition.id, "Cebu City", "1")
    await session.commit()
    await register(session, edition, await person())  # the city's one in-person place
    assert await decide(session, edition, [first.id], "reopen", boss) == 0
    assert await status_of(session, first.id) == "rejected"


async def test_a_bad_reason_or_action_is_refused_and_nothing_changes(session, edition, person, boss) -> None:
    mine = await register(session, edition, await person())
    mine_id = mine.id
    with pytest.raises(ValidationFailed) as refused:
        await decisions.decide_many(session, edition.id, [mine_id], "reject", BASE, boss, reason="x" * 1001)
    assert refused.value.errors["reason"][0] == "error.too_long"
    await session.rollback()
    with pytest.raises(ValidationFailed) as unknown:
        await decisions.decide_many(session, edition.id, [mine_id], "delete", BASE, boss)
    assert "action" in unknown.value.errors
    await session.rollback()
    assert await status_of(session, mine_id) == "confirmed"


async def test_registering_again_does_not_repeat_an_old_reason(session, edition, person, boss) -> None:
    user = await person("again@example.org")
    first = await register(session, edition, user)
    await decide(session, edition, [first.id], "reject", boss, reason="Not eligible this year")
    await register(session, edition, user, mode="online")
    [*_, confirmed] = await mail.messages_to(session, "again@example.org")
    assert confirmed.kind == "registration_confirmed" and "Not eligible" not in confirmed.body_text


async def test_preview_names_whom_a_decision_reaches(session, edition, person, boss) -> None:
    confirmed = await register(session, edition, await person())
    cancelled = await register(session, edition, await person())
    await decide(session, edition, [cancelled.id], "cancel", boss)
    chosen = await decisions.preview(session, edition.id, [confirmed.id, cancelled.id], "reopen")
    assert [r.id for r in chosen.applies] == [cancelled.id]
    assert [r.id for r in chosen.left] == [confirmed.id]
