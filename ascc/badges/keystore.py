"""An edition's badge signing key at rest: sealed (Fernet) under a key derived from ASCC_SECRET_KEY. Pure.

Whoever holds the private key can mint badges, so a copy of the database alone must not give it away. A key
sealed under the development secret (made before ASCC_SECRET_KEY was set) still opens, and the caller seals
it anew under the real secret.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class KeyUnreadable(RuntimeError):
    """The stored key opens under none of the secrets tried: ASCC_SECRET_KEY changed since it was sealed."""


def _fernet(secret: str) -> Fernet:
    # Its own label: the same secret also derives the tours' ID-number key and signs sessions.
    digest = hashlib.sha256(b"ascc-badge-signing-key:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(private_pem: str, secret: str) -> str:
    """The PEM encrypted and authenticated, as ASCII text for the database."""
    return _fernet(secret).encrypt(private_pem.encode()).decode()


def unseal(sealed: str, secret: str, fallbacks: tuple[str, ...] = ()) -> tuple[str, bool]:
    """(the PEM, whether it opened only under a fallback secret and should be sealed anew under `secret`)."""
    for index, candidate in enumerate((secret, *fallbacks)):
        try:
            return _fernet(candidate).decrypt(sealed.encode()).decode(), index > 0
        except InvalidToken:
            continue
    raise KeyUnreadable(
        "the badge signing key in the database cannot be decrypted with ASCC_SECRET_KEY: restore the secret "
        "it was sealed with (or set ASCC_BADGE_KEY to a PEM file); badges already printed depend on that key"
    )
