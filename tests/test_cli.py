"""The `ascc` command as an operator uses it on an empty machine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.cli import main
from ascc.editions.models import Edition, Room
from ascc.organizations.models import Organization
from ascc.programme import services as programme
from ascc.registration.models import Question, Registration
from ascc.seed import seed


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("ASCC_DATABASE_URL", url)
    return url


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_seed_create_user_and_token_on_an_empty_file(empty_db: str) -> None:
    assert "database at head" in run("db", "upgrade")
    assert "204 new accounts, 202 new registrations" in run("seed")
    assert "deleted the ID data of 0 bookings" in run(
        "tours", "purge-ids"
    )  # the demo's tour is in the future
    assert "0 new accounts, 0 new registrations" in run("seed")
    output = run("users", "create", "Staff@Example.org", "--role", "checkin", "--name", "Rahim Uddin")
    assert output.startswith("created Staff@example.org (checkin); password: ")
    token = run("tokens", "create", "staff@example.org").strip()
    assert token.startswith("ascc_") and len(token) > 40
    assert "revoked 1 token(s)" in run("tokens", "revoke", token[:12])
    # --reset starts from nothing: the same demo again, and the staff account above is gone.
    assert "204 new accounts" in run("seed", "--reset")
    assert "revoked 0 token(s)" in run("tokens", "revoke", token[:12])


def test_users_create_refuses_a_taken_address(empty_db: str) -> None:
    run("db", "upgrade")
    run("users", "create", "a@example.org", "--role", "delegate")
    result = CliRunner().invoke(main, ["users", "create", "A@example.org", "--role", "online"])
    assert result.exit_code == 2
    assert "email: An account with this e-mail address already exists" in result.output


async def _counts(session) -> tuple[int, ...]:
    models = (Organization, Edition, Room, User, Registration)
    return tuple([await session.scalar(select(func.count()).select_from(m)) for m in models])


async def test_seed_twice_changes_nothing_and_makes_delegations_and_registrations(
    session, monkeypatch
) -> None:
    monkeypatch.delenv("ASCC_NOW", raising=False)  # seeded by the real clock, as `make demo` does
    first = await seed(session, "ascc-demo")
    await session.commit()
    counts = await _counts(session)
    assert counts[1:] == (1, 7, 204, 202)
    assert first.registrations_created == 202
    again = await seed(session, "ascc-demo")
    await session.commit()
    assert await _counts(session) == counts
    assert again.accounts_created == 0
    assert (first.sessions_created, again.sessions_created) == (31, 0)
    current = await session.scalar(select(Edition).where(Edition.is_current.is_(True)))
    assert (current.slug, current.timezone, str(current.starts_on)) == (
        "ascc2023",
        "Asia/Tokyo",
        "2023-11-13",
    )
    assert current.name_en == "12th Asia Smart City Conference (Y-SHIP 2023)"
    # The 2023 programme is published once, and the demo delegate's agenda has a clash and a seat.
    shown = await programme.published(session, current)
    assert (shown.schedule.version, len(shown.schedule.items), len(shown.schedule.days)) == (1, 31, 3)
    delegate = await accounts.find_by_email(session, "delegate@example.org")
    lines, _ = await programme.my_agenda(session, delegate.id, shown)
    assert sum(line.clash for line in lines) == 2
    assert [line.item.title_en for line in lines if line.seat] == ["CITYNET members' networking session"]
    # Version 1 is dated as the demo data says, not on the day the demo was loaded (served at ASCC_NOW=2023-11-14
    # it read as published in the future), and the registration question names the reception's day in the agenda.
    assert shown.schedule.published_at == datetime(2023, 11, 1, 0, 0, tzinfo=UTC)
    reception = next(item for item in shown.schedule.items if item.title_en == "Welcome reception")
    day = reception.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    question = await session.scalar(select(Question).where(Question.label_en.contains("reception")))
    assert f"{day:%A} {day.day} November" in question.label_en
    assert f"11月{day.day}日" in question.label_ja

    # The demo's delegations and registrations (seeded once for both checks: seeding takes seconds).
    from ascc.registration import delegations
    from ascc.registration import services as registration

    edition = current
    users = {u.email: u for u in (await session.scalars(select(User))).all()}
    head = await registration.my_registration(session, edition.id, users["delegate@example.org"].id)
    assert (head.status, head.mode, head.organization.name_en) == ("confirmed", "in_person", "Cebu City")
    delegation = await delegations.delegation_of_head(session, edition.id, users["delegate@example.org"].id)
    roster = await delegations.roster(session, delegation)
    assert len(roster) >= 2 and {line.registration_status for line in roster} == {"confirmed"}
    online = await registration.my_registration(session, edition.id, users["online@example.org"].id)
    assert online.mode == "online"
    statuses = (await session.scalars(select(Registration.status))).all()
    assert statuses.count("pending") == 5  # press needs approval in the demo edition
