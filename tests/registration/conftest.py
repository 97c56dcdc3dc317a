"""Fixtures for registration: an open edition with its settings, and people to register."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ascc.registration import registering
from tests.factories import make_edition, make_user

BASE = "https://ascc.example.org"


@pytest.fixture
async def edition(session):
    """Only what tests need, as plain values: they stay readable after a test rolls back."""
    created = await make_edition(session, "ascc2023")
    return SimpleNamespace(id=created.id, slug=created.slug)


@pytest.fixture
def person(session):
    counter = {"n": 0}

    async def make(email: str | None = None, **extra):
        counter["n"] += 1
        return await make_user(session, email or f"p{counter['n']}@example.org", **extra)

    return make


def entry(**changes) -> registering.RegistrationInput:
    data = {
        "mode": "in_person",
        "category": "city_official",
        "organization": "Cebu City",
        "position": "City Environment Officer",
        "country": "PH",
        "city": "Cebu City",
        "privacy_accepted": True,
        "consent_directory": True,
    }
    data.update(changes)
    return registering.RegistrationInput(**data)
