"""The signed code of a certificate, in its QR code and verify address. Pure.

    <reference>.<signature>

The reference is random (it names the certificate; unguessable); the signature is an HMAC-SHA256 of the
edition and the reference under a key derived from ASCC_SECRET_KEY, truncated to 128 bits, base64url. A
forged or mistyped address is refused before the database is asked; whether a genuine certificate still
stands (not revoked) is the database's answer on the verify page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MAX_INPUT = 80
REFERENCE_BYTES = 12  # 16 base64url characters


class BadCode(ValueError):
    """Not the code of a certificate: malformed, or a signature that does not match."""


def new_reference() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(REFERENCE_BYTES)).rstrip(b"=").decode()


def _key(secret: str) -> bytes:
    # Its own label: the same secret seals the badge keys and signs sessions.
    return hashlib.sha256(b"ascc-certificate:" + secret.encode()).digest()


def _signature(edition_id: int, reference: str, secret: str) -> str:
    mac = hmac.new(_key(secret), f"{edition_id}:{reference}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(edition_id: int, reference: str, secret: str) -> str:
    return f"{reference}.{_signature(edition_id, reference, secret)}"


def reference_of(code: str) -> str:
    """The reference a code names (not yet verified); BadCode if it cannot be one."""
    text = code.strip()
    reference, dot, signature = text.partition(".")
    if not dot or not text.isascii() or len(text) > MAX_INPUT or not reference or not signature:
        raise BadCode("malformed")
    return reference


def verify(code: str, edition_id: int, secret: str) -> str:
    """The reference of a genuinely signed code of `edition_id`; BadCode otherwise."""
    reference = reference_of(code)
    expected = _signature(edition_id, reference, secret)
    if not hmac.compare_digest(expected, code.strip().partition(".")[2]):
        raise BadCode("signature")
    return reference
