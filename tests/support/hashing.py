"""Cheap password hashing for the tests: the production Argon2 parameters cost 0.4-0.7 s a hash on this machine,
and the suite hashes thousands of passwords. Only a test about the parameters themselves uses the real ones
(tests/accounts/test_services.py). Hashes keep their parameters, so a cheap hash verifies anywhere."""

from __future__ import annotations

from argon2 import PasswordHasher

CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def use_cheap_hashing() -> None:
    from ascc.accounts import services

    services._hasher = PasswordHasher(**CHEAP)
    services._DUMMY_HASH = services._hasher.hash("not-a-real-password-just-for-timing")
