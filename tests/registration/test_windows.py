"""Registration dates: before the window, inside it, after the close (a late code, an organizer), after the
conference; a category's own last day; the organizers' dates form, all or nothing. Both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from ascc.audit.models import AuditEntry
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.registration import on_behalf, organizer, registering, windows
from ascc.registration import services as registration
from tests.factories import make_edition, make_user
from tests.registration.conftest import BASE, entry

DATES = {
    "registration_opens_on": date(2023, 9, 1),
    "registration_closes_on": date(2023, 11, 10),
    "meeting_requests_close_on": date(2023, 11, 14),
}


@pytest.fixture
async def dated(session):
    """The 2023 edition with its dates: registration 1 September - 10 November, the conference 13-15 November."""
    edition = await make_edition(session, "ascc2023", status="live", **DATES)
    return edition.id


async def _register(session, edition_id: int, email: str, **changes):
    user = await make_user(session, email)
    return await registering.register(session, edition_id, user.id, entry(**changes), BASE)


async def test_registration_is_refused_before_it_opens_and_open_inside_the_window(
    session, dated, monkeypatch
) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-08-20T10:00+09:00")
    with pytest.raises(DomainError) as refused:
        await _register(session, dated, "early@example.org")
    assert refused.value.code == "registration_not_open" and refused.value.status_code == 409
    assert refused.value.params["day_en"] == "1 September 2023"
    assert refused.value.params["day_ja"] == "2023年9月1日"
    await session.rollback()
    monkeypatch.setenv("ASCC_NOW", "2023-10-20T10:00+09:00")
    created = await _register(session, dated, "october@example.org")
    assert created.status == "confirmed"


async def test_after_the_close_only_a_late_code_admits(session, dated, monkeypatch) -> None:
    plain = await organizer.create_code(session, dated, ["city_official"], None, False, None, "not late")
    late = await organizer.create_code(session, dated, [], None, True, None, "desk", late=True)
    plain_code, late_code = plain.code, late.code
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-12T10:00+09:00")
    with pytest.raises(DomainError) as refused:
        await _register(session, dated, "no-code@example.org")
    assert (refused.value.code, refused.value.field) == ("registration_closed", "code")
    assert refused.value.message == "registration.error.closed_on"
    assert refused.value.params["day_en"] == "10 November 2023"
    await session.rollback()
    with pytest.raises(ValidationFailed) as wrong:
        await _register(session, dated, "plain@example.org", code=plain_code)
    assert wrong.value.errors["code"][0] == "error.code_not_late"
    await session.rollback()
    assert (await organizer.list_codes(session, dated))[0].uses == 0  # nothing of the refusal was kept
    created = await _register(session, dated, "late@example.org", code=late_code)
    assert created.status == "confirmed"


async def test_after_the_conference_nobody_but_an_organizer(session, dated, monkeypatch) -> None:
    late = await organizer.create_code(session, dated, [], None, False, None, "desk", late=True)
    code = late.code
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-12-01T10:00+09:00")
    with pytest.raises(DomainError) as refused:
        await _register(session, dated, "december@example.org", code=code)
    assert (refused.value.code, refused.value.message) == ("registration_closed", "registration.error.ended")
    assert refused.value.params["day_en"] == "15 November 2023"
    await session.rollback()
    boss = await make_user(session, "boss@example.org", role="organizer")
    await make_user(session, "guest@example.org", name="Trần Văn Bình")
    created = await on_behalf.register_for(
        session, dated, "Guest@Example.org", entry(), BASE, actor=boss, privacy_version="2023-1"
    )
    assert created.status == "confirmed" and created.user.name_latin == "Trần Văn Bình"
    logged = await session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.register_for"))
    assert logged is not None and logged.actor_id == boss.id and logged.target_label == "Trần Văn Bình"
    with pytest.raises(ValidationFailed) as unknown:
        await on_behalf.register_for(session, dated, "nobody@example.org", entry(), BASE, actor=boss)
    assert unknown.value.errors["email"][0] == "error.account_unknown"


async def test_a_category_closes_on_its_own_day(session, dated, monkeypatch) -> None:
    edition = await editions.get_by_id(session, dated)
    await windows.save_dates(
        session, edition, windows.DatesInput("2023-09-01", "2023-11-10", "", {"press": "2023-11-12"})
    )
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-11T10:00+09:00")
    press = await _register(session, dated, "reporter@example.org", category="press")
    assert press.status == "confirmed"
    with pytest.raises(DomainError) as refused:
        await _register(session, dated, "official@example.org")
    assert refused.value.code == "registration_closed"
    await session.rollback()
    monkeypatch.setenv("ASCC_NOW", "2023-11-13T08:00+09:00")
    with pytest.raises(DomainError) as too_late:
        await _register(session, dated, "late-reporter@example.org", category="press")
    assert too_late.value.message == "registration.error.category_closed_on"
    assert (too_late.value.params["category_en"], too_late.value.params["category_ja"]) == (
        "Press",
        "報道関係者",
    )


async def test_dates_are_saved_all_or_nothing_and_audited(session, dated) -> None:
    edition = await editions.get_by_id(session, dated)
    boss = await make_user(session, "boss@example.org", role="organizer")
    with pytest.raises(ValidationFailed) as refused:
        await windows.save_dates(
            session,
            edition,
            windows.DatesInput(
                "2023-11-01", "2023-10-01", "2023-11-20", {"press": "2023-12-24", "ngo": "soon"}
            ),
            boss,
        )
    assert set(refused.value.errors) == {
        "registration_closes_on",
        "meeting_requests_close_on",
        "close_press",
        "close_ngo",
    }
    await session.rollback()
    edition = await editions.get_by_id(session, dated)
    assert edition.registration_closes_on == date(2023, 11, 10)  # unchanged
    await windows.save_dates(
        session, edition, windows.DatesInput("2023-09-15", "2023-11-08", "", {"press": "2023-11-12"}), boss
    )
    await session.commit()
    edition = await editions.get_by_id(session, dated)
    assert (edition.registration_opens_on, edition.registration_closes_on) == (
        date(2023, 9, 15),
        date(2023, 11, 8),
    )
    assert edition.meeting_requests_close_on is None
    settings = await registration.get_settings(session, dated)
    assert settings.category_closes_on == {"press": "2023-11-12"}
    logged = await session.scalar(select(AuditEntry).where(AuditEntry.action == "edition.timeline"))
    assert logged is not None and logged.after["registration_closes_on"] == "2023-11-08"
