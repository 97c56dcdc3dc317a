"""The demo edition, seeded once per test process with an API token for each role, for the API's tests.

Seeding takes seconds: the fuzz run and the contract tests each take a copy of the same seeded file.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts import services as accounts
from ascc.accounts.models import User
from ascc.seed import seed

# seed/accounts.json: one demo account per role (anonymous: no token at all).
ROLES = {
    "anonymous": None,
    "delegate": "delegate@example.org",
    "exhibitor": "exhibitor@example.org",
    "checkin": "checkin@example.org",
    "organizer": "organizer@example.org",
}


@dataclass(frozen=True)
class SeededDemo:
    path: Path
    tokens: dict[str, str | None]

    def copy(self, directory: Path) -> str:
        """A database URL of a fresh copy, tokens included."""
        target = directory / "ascc.db"
        shutil.copy(self.path, target)
        return f"sqlite+aiosqlite:///{target}"

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens[role]
        return {"Authorization": f"Bearer {token}"} if token else {}


_SEEDED: dict[Path, SeededDemo] = {}


async def _seed_with_tokens(url: str) -> dict[str, str | None]:
    db.load_models()
    engine = db.create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await seed(session, "demo password for the API tests")
            tokens: dict[str, str | None] = {}
            for role, email in ROLES.items():
                if email is None:
                    tokens[role] = None
                    continue
                person = await session.scalar(select(User).where(User.email_key == email))
                assert person is not None and person.role == role
                tokens[role], _ = await accounts.create_api_token(session, person.id, "API tests")
            await session.commit()
            return tokens
    finally:
        await engine.dispose()


def seeded_demo(template: Path, directory: Path) -> SeededDemo:
    """The seeded demo of this process, made from the migrated `template` in `directory` on first use."""
    if template not in _SEEDED:
        path = directory / "demo.db"
        shutil.copy(template, path)
        tokens = asyncio.run(_seed_with_tokens(f"sqlite+aiosqlite:///{path}"))
        _SEEDED[template] = SeededDemo(path, tokens)
    return _SEEDED[template]
