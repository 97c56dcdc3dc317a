"""The demo edition with an API token for each role, for the API's tests: the run's one seeded demo
(`demo_template`, tests/security/conftest.py), which the fuzz run, the contract and the statement counts each
copy before they use it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def seeded_demo(template: Any) -> SeededDemo:
    """The API's view of the run's seeded demo (the `demo_template` fixture): its file, read-only, and the
    token of each role's demo account."""
    return SeededDemo(
        template.path, {role: template.tokens[role] if email else None for role, email in ROLES.items()}
    )
