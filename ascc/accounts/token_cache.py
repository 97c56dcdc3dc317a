"""Who an API token or a browser session belongs to, kept for a second per worker (issue #26: a check-in phone
scans hundreds of badges a minute, each with the same token; a signed-in page looked its person up on every
request, a third of a small page's database time).

A kept answer is dropped as soon as this process changes an account, a token, an organization or a signed-out
session (any ORM write to their tables: revoking, deactivating, a new role or name, signing out), and in any
case after `ttl` seconds, the longest another worker's revocation or sign-out can take to reach this one
(ascc.write_watch).
"""

from __future__ import annotations

import hashlib

from ascc.write_watch import Kept, WriteWatch

WATCHED_TABLES = frozenset({"api_token", "user_account", "organization", "ended_session"})

watch = WriteWatch(WATCHED_TABLES)


def generation() -> int:
    return watch.generation


class TokenCache(Kept):
    """Raw token (hashed), or a session cookie's user and session id -> what the lookup found (the current user)."""

    def __init__(self, ttl: float = 1.0, size: int = 4096) -> None:
        super().__init__(watch, ttl, size)

    @staticmethod
    def key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
