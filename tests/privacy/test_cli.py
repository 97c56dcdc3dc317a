"""`ascc privacy apply [--dry-run]` and `ascc tours purge-ids` as an operator runs them (e.g. from cron)."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.cli import main
from ascc.db import create_engine
from tests.privacy.conftest import build_world


def _in_db(url: str, work):
    async def main_():
        engine = create_engine(url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main_())


def _active(url: str, user_id: int) -> bool:
    async def work(session):
        return (await accounts.get_user(session, user_id)).is_active

    return _in_db(url, work)


def test_the_command_shows_counts_applies_and_refuses(settings, monkeypatch) -> None:
    url = settings.database_url
    monkeypatch.setenv("ASCC_DATABASE_URL", url)
    world = _in_db(url, build_world)

    dry = CliRunner().invoke(main, ["privacy", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "personal_data (24 months): would anonymize 1" in dry.output
    assert "viewing_records (24 months): would delete 3" in dry.output
    assert _active(url, world.alice)

    done = CliRunner().invoke(main, ["privacy", "apply"])
    assert done.exit_code == 0, done.output
    assert "personal_data (24 months): anonymize 1" in done.output
    assert not _active(url, world.alice)

    purge = CliRunner().invoke(main, ["tours", "purge-ids"])
    assert purge.exit_code == 0 and "deleted the ID data of 0 bookings" in purge.output

    monkeypatch.setenv("ASCC_NOW", "2026-01-10T10:00+09:00")
    refused = CliRunner().invoke(main, ["privacy", "apply"])
    assert refused.exit_code == 1
    assert (
        "REFUSED personal_data (24 months): It would reach data of Edition ascc2023, the current edition."
        in refused.output
    )
    assert _active(url, world.dave)
