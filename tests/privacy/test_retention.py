"""Retention rules as organizers meet them: defaults, refused periods, a dry run that changes nothing, a run
that anonymizes a past edition's participant but keeps a network member and anyone of a live edition, and
a rule reaching the current edition refused with nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.audit.models import AuditEntry
from ascc.editions.models import Edition
from ascc.errors import ValidationFailed
from ascc.exhibitors.models import Lead
from ascc.mail.models import OutboxMessage
from ascc.online.models import ViewingMinute
from ascc.privacy import rules
from ascc.privacy import services as privacy
from ascc.privacy.models import RetentionRun
from ascc.registration.models import Registration
from ascc.reports import services as reports


async def _snapshot(session, world) -> dict:
    """What a person (or an organizer) would notice about the world."""
    people = {}
    for name in ("alice", "bob", "carol", "dave"):
        user = await accounts.get_user(session, getattr(world, name))
        people[name] = (user.email, user.name_latin, user.is_active)
    return {
        "people": people,
        "alice_city": await session.scalar(
            select(Registration.city).where(Registration.user_id == world.alice)
        ),
        "leads": await session.scalar(select(func.count(Lead.id))),
        "minutes": await session.scalar(select(func.count(ViewingMinute.id))),
        "bodies": sorted((await session.scalars(select(OutboxMessage.body_text))).all()),
        "audit": await session.scalar(select(func.count(AuditEntry.id))),
        "runs": await session.scalar(select(func.count(RetentionRun.id))),
    }


async def test_defaults_and_refused_periods_name_the_field(session, world) -> None:
    assert await privacy.periods(session) == rules.DEFAULTS
    values = {c.key: str(c.default) for c in rules.CLASSES}
    with pytest.raises(ValidationFailed) as refused:
        await privacy.save_periods(session, None, {**values, "personal_data": "0", "lead_scans": "-3"})
    assert refused.value.errors["personal_data"][0] == "privacy.error_period_positive"
    assert refused.value.errors["lead_scans"][0] == "privacy.error_period_positive"
    with pytest.raises(ValidationFailed) as wrong:
        await privacy.save_periods(session, None, {**values, "mail_bodies": "ten", "tour_id_numbers": ""})
    assert set(wrong.value.errors) == {"mail_bodies", "tour_id_numbers"}
    await session.rollback()
    assert await privacy.periods(session) == rules.DEFAULTS
    saved = await privacy.save_periods(session, None, {**values, "personal_data": "36"})
    await session.commit()
    assert saved["personal_data"] == 36 and (await privacy.periods(session))["personal_data"] == 36


async def test_a_dry_run_counts_and_changes_nothing(session, world) -> None:
    before = await _snapshot(session, world)
    report = await privacy.apply(session, None, dry_run=True)
    counts = {r.data_class: (r.status, r.count) for r in report.results}
    assert counts == {
        "tour_id_numbers": ("dry_run", 0),
        "visa_passport_data": ("dry_run", 0),
        "personal_data": ("dry_run", 1),
        "lead_scans": ("dry_run", 1),
        "viewing_records": ("dry_run", 3),
        "messages": ("dry_run", 0),
        "mail_bodies": ("dry_run", 1),
        "audit_entries": ("dry_run", 0),
    }
    assert await _snapshot(session, world) == before


async def test_the_run_anonymizes_a_past_participant_and_keeps_members_and_live_people(
    session, world
) -> None:
    past = await session.get(Edition, world.past)
    before = await reports.report_of(session, past)
    report = await privacy.apply(session, None)
    assert not report.refused
    assert {r.data_class: r.count for r in report.results}["personal_data"] == 1
    # The past edition's report keeps its figures although its viewing minutes and leads are gone.
    kept = await reports.report_of(session, past)
    assert kept.values == before.values and before.get("watched_online") == 1
    after = await _snapshot(session, world)
    assert after["people"]["alice"] == (
        f"deleted-{world.alice}@deleted.invalid",
        "Deleted participant",
        False,
    )
    assert after["alice_city"] is None
    # A network member, someone also registered for the current edition, and a current participant stay.
    assert after["people"]["bob"] == ("bob@example.org", "Bob Member", True)
    assert after["people"]["carol"] == ("carol@example.org", "Carol Returning", True)
    assert after["people"]["dave"] == ("dave@example.org", "Dave Current", True)
    assert (after["leads"], after["minutes"]) == (0, 0)
    # Alice's mail went with her account; any other old mail would only lose its text.
    assert after["bodies"] == []
    # The past registration still counts in the past edition's figures.
    status = await session.scalar(select(Registration.status).where(Registration.user_id == world.alice))
    assert status == "confirmed"
    # Recorded: one audit entry per class that changed something, by the system, and the run.
    entries = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention_applied"))
    ).all()
    assert {e.target_label for e in entries} == {"personal_data", "lead_scans", "viewing_records"}
    assert all(e.actor_role == "system" and e.actor_id is None for e in entries)
    runs = await privacy.recent_runs(session)
    assert len(runs) == 1 and runs[0].actor_name == "system" and not runs[0].refused
    # A second run finds nothing left.
    again = await privacy.apply(session, None, dry_run=True)
    assert again.total == 0


async def test_a_rule_reaching_the_current_edition_is_refused_and_changes_nothing(
    session, world, monkeypatch
) -> None:
    monkeypatch.setenv("ASCC_NOW", "2026-01-10T10:00+09:00")  # 2023 (still current) ended 26 months ago
    before = await _snapshot(session, world)
    report = await privacy.apply(session, None, only=["personal_data"])
    (result,) = report.results
    assert (result.status, result.message, result.count) == ("refused", "privacy.refused_current", 0)
    assert result.params == {"edition": "Edition ascc2023", "rule": "personal_data"}
    after = await _snapshot(session, world)
    assert after["people"] == before["people"] and after["alice_city"] == before["alice_city"]
    run = (await privacy.recent_runs(session))[0]
    assert run.refused and run.results[0]["status"] == "refused"


def test_refusal_covers_current_live_and_unfinished_editions() -> None:
    from datetime import date

    personal = rules.BY_KEY["personal_data"]
    ids = rules.BY_KEY["tour_id_numbers"]
    today = date(2025, 3, 1)
    past = rules.EditionState(1, "2022", date(2022, 11, 15), False, "closed")
    current = rules.EditionState(2, "2023", date(2023, 11, 15), True, "closed")
    live = rules.EditionState(3, "x", date(2023, 11, 15), False, "live")
    running = rules.EditionState(4, "2025", date(2025, 3, 2), False, "registration_open")
    assert rules.refusal(personal, past, today) is None
    assert rules.refusal(personal, current, today) == "privacy.refused_current"
    assert rules.refusal(personal, live, today) == "privacy.refused_live"
    assert rules.refusal(personal, running, today) == "privacy.refused_not_ended"
    # ID numbers go N days after the tour, in the current edition too, but never before its end.
    assert rules.refusal(ids, current, today) is None
    assert rules.refusal(ids, running, today) == "privacy.refused_not_ended"
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2024, 3, 15), -15) == date(2022, 12, 15)


async def test_a_class_that_fails_half_way_leaves_its_data_whole(session, world, monkeypatch) -> None:
    from sqlalchemy import delete
    from sqlalchemy.exc import OperationalError

    async def breaks_half_way(session_, data_class, period, editions, dry):
        await session_.execute(
            delete(ViewingMinute).where(
                ViewingMinute.minute == select(func.min(ViewingMinute.minute)).scalar_subquery()
            )
        )
        raise OperationalError("DELETE", {}, Exception("disk full"))

    monkeypatch.setitem(privacy.HANDLERS, "viewing_records", breaks_half_way)
    report = await privacy.apply(session, None)
    by_class = {r.data_class: r for r in report.results}
    assert (by_class["viewing_records"].status, by_class["viewing_records"].count) == ("failed", 0)
    assert by_class["lead_scans"].status == "done" and by_class["lead_scans"].count == 1
    after = await _snapshot(session, world)
    assert after["minutes"] == 3 and after["leads"] == 0
