"""Loads the demo edition from seed/*.json through the domains' services. Running it twice changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.organizations import services as organizations

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def _load(name: str) -> dict[str, Any]:
    with (SEED_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class SeedReport:
    organizations: int = 0
    accounts_created: int = 0
    edition: str = ""


async def seed(session: AsyncSession, demo_password: str) -> SeedReport:
    report = SeedReport()
    by_name: dict[str, int] = {}
    for row in _load("organizations.json")["organizations"]:
        organization = await organizations.upsert(session, organizations.OrganizationInput(**row))
        by_name[row["name_en"]] = organization.id
        report.organizations += 1

    data = _load("edition-2023.json")["edition"]
    rooms = [editions.RoomInput(**room) for room in data.pop("rooms")]
    edition = await editions.upsert(session, editions.EditionInput(**data, rooms=rooms))
    if not edition.is_current:
        await editions.set_current(session, edition.slug)
    report.edition = edition.slug

    for row in _load("accounts.json")["accounts"]:
        if await accounts.find_by_email(session, row["email"]):
            continue
        organization_id = by_name.get(row.pop("organization"))
        await accounts.create_user(session, password=demo_password, organization_id=organization_id, **row)
        report.accounts_created += 1
    await session.flush()
    return report
