"""Fixtures for the audit log: people who act (as the pages pass them) and the app on both databases."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ascc.config import Settings


@dataclass(frozen=True)
class Actor:
    """What services receive as the actor (routes pass security.CurrentUser, which has the same shape)."""

    id: int
    role: str
    display_name: str


def actor_of(user, role: str | None = None) -> Actor:
    return Actor(user.id, role or user.role, user.name_latin)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest) -> Settings:
    """The pages and the API on both databases (overrides the suite's SQLite-only `settings`)."""
    url = request.getfixturevalue(f"{request.param}_url")
    return Settings(database_url=url, auth_rate_limit_per_minute=1000, base_url="http://testserver.local")
