"""Personal data sealed at rest: passport and ID numbers are stored encrypted (Fernet), with a key derived
from ASCC_SECRET_KEY and a purpose, so that data sealed for one purpose never opens as another's.

Shared by the domains that keep such numbers (tour ID documents, visa letters). Pure: no domain, no web
framework, no database.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


def fernet(secret: str, purpose: str) -> Fernet:
    """The cipher of one purpose ("ascc-tour-id-data", "ascc-visa-letter"), derived from the secret key."""
    digest = hashlib.sha256(purpose.encode() + b":" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(text: str, secret: str, purpose: str) -> bytes:
    return fernet(secret, purpose).encrypt(text.encode())


def unseal(data: bytes | None, secret: str, purpose: str) -> str | None:
    """The sealed text, or None when there is none or it cannot be opened (another key, damaged)."""
    if data is None:
        return None
    try:
        return fernet(secret, purpose).decrypt(data).decode()
    except (InvalidToken, UnicodeDecodeError):
        return None
