"""What a test needs from the machine. Files and programs come with `make test` (it installs the Debian
packages): missing, the test fails. Services (PostgreSQL, Redis) run beside the suite: on CI they must be
there; on a developer's machine without them, their tests say so loudly and skip."""

from __future__ import annotations

import os

import pytest

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service(ok: bool, message: str) -> None:
    if ok:
        return
    if ON_CI:
        pytest.fail(message + " (required on CI)")
    pytest.skip(message)


def installed(ok: bool, message: str) -> None:
    if not ok:
        pytest.fail(message + ": `make test` installs it (make system)")
