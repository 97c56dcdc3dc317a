"""The audit log as organizers rely on it: every organizer's and exhibitor's change leaves one entry in the same
transaction (who, what, when, only the fields that changed, from what to what), nothing for a change that
failed or rolled back, never a secret, and filters that find the entries again. On both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.audit import filters as audit_filters
from ascc.audit import services as audit
from ascc.audit.models import AuditEntry
from ascc.badges import checkin
from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.exhibitors import leads, solutions, staff
from ascc.exhibitors import services as marketplace
from ascc.i18n import translate
from ascc.online import services as online
from ascc.programme import editing, session_editing
from ascc.registration import decisions, organizer, registering
from ascc.registration import services as registration
from tests.audit.conftest import actor_of
from tests.exhibitors import conftest as exhibitor_world
from tests.exhibitors.conftest import BASE as MARKET_BASE
from tests.exhibitors.conftest import build_market
from tests.factories import make_edition, make_user
from tests.programme.conftest import build_programme
from tests.registration.conftest import entry

BASE = "http://testserver.local"
TOKYO = ZoneInfo("Asia/Tokyo")


async def _entries(session, action: str | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    return list((await session.scalars(statement)).all())


async def _pending_registration(session):
    edition = await make_edition(session, "ascc2023")
    settings = await registration.get_settings(session, edition.id)
    settings.approval_categories = ["international"]
    boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
    person = await make_user(session, "dev@example.org", name="Somchai Dev")
    mine = await registering.register(
        session,
        edition.id,
        person.id,
        entry(category="international", organization="ADB"),
        BASE,
        notify=False,
    )
    await session.commit()
    assert mine.status == "pending"
    return edition, boss, mine


async def test_an_organizer_approving_a_registration_is_recorded_with_who_and_from_to(session) -> None:
    edition, boss, mine = await _pending_registration(session)
    done = await decisions.decide_many(session, edition.id, [mine.id], "approve", BASE, actor=actor_of(boss))
    await session.commit()
    assert done == 1
    [found] = await _entries(session, "registration.approve")
    assert (found.actor_id, found.actor_name, found.actor_role) == (boss.id, "Keiko Organizer", "organizer")
    assert (found.target_type, found.target_id, found.edition_id) == ("registration", mine.id, edition.id)
    assert "Somchai Dev" in found.target_label and mine.reference in found.target_label
    assert (found.before, found.after) == ({"status": "pending"}, {"status": "confirmed"})
    lines = audit_filters.changes("en", found.before, found.after, TOKYO, found.target_type)
    assert [c.text() for c in lines] == [
        f"status: {translate('en', 'registration.status.pending')} → Confirmed"
    ]
    japanese = audit_filters.changes("ja", found.before, found.after, TOKYO, found.target_type)
    assert japanese[0].field == "状態"


async def test_a_bulk_decision_records_one_entry_per_registration(session) -> None:
    edition, boss, mine = await _pending_registration(session)
    other = await make_user(session, "dev2@example.org", name="Other Dev")
    theirs = await registering.register(
        session, edition.id, other.id, entry(category="international", organization="ADB"), BASE, notify=False
    )
    await session.commit()
    await decisions.decide_many(session, edition.id, [mine.id, theirs.id], "reject", BASE, actor_of(boss))
    await session.commit()
    found = await _entries(session, "registration.bulk_reject")
    assert sorted(e.target_id for e in found) == sorted([mine.id, theirs.id])
    assert all(e.after == {"status": "rejected"} for e in found)


async def test_a_decision_that_rolls_back_leaves_no_entry(session) -> None:
    edition, boss, mine = await _pending_registration(session)
    mine_id = mine.id
    await decisions.decide_many(session, edition.id, [mine_id], "approve", BASE, actor=actor_of(boss))
    await session.rollback()
    assert await _entries(session, "registration.approve") == []
    assert (await registration.get_registration(session, mine_id)).status == "pending"


async def test_editing_a_sessions_time_records_only_the_times_in_the_conference_zone(session) -> None:
    built = await build_programme(session)
    boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
    edition = await editions.get_by_id(session, built.edition_id)
    row = await session_editing.get_session(session, edition.id, built.water)
    form = session_editing.form_of(row, TOKYO)
    form.start, form.end = "11:30", "12:30"
    await session_editing.save_session(
        session, edition, built.water, form, confirmed=True, actor=actor_of(boss)
    )
    await session.commit()
    [found] = await _entries(session, "programme.session_update")
    assert (found.actor_name, found.target_type, found.target_id) == (
        "Keiko Organizer",
        "session",
        built.water,
    )
    assert found.target_label == "Thematic session: water"
    assert found.before == {"starts_at": "2023-11-14T10:00+09:00", "ends_at": "2023-11-14T11:00+09:00"}
    assert found.after == {"starts_at": "2023-11-14T11:30+09:00", "ends_at": "2023-11-14T12:30+09:00"}
    lines = [c.text() for c in audit_filters.changes("en", found.before, found.after, TOKYO, "session")]
    assert lines == [
        "starts: Tue 14 Nov, 10:00 → Tue 14 Nov, 11:30",
        "ends: Tue 14 Nov, 11:00 → Tue 14 Nov, 12:30",
    ]


async def test_cancelling_a_session_is_its_own_action(session) -> None:
    built = await build_programme(session)
    boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
    edition = await editions.get_by_id(session, built.edition_id)
    form = session_editing.form_of(await session_editing.get_session(session, edition.id, built.day3), TOKYO)
    form.status = "cancelled"
    await session_editing.save_session(
        session, edition, built.day3, form, confirmed=True, actor=actor_of(boss)
    )
    await session.commit()
    [found] = await _entries(session, "programme.session_cancel")
    assert (found.before, found.after) == ({"status": "published"}, {"status": "cancelled"})


async def test_a_change_that_fails_validation_leaves_no_entry(session) -> None:
    built = await build_programme(session)
    boss = actor_of(await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer"))
    edition = await editions.get_by_id(session, built.edition_id)
    before = await session.scalar(select(func.count()).select_from(AuditEntry))
    form = session_editing.form_of(await session_editing.get_session(session, edition.id, built.water), TOKYO)
    form.start, form.end = "12:00", "11:00"  # ends before it starts
    with pytest.raises(ValidationFailed):
        await session_editing.save_session(session, edition, built.water, form, actor=boss)
    await session.rollback()
    with pytest.raises(ValidationFailed):
        await editing.save_track(session, built.edition_id, None, {"name_en": "", "name_ja": ""}, boss)
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert await _entries(session, "programme.session_update") == []


async def test_an_exhibitor_editing_their_solution_is_recorded(session) -> None:
    world = await build_market(session)
    person = await accounts.get_user(session, world.staff_a)
    exhibitor = await marketplace.get_exhibitor(session, world.edition_id, world.sludge)
    row = await solutions.own_solution(session, exhibitor, world.sludge_solution)
    values = {
        "title_en": "Septage dewatering unit, mark II",
        "title_ja": row.title_ja,
        "summary_en": row.summary_en,
        "summary_ja": row.summary_ja,
        "sectors": list(row.sectors),
        "sdgs": ", ".join(row.sdgs),
        "countries": ", ".join(row.countries),
        "partners": [],
    }
    await solutions.save_solution(
        session, exhibitor, world.sludge_solution, values, actor=actor_of(person, "exhibitor")
    )
    await session.commit()
    [found] = await _entries(session, "exhibitor.solution_update")
    assert (found.actor_id, found.actor_role) == (person.id, "exhibitor")
    assert (found.target_type, found.target_id) == ("solution", world.sludge_solution)
    assert found.before == {"title_en": "Septage sludge dewatering unit"}
    assert found.after == {"title_en": "Septage dewatering unit, mark II"}


async def test_lead_notes_and_staff_addresses_never_reach_the_log(session) -> None:
    """Withdrawing a lead promises its notes are gone: the log says only that the note or rating changed, and
    never holds the attendee's name or anyone's e-mail address."""
    world = await build_market(session)
    person = await accounts.get_user(session, world.staff_a)
    who = actor_of(person, "exhibitor")
    exhibitor = await marketplace.get_exhibitor(session, world.edition_id, world.sludge)
    keen = await exhibitor_world.registered(session, world.edition_id, "keen@example.org", name="Keen Person")
    code = await exhibitor_world.with_consent(session, world.edition_id, keen.id, scanning=True)
    await leads.record(session, exhibitor, world.staff_a, code, checkin.identify)
    [lead] = await leads.list_leads(session, exhibitor)
    await leads.annotate(
        session, exhibitor.id, lead.id, "Wants a pilot in Cebu, call +63 917", "5", actor=who
    )
    await leads.annotate(
        session, exhibitor.id, lead.id, "Wants a pilot in Cebu, call +63 917", "5", actor=who
    )
    invite = await staff.invite_staff(
        session, exhibitor, "new.colleague@example.org", "Aiko", MARKET_BASE, "en", who
    )
    await staff.revoke_invite(session, exhibitor, invite.id, who)
    await session.commit()
    [note] = await _entries(session, "exhibitor.lead_note")  # the same note again changed nothing
    assert note.target_label == f"lead #{lead.id} · {exhibitor.name_en}"
    assert (note.before, note.after) == (None, {"note": "changed", "rating": "changed"})
    stored = json.dumps(
        [[e.before, e.after, e.target_label] for e in await _entries(session)], ensure_ascii=False
    )
    for personal in ("Cebu", "+63", "Keen", "@"):
        assert personal not in stored


async def test_secrets_never_reach_the_log(session) -> None:
    edition = await make_edition(session, "ascc2023")
    boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
    who = actor_of(boss)
    await audit.record(
        session,
        who,
        "user.role",
        "user",
        boss.id,
        "x",
        before={"password": "hunter2", "token": "t0k", "id_number": "TR123", "role": "delegate"},
        after={"password_hash": "argon", "secret": "s", "role": "organizer"},
    )
    code = await organizer.create_code(session, edition.id, ["company"], None, True, None, "for ADB", who)
    await session.commit()
    stored = json.dumps([[e.before, e.after, e.target_label] for e in await _entries(session)])
    for secret in ("hunter2", "t0k", "TR123", "argon", '"s"', code.code):
        assert secret not in stored
    [role] = await _entries(session, "user.role")
    assert (role.before, role.after) == ({"role": "delegate"}, {"role": "organizer"})


async def test_stream_addresses_are_not_logged(session) -> None:
    built = await build_programme(session)
    boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
    await online.save_streams(
        session,
        built.water,
        {"floor": "https://www.youtube.com/watch?v=ascc23secret"},
        actor_of(boss),
        built.edition_id,
        "Thematic session: water",
    )
    await session.commit()
    [found] = await _entries(session, "online.streams")
    assert found.target_type == "session" and found.target_id == built.water
    assert found.after["floor"] == "youtube" and "ascc23secret" not in json.dumps(found.after)


async def test_an_update_that_changes_nothing_is_not_recorded(session) -> None:
    built = await build_programme(session)
    boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
    edition = await editions.get_by_id(session, built.edition_id)
    form = session_editing.form_of(await session_editing.get_session(session, edition.id, built.water), TOKYO)
    await session_editing.save_session(
        session, edition, built.water, form, confirmed=True, actor=actor_of(boss)
    )
    await session.commit()
    assert await _entries(session, "programme.session_update") == []


async def test_filters_find_entries_newest_first(session) -> None:
    await make_edition(session, "ascc2023")
    anna = actor_of(await make_user(session, "anna@example.org", role="organizer", name="Anna"))
    ben = actor_of(await make_user(session, "ben@example.org", role="exhibitor", name="Ben"))
    plan = [
        (
            anna,
            "registration.approve",
            "registration",
            7,
            "Cebu delegate",
            datetime(2023, 11, 1, 1, tzinfo=UTC),
        ),
        (
            anna,
            "programme.session_update",
            "session",
            3,
            "Keynote on VLRs",
            datetime(2023, 11, 2, 1, tzinfo=UTC),
        ),
        (
            ben,
            "exhibitor.solution_update",
            "solution",
            3,
            "汚泥脱水ユニット",
            datetime(2023, 11, 3, 1, tzinfo=UTC),
        ),
        (
            anna,
            "programme.session_update",
            "session",
            4,
            "Closing plenary",
            datetime(2023, 11, 3, 16, tzinfo=UTC),
        ),
    ]
    for who, action, kind, target, label, moment in plan:
        row = await audit.record(session, who, action, kind, target, label, after={"x": 1})
        row.created_at = moment
    await session.commit()
    words = await audit.vocabulary(session)

    async def labels(**params: str) -> list[str]:
        found = audit_filters.parse(params, words.domains, words.actions, words.target_types)
        rows, total = await audit.search(session, found, TOKYO)
        assert total == len(rows)
        return [r.target_label for r in rows]

    assert await labels() == ["Closing plenary", "汚泥脱水ユニット", "Keynote on VLRs", "Cebu delegate"]
    assert await labels(actor=str(ben.id)) == ["汚泥脱水ユニット"]
    assert await labels(domain="programme") == ["Closing plenary", "Keynote on VLRs"]
    assert await labels(action="registration.approve") == ["Cebu delegate"]
    assert await labels(target_type="session", target_id="3") == ["Keynote on VLRs"]
    assert await labels(q="汚泥") == ["汚泥脱水ユニット"]
    assert await labels(q="keynote") == ["Keynote on VLRs"]
    # Days are the conference's: 2023-11-03 16:00 UTC is already the 4th in Tokyo.
    assert await labels(**{"from": "2023-11-02", "to": "2023-11-03"}) == [
        "汚泥脱水ユニット",
        "Keynote on VLRs",
    ]
    assert await labels(**{"from": "2023-11-04"}) == ["Closing plenary"]
    assert [(name, role) for _, name, role in await audit.actors(session)] == [
        ("Anna", "organizer"),
        ("Ben", "exhibitor"),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2023-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2023-11-05", "to": "2023-11-01"}, "to"),
        ({"actor": "-3"}, "actor"),
        ({"actor": "ben"}, "actor"),
        ({"target_id": "0"}, "target_id"),
        ({"target_id": "99999999999999999999"}, "target_id"),
        ({"domain": "nothing"}, "domain"),
        ({"action": "registration.teleport"}, "action"),
        ({"target_type": "spaceship"}, "target_type"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(params: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        audit_filters.parse(params, {"registration"}, {"registration.approve"}, {"registration"})
    assert refused.value.field == field


def test_the_page_number_must_be_a_positive_whole_number() -> None:
    assert audit_filters.page_number(None) == 1
    assert audit_filters.page_number("3") == 3
    for bad in ("0", "-1", "two", "1.5", "１"):
        with pytest.raises(ValidationFailed) as refused:
            audit_filters.page_number(bad)
        assert refused.value.field == "page"


def test_filters_make_shareable_query_strings() -> None:
    found = audit_filters.Filters(actor=4, domain="programme", date_from=date(2023, 11, 1), q="水 & water")
    assert found.query(page=2) == "actor=4&domain=programme&from=2023-11-01&q=%E6%B0%B4+%26+water&page=2"
