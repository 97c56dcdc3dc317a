"""The migrations own the schema: they run both ways on both databases and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ascc import db


async def _tables(url: str) -> set[str]:
    engine = db.create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _drift(url: str) -> list:
    engine = db.create_engine(url)
    metadata = db.load_models()

    def compare(sync_connection):
        context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with engine.connect() as connection:
        diff = await connection.run_sync(compare)
    await engine.dispose()
    return diff


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_migrations_upgrade_then_downgrade_to_base_leaves_no_table(backend: str, request) -> None:
    url = request.getfixturevalue(f"{backend}_url")  # already at head (copied from the migrated template)
    assert {"user_account", "edition", "organization", "outbox_message", "api_token"} <= await _tables(url)
    db.downgrade(url, "base")
    assert await _tables(url) == set()
    db.upgrade(url, "head")
    assert "user_account" in await _tables(url)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_models_and_migrations_do_not_drift(backend: str, request) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    assert await _drift(url) == []
